import type { Pool } from "pg";
import { checkLiveRelease, unhealthyVersions, type HistoryEntry, type PlannerWorkspace, type StackSummary } from "../automation/index";
import { ENVIRONMENT_TIERS } from "../planner/spec";
import { principalNames } from "./principal-names";

/**
 * What the stack routes add to the library's summaries and history for a person reading them: the names of the
 * principals who acted (not only their ids), whether a stack's URL serves its release now, whether an environment is
 * a preview, and which history entries a rollback may return to.
 */

/** The environments' tiers in the order a release moves through them; previews stand apart. */
export const PROMOTION_ORDER: readonly string[] = ENVIRONMENT_TIERS.filter((tier) => tier !== "preview");

/** How long a list waits for one stack's URL to answer before calling its health unknown. */
const HEALTH_TIMEOUT_MS = 3_000;
/** Stacks whose URL a list checks at once. */
const HEALTH_BATCH = 16;

/** A stack's health as a lane shows it: the live check's state, `rollout` while a canary runs, `unknown` when it did not answer in time, `none` without a URL. */
export type LaneHealth = "serving" | "down" | "foreign" | "other_release" | "unhealthy" | "rollout" | "unknown" | "none";

/** A stack summary with what a lane shows beside it. */
export type StackLane = StackSummary & {
  readonly preview: boolean;
  readonly health: LaneHealth;
  readonly last_update_by_name: string | null;
  readonly serving_by_name: string | null;
};

/** Whether an environment is a preview (its tier, the name's prefix: `preview-pr-42`). */
export function isPreviewEnvironment(environment: string): boolean {
  return environment === "preview" || environment.startsWith("preview-");
}

async function laneHealth(workspace: PlannerWorkspace, summary: StackSummary): Promise<LaneHealth> {
  if (summary.rollout && (summary.rollout.status === "running" || summary.rollout.status === "held")) return "rollout";
  if (!summary.url) return "none";
  const timeout = new Promise<"unknown">((resolve) => setTimeout(() => resolve("unknown"), HEALTH_TIMEOUT_MS).unref());
  const live = checkLiveRelease(workspace, summary.stack).then((found) => (found ? found.state : "none"), () => "unknown" as const);
  return Promise.race([live, timeout]);
}

/** The summaries as lanes: each with its health (its URL checked, a few at a time), preview flag and principals' names. */
export async function stackLanes(workspace: PlannerWorkspace, pool: Pool, summaries: readonly StackSummary[]): Promise<StackLane[]> {
  const nameOf = await principalNames(pool, summaries.flatMap((summary) => [summary.last_update?.by, summary.serving?.by]));
  const lanes: StackLane[] = [];
  for (let i = 0; i < summaries.length; i += HEALTH_BATCH) {
    const batch = summaries.slice(i, i + HEALTH_BATCH);
    const health = await Promise.all(batch.map((summary) => laneHealth(workspace, summary)));
    batch.forEach((summary, index) =>
      lanes.push({
        ...summary,
        preview: isPreviewEnvironment(summary.environment),
        health: health[index]!,
        last_update_by_name: nameOf(summary.last_update?.by),
        serving_by_name: nameOf(summary.serving?.by),
      }),
    );
  }
  return lanes;
}

/** A history entry with the deployer's name, its bundle, whether it serves now and whether a rollback may return to it. */
export type HistoryView = HistoryEntry & {
  readonly version_name: string | null;
  readonly bundle_digest: string | null;
  /** The name of the principal who ran it (a token's name), else who the record names. */
  readonly deployer_name: string | null;
  readonly current: boolean;
  /** A succeeded update that passed its health check, carries its spec, and is not the one serving. */
  readonly rollback_allowed: boolean;
};

/** The entries of a stack's history as a person reads them; `current` is the update that serves (null: none). */
export async function historyViews(workspace: PlannerWorkspace, pool: Pool, stack: string, entries: readonly HistoryEntry[], current: number | null): Promise<HistoryView[]> {
  const [nameOf, unhealthy] = await Promise.all([principalNames(pool, entries.map((entry) => entry.ranBy)), unhealthyVersions(workspace.dataDir, stack)]);
  return entries.map((entry) => ({
    ...entry,
    version_name: entry.versionName,
    bundle_digest: entry.artifactDigest,
    deployer_name: nameOf(entry.ranBy),
    current: entry.version === current,
    rollback_allowed: entry.kind === "update" && entry.result === "succeeded" && entry.spec !== null && !unhealthy.has(entry.version) && entry.version !== current,
  }));
}
