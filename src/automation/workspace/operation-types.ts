import type { EngineEvent } from "@pulumi/pulumi/automation";
import type { TrafficStep } from "../../components/types";
import type { TextMasker } from "../../secrets/masker";
import type { PlannerWorkspace } from "./workspace";

export type { TextMasker } from "../../secrets/masker";

/** Options every stack operation takes. */
export interface OperationOptions {
  readonly workspace: PlannerWorkspace;
  /** Every engine event, as the Automation API delivers it. */
  readonly onEvent?: (event: EngineEvent) => void;
  /** Resource-level progress lines for a person, secrets masked. */
  readonly onProgress?: (line: string) => void;
  /** Cancels the operation: its own engine is interrupted and leaves a consistent checkpoint. */
  readonly signal?: AbortSignal;
  /** Hides resolved secret values in progress lines, logs and errors. */
  readonly masker?: TextMasker;
  /** How long to wait for another operation on the stack before failing; default 5 minutes. */
  readonly lockWaitMs?: number;
  /** Update message recorded in the stack history. */
  readonly message?: string;
  /** Who runs the operation, for the audit log (a user name, a token's owner); default unknown. */
  readonly actor?: string | null;
  /**
   * Whether the operation writes its own audit record; default true. `planAndDeploy` turns it off and audits the
   * whole deployment (plan, checks, package, update, verify) in one record instead.
   */
  readonly audit?: boolean;
  /** For `up`: the canary step a stepped rollout is at (Cloud Run); absent, the new release takes all traffic. */
  readonly trafficStep?: TrafficStep;
  /** For `up`: read every resource's real state first (`pulumi up --refresh`), so the update repairs drift it finds. */
  readonly refresh?: boolean;
}

/** Counts of resource operations, by kind (`create`, `update`, `same`, `delete`, `replace`, ...). */
export type ChangeSummary = Readonly<Record<string, number>>;

/** One planned step of a preview. */
export interface PlannedStep {
  readonly op: string;
  readonly type: string;
  readonly name: string;
}

/** Result of `preview`. */
export interface PreviewResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  /** True when the preview found anything to create, update, replace or delete. */
  readonly hasChanges: boolean;
  /** Planned steps other than `same`. */
  readonly steps: readonly PlannedStep[];
  readonly logFile: string;
}

/** Result of `up`. */
export interface UpResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  readonly outputs: StackOutputs;
  /** Number of this update in the stack's history. */
  readonly version: number;
  readonly durationMs: number;
  readonly logFile: string;
  /** What an interrupted earlier update had left and this one repaired first (see `repairInterruptedUpdate`). */
  readonly repairs: readonly string[];
  /** The stack's URL before this update (null on a first update, or when it had none). */
  readonly previousUrl?: string | null;
  /**
   * With `refresh`: the resources whose real state differed from the stack's record (`<type> <name>: changed` or
   * `gone`), which the update then put back as the spec says; empty when nothing drifted. Absent without `refresh`.
   */
  readonly drift?: readonly string[];
}

/** Result of `destroy`. */
export interface DestroyResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  /** True when the stack and its config file were removed after its resources. */
  readonly stackRemoved: boolean;
  readonly logFile: string;
  /** What an interrupted earlier update had left and this destroy repaired first. */
  readonly repairs: readonly string[];
}

/** Result of `refresh`. */
export interface RefreshResult {
  readonly stack: string;
  readonly changeSummary: ChangeSummary;
  readonly logFile: string;
  /** What an interrupted earlier update had left and this refresh repaired first. */
  readonly repairs: readonly string[];
}

/** The outputs the program exports, as plain values (secrets stay masked). */
export interface StackOutputs {
  readonly url?: string;
  readonly dashboardUrl?: string;
  readonly urls?: Record<string, string>;
  readonly target?: string;
  readonly stack?: string;
  readonly artifactDigest?: string | null;
  readonly [key: string]: unknown;
}
