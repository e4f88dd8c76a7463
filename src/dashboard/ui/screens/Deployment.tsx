import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, openEvents } from "../api";
import { AppLog } from "../components/AppLog";
import { DeploymentOutcome } from "../components/DeploymentOutcome";
import { EngineLog } from "../components/EngineLog";
import { FailureBox } from "../components/FailureBox";
import { failureOf, type DeploymentRecord } from "../components/flow-types";
import { furthestStage } from "../components/progress-stages";
import { ProgressLog, type ProgressLine } from "../components/ProgressLog";
import { Spinner } from "../components/Spinner";
import { StatusBadge } from "../components/StatusBadge";
import type { FailureBody } from "../api";
import { localTime, timeAgo } from "../format";
import { Link, pathTo, type ScreenProps } from "../router";

/** How long the page waits before opening the event stream again when it dropped before the result. */
const RECONNECT_MS = 2_000;
/** How many times in a row it tries before saying the stream is gone. */
const RECONNECT_TRIES = 30;

const STATUS_WORDS: Readonly<Record<DeploymentRecord["status"], string>> = {
  queued: "Queued: waiting for a worker",
  running: "Running",
  succeeded: "Succeeded",
  failed: "Failed",
  superseded: "Superseded: a newer deployment replaced it before it started",
};

/**
 * A deployment as it happens (`/deployments/:id`): its progress lines as server-sent events with a bar over the run's
 * stages, then its result, the masked engine log and, once it succeeded, the app's own log following live. A
 * deployment that finished before the page opened shows its result at once (the stream replays its lines first).
 */
export function DeploymentScreen({ params }: ScreenProps): JSX.Element {
  const id = params.id ?? "";
  const [deployment, setDeployment] = useState<DeploymentRecord | null>(null);
  const [loadFailure, setLoadFailure] = useState<FailureBody | null>(null);
  const [lines, setLines] = useState<readonly ProgressLine[]>([]);
  const [streamLost, setStreamLost] = useState(false);
  const seen = useRef(new Set<string>());

  useEffect(() => {
    let cancelled = false;
    let stream: { close(): void } | null = null;
    let timer: ReturnType<typeof setTimeout> | undefined;
    let tries = 0;
    const follow = (): void => {
      stream = openEvents(`/v1/deployments/${encodeURIComponent(id)}/events`, {
        progress: (data, event) => {
          tries = 0;
          const entry = data as { at?: unknown; line?: unknown };
          if (typeof entry.line !== "string") return;
          // A reopened stream replays from the start: lines already shown (same event id) are skipped.
          const key = event.lastEventId || `${String(entry.at)}|${entry.line}`;
          if (seen.current.has(key)) return;
          seen.current.add(key);
          const line = { id: key, at: typeof entry.at === "string" ? entry.at : null, line: entry.line };
          setLines((previous) => [...previous, line]);
          // A progress line means a worker has it: the record read before the stream may still say queued.
          setDeployment((current) => (current && current.status === "queued" ? { ...current, status: "running" } : current));
        },
        result: (data) => {
          // The stream ends after its result; closing it now keeps the browser from opening it again.
          stream?.close();
          if (typeof data === "object" && data !== null) setDeployment(data as DeploymentRecord);
        },
        error: () => {
          // The stream closed before a result (a restart, a refused reconnect): ask again a little later.
          if (cancelled) return;
          tries += 1;
          if (tries > RECONNECT_TRIES) {
            setStreamLost(true);
            return;
          }
          timer = setTimeout(() => {
            if (cancelled) return;
            void api<DeploymentRecord>("GET", `/v1/deployments/${encodeURIComponent(id)}`)
              .then((record) => {
                if (cancelled) return;
                setDeployment(record);
                follow();
              })
              .catch((error: unknown) => !cancelled && setLoadFailure(failureOf(error)));
          }, RECONNECT_MS);
        },
      });
    };
    api<DeploymentRecord>("GET", `/v1/deployments/${encodeURIComponent(id)}`)
      .then((record) => {
        if (cancelled) return;
        setDeployment(record);
        // Followed even when finished: the stream replays every line, then the result. A superseded one never ran.
        if (record.status !== "superseded") follow();
      })
      .catch((error: unknown) => !cancelled && setLoadFailure(failureOf(error)));
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
      stream?.close();
    };
  }, [id]);

  if (loadFailure) {
    return (
      <>
        <h1>Deployment</h1>
        <FailureBox failure={loadFailure} title="This deployment cannot be shown" />
        <p>
          <Link href="/new">Start a new deployment</Link>
        </p>
      </>
    );
  }
  if (deployment === null) {
    return (
      <>
        <h1>Deployment</h1>
        <Spinner label="Reading the deployment…" />
      </>
    );
  }
  const finished = deployment.status === "succeeded" || deployment.status === "failed" || deployment.status === "superseded";
  const environment = deployment.stack.startsWith(`${deployment.project_id}.`) ? deployment.stack.slice(deployment.project_id.length + 1) : "";
  // The library's canary lines ("canary step 1/3: ...", "canary aborted: ..."), not a project that has the word in its name.
  const canary = lines.some((entry) => /^canary (step|aborted)\b|\(canary at \d+%\)/.test(entry.line));
  return (
    <>
      <h1>Deployment</h1>
      <dl class="flow-facts">
        <div>
          <dt>Stack</dt>
          <dd>{environment ? <Link href={pathTo("stacks", deployment.project_id, environment)}>{deployment.stack}</Link> : deployment.stack}</dd>
        </div>
        <div>
          <dt>Operation</dt>
          <dd>{deployment.operation}</dd>
        </div>
        <div>
          <dt>Status</dt>
          <dd>
            <StatusBadge status={deployment.status} label={STATUS_WORDS[deployment.status] ?? deployment.status} />
          </dd>
        </div>
        <div>
          <dt>Queued</dt>
          <dd>
            <time dateTime={deployment.created_at} title={localTime(deployment.created_at)}>{`${localTime(deployment.created_at)} (${timeAgo(deployment.created_at)})`}</time>
          </dd>
        </div>
        {deployment.requested_by_name ? (
          <div>
            <dt>By</dt>
            <dd>{deployment.requested_by_name}</dd>
          </div>
        ) : null}
      </dl>
      {canary && environment ? (
        <p class="flow-canary-link">
          <Link href={`${pathTo("stacks", deployment.project_id, environment)}/rollout`}>Watch the canary rollout</Link>
        </p>
      ) : null}
      <ProgressLog lines={lines} stage={furthestStage(lines.map((entry) => entry.line))} finished={finished} failed={deployment.status === "failed"} />
      {streamLost && !finished ? <p role="alert">The live progress stopped arriving. Reload the page to follow the deployment again.</p> : null}
      {finished ? <DeploymentOutcome deployment={deployment} /> : null}
      {finished ? <EngineLog deploymentId={deployment.id} /> : null}
      {deployment.status === "succeeded" && environment && deployment.operation !== "destroy" ? <AppLog projectId={deployment.project_id} environment={environment} /> : null}
    </>
  );
}
