import type { JSX } from "preact";
import { useState } from "preact/hooks";
import type { FailureBody } from "../api";

/** Props of {@link EngineLog}. */
export interface EngineLogProps {
  readonly deploymentId: string;
}

type LogState = { readonly kind: "closed" } | { readonly kind: "loading" } | { readonly kind: "loaded"; readonly text: string } | { readonly kind: "missing"; readonly reason: string };

/**
 * A finished deployment's engine log, secrets masked by the service, in a collapsed section: read from the API the
 * first time the person opens it (it can be long), shown as plain text.
 */
export function EngineLog({ deploymentId }: EngineLogProps): JSX.Element {
  const [state, setState] = useState<LogState>({ kind: "closed" });
  const load = async (): Promise<void> => {
    setState({ kind: "loading" });
    try {
      // The log is text/plain, not JSON, so it is fetched directly (same origin, the session cookie goes with it).
      const response = await fetch(`/v1/deployments/${encodeURIComponent(deploymentId)}/log`, { credentials: "same-origin", headers: { Accept: "text/plain" } });
      if (response.ok) {
        setState({ kind: "loaded", text: await response.text() });
        return;
      }
      const body = (await response.json().catch(() => null)) as FailureBody | null;
      setState({ kind: "missing", reason: body && typeof body.reason === "string" ? `No log: ${body.reason}.` : `No log: the service answered ${response.status}.` });
    } catch {
      setState({ kind: "missing", reason: "The log could not be read: the service did not answer. Close and open this section to try again." });
    }
  };
  const onToggle = (event: Event): void => {
    if ((event.currentTarget as HTMLDetailsElement).open && (state.kind === "closed" || state.kind === "missing")) void load();
  };
  return (
    <details class="flow-engine-log" onToggle={onToggle}>
      <summary>Engine log (secrets masked)</summary>
      {state.kind === "loading" ? <p class="muted">Reading the log…</p> : null}
      {state.kind === "missing" ? <p>{state.reason}</p> : null}
      {state.kind === "loaded" ? (state.text.trim() === "" ? <p class="muted">The log is empty.</p> : <pre class="flow-pre" tabIndex={0}>{state.text}</pre>) : null}
    </details>
  );
}
