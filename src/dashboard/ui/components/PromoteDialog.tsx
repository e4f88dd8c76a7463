import type { JSX } from "preact";
import { useEffect, useState } from "preact/hooks";
import { api, ApiFailure, type FailureBody } from "../api";
import { plural } from "../format";
import { navigate, pathTo } from "../router";
import type { DeploymentRecord } from "../types";
import { ConfirmDialog } from "./ConfirmDialog";
import { DiffView } from "./DiffView";
import { FailureBox } from "./FailureBox";
import { Spinner } from "./Spinner";

/** Props of `PromoteDialog`: which project, from which environment to which; `onClose` when it is dismissed. */
export interface PromoteDialogProps {
  readonly projectId: string;
  readonly from: string;
  readonly to: string;
  readonly onClose: () => void;
}

/** One planned step of the engine's preview. */
interface PlannedStep {
  readonly op: string;
  readonly type: string;
  readonly name: string;
}

/** What a dry-run promotion answers: the stack-file diff and the engine's preview (older answers: flat fields). */
interface PromotionPreview {
  readonly diff?: string;
  readonly stack_file_diff?: string;
  readonly preview?: { readonly changes?: Record<string, number>; readonly steps?: readonly PlannedStep[]; readonly has_changes?: boolean };
  readonly changes?: Record<string, number>;
  readonly steps?: readonly PlannedStep[];
  readonly has_changes?: boolean;
  readonly promoted_from?: { readonly version?: number; readonly version_name?: string | null };
}

const CHANGE_WORDS: Record<string, string> = { create: "to create", update: "to update", replace: "to replace", delete: "to delete", same: "unchanged" };

/** The engine's change counts as a sentence: "2 resources to update, 1 to create, 5 unchanged". */
export function changeSentence(changes: Readonly<Record<string, number>>): string {
  const parts = Object.entries(changes)
    .filter(([, count]) => count > 0)
    .sort(([a], [b]) => (a === "same" ? 1 : b === "same" ? -1 : a.localeCompare(b)))
    .map(([op, count], index) => `${index === 0 ? plural(count, "resource") : count} ${CHANGE_WORDS[op] ?? op.replace(/_/g, " ")}`);
  return parts.length === 0 ? "No resource changes." : `${parts.join(", ")}.`;
}

/**
 * Promotion in two steps: a dry run shows the stack-file diff and the engine's preview of the target; only "Confirm
 * promotion" queues the real one, and the page follows it as a deployment.
 */
export function PromoteDialog({ projectId, from, to, onClose }: PromoteDialogProps): JSX.Element {
  const [preview, setPreview] = useState<PromotionPreview | null>(null);
  const [problem, setProblem] = useState<FailureBody | null>(null);
  const [busy, setBusy] = useState(false);
  const path = `${pathTo("v1", "stacks", projectId)}/promote`;

  useEffect(() => {
    let live = true;
    api<PromotionPreview>("POST", path, { from, to, dry_run: true })
      .then((answer) => live && setPreview(answer))
      .catch((error: unknown) => live && setProblem(error instanceof ApiFailure ? error.failure : { stage: "internal", reason: String(error) }));
    return () => {
      live = false;
    };
  }, [path, from, to]);

  const confirm = async (): Promise<void> => {
    setBusy(true);
    setProblem(null);
    try {
      const queued = await api<DeploymentRecord>("POST", path, { from, to });
      navigate(pathTo("deployments", queued.id));
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.failure : { stage: "internal", reason: String(error) });
      setBusy(false);
    }
  };

  const diff = preview ? (preview.diff ?? preview.stack_file_diff ?? "") : "";
  const changes = preview ? (preview.preview?.changes ?? preview.changes ?? null) : null;
  const steps = preview ? (preview.preview?.steps ?? preview.steps ?? []) : [];
  const version = preview?.promoted_from;

  return (
    <ConfirmDialog
      open
      title={`Promote ${from} to ${to}`}
      confirmLabel="Confirm promotion"
      confirmDisabled={preview === null}
      busy={busy}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      <p>
        {version?.version_name || version?.version
          ? `The release ${version.version_name ?? `update ${version.version}`} serving in ${from} will be deployed to ${to}.`
          : `The release serving in ${from} will be deployed to ${to}.`}{" "}
        Nothing changes until you confirm.
      </p>
      {problem ? <FailureBox failure={problem} title="The promotion cannot go ahead" /> : null}
      {preview === null && problem === null ? <Spinner label={`Previewing the promotion to ${to}…`} /> : null}
      {preview !== null ? (
        <>
          <h3>Stack file changes</h3>
          {diff.length > 0 ? <DiffView diff={diff} label={`Changes to the ${to} stack file`} /> : <p class="muted">The stack file would not change.</p>}
          <h3>Engine preview</h3>
          <p>{changes ? changeSentence(changes) : "The engine reported no change counts."}</p>
          {steps.length > 0 ? (
            <ul class="steps">
              {steps.map((step) => (
                <li key={`${step.op}-${step.type}-${step.name}`}>
                  <strong>{step.op}</strong> {step.name} <span class="muted">({step.type})</span>
                </li>
              ))}
            </ul>
          ) : null}
        </>
      ) : null}
    </ConfirmDialog>
  );
}
