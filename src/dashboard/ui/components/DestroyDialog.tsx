import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, ApiFailure, type FailureBody } from "../api";
import { navigate, pathTo } from "../router";
import type { DeploymentRecord } from "../types";
import { ConfirmDialog } from "./ConfirmDialog";
import { FailureBox } from "./FailureBox";

/** Props of `DestroyDialog`: the stack, whether it is protected, and `onClose` when it is dismissed. */
export interface DestroyDialogProps {
  readonly projectId: string;
  readonly environment: string;
  /** A protected stack (production) is destroyed only after its name is typed, and then with force. */
  readonly protectedStack: boolean;
  readonly onClose: () => void;
}

/** Confirms a destroy, saying what it removes; a protected stack asks for its name to be typed first. */
export function DestroyDialog({ projectId, environment, protectedStack, onClose }: DestroyDialogProps): JSX.Element {
  const stackName = `${projectId}.${environment}`;
  const [typed, setTyped] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FailureBody | null>(null);

  const confirm = async (): Promise<void> => {
    setBusy(true);
    setProblem(null);
    try {
      const queued = await api<DeploymentRecord>("DELETE", `${pathTo("v1", "stacks", projectId, environment)}${protectedStack ? "?force=true" : ""}`);
      navigate(pathTo("deployments", queued.id));
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.failure : { stage: "internal", reason: String(error) });
      setBusy(false);
    }
  };

  return (
    <ConfirmDialog
      open
      title={`Destroy ${stackName}?`}
      confirmLabel="Destroy stack"
      danger
      busy={busy}
      confirmDisabled={protectedStack && typed.trim() !== stackName}
      onConfirm={() => void confirm()}
      onCancel={onClose}
    >
      <p>
        This deletes every resource of <strong>{stackName}</strong>: its URL stops answering. The stack's history is kept, and a new deployment can
        bring it back.
      </p>
      {protectedStack ? (
        <div class="field">
          <label for="destroy-confirm-name">
            This stack is protected. Type <code>{stackName}</code> to destroy it
          </label>
          <input id="destroy-confirm-name" type="text" autoComplete="off" spellcheck={false} value={typed} onInput={(event) => setTyped(event.currentTarget.value)} />
        </div>
      ) : null}
      {problem ? <FailureBox failure={problem} title="The stack was not destroyed" /> : null}
    </ConfirmDialog>
  );
}
