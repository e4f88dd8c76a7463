import type { JSX } from "preact";
import { useState } from "preact/hooks";
import { api, ApiFailure, type FailureBody } from "../api";
import { DestroyDialog } from "../components/DestroyDialog";
import { EmptyState } from "../components/EmptyState";
import { FailureBox } from "../components/FailureBox";
import { HistoryTable } from "../components/HistoryTable";
import { Outputs } from "../components/Outputs";
import { PromoteDialog } from "../components/PromoteDialog";
import { Spinner } from "../components/Spinner";
import { StatusBadge, type Tone } from "../components/StatusBadge";
import { nextEnvironment, tierOf } from "../environments";
import { localTime, safeHref, timeAgo } from "../format";
import { useApi } from "../load";
import { Link, navigate, pathTo, type ScreenProps } from "../router";
import { can, useSession } from "../session";
import { displayName, type PrincipalNames, useRecentOperations } from "../principals";
import type { DeploymentRecord, HistoryEntry, StackDetail, StackSummary } from "../types";

/** How often the stack refreshes while open, so an operation started elsewhere shows up. */
const REFRESH_MS = 10_000;

const LIVE_TONES: Record<string, Tone> = { serving: "ok", down: "bad", unhealthy: "bad", foreign: "warn", other_release: "warn" };
const LIVE_WORDS: Record<string, string> = { serving: "Healthy", down: "Down", unhealthy: "Unhealthy", foreign: "Something else answers", other_release: "Unexpected release" };

function Summary({ stack, checked, names }: { stack: StackDetail | StackSummary; checked: boolean; names: PrincipalNames }): JSX.Element {
  const live = "live" in stack ? stack.live : null;
  const lastRollout = "last_rollout" in stack ? stack.last_rollout : null;
  const href = safeHref(stack.url);
  const last = stack.last_update;
  const rollout = stack.rollout ?? lastRollout ?? null;
  return (
    <section class="card" aria-labelledby="current-heading">
      <h2 id="current-heading">Current version</h2>
      <p class="lane-version">
        {stack.serving ? (stack.version_name ?? "unnamed release") : "Nothing is serving"}
        {stack.update !== null ? <span class="muted"> · update {stack.update}</span> : null}
      </p>
      <dl class="facts">
        <dt>URL</dt>
        <dd>{href ? <a href={href}>{stack.url}</a> : <span class="muted">none</span>}</dd>
        <dt>Health</dt>
        <dd>
          {live ? (
            <span class="verify">
              <StatusBadge status={live.state} label={LIVE_WORDS[live.state] ?? live.state} tone={LIVE_TONES[live.state] ?? "neutral"} />
              <span>{live.detail}</span>
            </span>
          ) : checked ? (
            <span class="muted">Not checked (the stack has no URL)</span>
          ) : (
            <span class="muted">Checking the URL…</span>
          )}
        </dd>
        <dt>Deployed</dt>
        <dd>
          {stack.serving ? (
            <>
              {stack.serving.description} by {stack.serving.deployer ?? displayName(stack.serving.by, names) ?? "unknown"},{" "}
              <time dateTime={stack.serving.time} title={localTime(stack.serving.time)}>
                {timeAgo(stack.serving.time)}
              </time>
            </>
          ) : (
            <span class="muted">never</span>
          )}
        </dd>
        {last && last.update !== stack.serving?.update ? (
          <>
            <dt>Last operation</dt>
            <dd>
              <StatusBadge status={last.outcome} /> {last.description},{" "}
              <time dateTime={last.time} title={localTime(last.time)}>
                {timeAgo(last.time)}
              </time>
            </dd>
          </>
        ) : null}
        <dt>Target</dt>
        <dd>{stack.target}</dd>
        <dt>Lock</dt>
        <dd>{stack.locked ? "Locked: an operation is running on this stack" : "Unlocked"}</dd>
        <dt>Rollout</dt>
        <dd>
          {rollout ? (
            <Link href={`${pathTo("stacks", stack.project_id, stack.environment)}/rollout`}>
              Canary {rollout.status}
              {typeof rollout.weight === "number" ? ` at ${rollout.weight}%` : ""}
            </Link>
          ) : (
            <span class="muted">none</span>
          )}
        </dd>
      </dl>
    </section>
  );
}

/** A stack: what serves and its outputs, the operations on it, its history with rollback, promote, redeploy, destroy. */
export function StackScreen({ params }: ScreenProps): JSX.Element {
  const projectId = params.project ?? "";
  const environment = params.environment ?? "";
  const session = useSession();
  const base = pathTo("v1", "stacks", projectId, environment);
  // The list's summary answers at once; the stack's own answer (its URL checked, its outputs read by the engine) follows.
  const summaries = useApi<{ stacks: StackSummary[] }>(`/v1/stacks?project_id=${encodeURIComponent(projectId)}`, { pollMs: REFRESH_MS });
  const stack = useApi<StackDetail>(base, { pollMs: REFRESH_MS });
  const history = useApi<{ history: HistoryEntry[] }>(`${base}/history?limit=50`, { pollMs: REFRESH_MS });
  const recent = useRecentOperations(projectId, environment, 50);
  const [dialog, setDialog] = useState<"promote" | "destroy" | null>(null);
  const [pending, setPending] = useState<number | "redeploy" | null>(null);
  const [problem, setProblem] = useState<FailureBody | null>(null);

  const mayDeploy = can(session, "deploy", projectId);
  const mayDestroy = can(session, "admin", projectId);
  const next = nextEnvironment(environment);
  const detail: StackDetail | StackSummary | null = stack.data ?? summaries.data?.stacks.find((summary) => summary.environment === environment) ?? null;
  const protectedStack = (detail as { protected?: boolean } | null)?.protected ?? tierOf(environment) === "production";
  // Until the history's serving entry is known from the stack, the newest successful update is taken to serve.
  const servingUpdate = detail ? (detail.serving?.update ?? detail.update ?? null) : (history.data?.history.find((entry) => entry.kind === "update" && entry.outcome === "succeeded")?.update ?? null);

  const queue = async (what: number | "redeploy", path: string, body: unknown): Promise<void> => {
    setPending(what);
    setProblem(null);
    try {
      const queued = await api<DeploymentRecord>("POST", path, body);
      navigate(pathTo("deployments", queued.id));
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.failure : { stage: "internal", reason: String(error) });
      setPending(null);
    }
  };

  return (
    <>
      <p class="crumbs">
        <Link href={pathTo("projects", projectId)}>{projectId}</Link> / {environment}
      </p>
      <div class="page-head">
        <h1>
          {projectId} · {environment}
        </h1>
        {detail && (mayDeploy || mayDestroy) ? (
          <div class="actions">
            {mayDeploy && next ? (
              <button type="button" class="button button-primary" onClick={() => setDialog("promote")} disabled={!detail.serving}>
                Promote to {next}
              </button>
            ) : null}
            {mayDeploy ? (
              <button type="button" class="button" onClick={() => void queue("redeploy", `${base}/redeploy`, {})} disabled={pending !== null || !detail.serving}>
                {pending === "redeploy" ? "Redeploying…" : "Redeploy"}
              </button>
            ) : null}
            {mayDestroy ? (
              <button type="button" class="button button-danger" onClick={() => setDialog("destroy")}>
                Destroy
              </button>
            ) : null}
          </div>
        ) : null}
      </div>
      {problem ? <FailureBox failure={problem} title="The operation was not queued" /> : null}
      {stack.failure && stack.data === null ? (
        stack.status === 404 ? (
          <EmptyState title={`There is no stack ${projectId}.${environment} you may see.`}>
            {mayDeploy ? (
              <p>
                <Link href={`/new?project=${encodeURIComponent(projectId)}&environment=${encodeURIComponent(environment)}`}>Deploy {projectId} to {environment}</Link>, or go{" "}
                <Link href="/projects">back to your projects</Link>.
              </p>
            ) : (
              <Link href="/projects">Back to your projects</Link>
            )}
          </EmptyState>
        ) : (
          <FailureBox failure={stack.failure} title="Could not load the stack" />
        )
      ) : null}
      {stack.loading && detail === null && stack.failure === null ? <Spinner label="Loading the stack…" /> : null}
      {detail ? (
        <>
          <Summary stack={detail} checked={stack.data !== null} names={recent.names} />
          <section class="card" aria-labelledby="outputs-heading">
            <h2 id="outputs-heading">Outputs</h2>
            {stack.data === null ? (
              <Spinner label="Reading the stack's outputs…" />
            ) : stack.data.outputs ? (
              <Outputs outputs={stack.data.outputs} />
            ) : (
              <p class="muted">The engine could not read this stack's outputs right now.</p>
            )}
          </section>
        </>
      ) : null}
      {recent.operations.length > 0 ? (
        <section class="section" aria-labelledby="recent-heading">
          <h2 id="recent-heading">Recent operations</h2>
          <ul class="operations">
            {recent.operations.slice(0, 5).map((operation) => (
              <li key={operation.id}>
                <StatusBadge status={operation.status} /> <Link href={pathTo("deployments", operation.id)}>{operation.operation}{operation.version_name ? ` ${operation.version_name}` : ""}</Link>{" "}
                <span class="muted">
                  by {operation.requested_by_name ?? "unknown"},{" "}
                  <time dateTime={operation.created_at} title={localTime(operation.created_at)}>
                    {timeAgo(operation.created_at)}
                  </time>
                </span>
              </li>
            ))}
          </ul>
        </section>
      ) : null}
      {stack.status === 404 && detail === null ? null : (
        <section class="section" aria-labelledby="history-heading">
          <h2 id="history-heading">History</h2>
          {history.failure && history.data === null && stack.status !== 404 ? <FailureBox failure={history.failure} title="Could not load the history" /> : null}
          {history.loading && history.data === null ? <Spinner label="Loading the history…" /> : null}
          {history.data && history.data.history.length === 0 ? <EmptyState title="No updates yet." /> : null}
          {history.data && history.data.history.length > 0 ? (
            <HistoryTable
              entries={history.data.history}
              servingUpdate={servingUpdate}
              names={recent.names}
              pendingUpdate={typeof pending === "number" ? pending : null}
              onRollback={mayDeploy ? (entry) => void queue(entry.update, `${base}/rollback`, { to: entry.update }) : undefined}
            />
          ) : null}
        </section>
      )}
      {dialog === "promote" && next ? <PromoteDialog projectId={projectId} from={environment} to={next} onClose={() => setDialog(null)} /> : null}
      {dialog === "destroy" ? <DestroyDialog projectId={projectId} environment={environment} protectedStack={protectedStack} onClose={() => setDialog(null)} /> : null}
    </>
  );
}
