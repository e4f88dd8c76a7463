import type { JSX } from "preact";
import { EmptyState } from "../components/EmptyState";
import { FailureBox } from "../components/FailureBox";
import { Spinner } from "../components/Spinner";
import { StatusBadge } from "../components/StatusBadge";
import { localTime, plural, shortDigest, timeAgo } from "../format";
import { useApi } from "../load";
import { navigate, type ScreenProps } from "../router";
import { useSession } from "../session";
import type { StackSummary } from "../types";

/** Every action the audit trail records. */
const ACTIONS = ["deploy", "redeploy", "rollback", "promote", "destroy", "preview", "refresh", "sync", "gc", "unlock", "repair", "rollout_abort", "rollout_promote"] as const;

/** One audit entry (the fields shown). */
interface AuditEntry {
  readonly time: string;
  readonly action: string;
  readonly stack: string;
  readonly status: "success" | "error" | string;
  readonly actor: string | null;
  readonly deployer?: string | null;
  readonly version_name?: string | null;
  readonly artifact_digest?: string | null;
  readonly stage?: string;
  readonly reason?: string;
  readonly from_version?: number | string | null;
  readonly to_version?: number | string | null;
  readonly update_version?: number;
  readonly hash: string;
}

/** Where a chain breaks: the entry's position and how. */
interface ChainBreak {
  readonly position: number;
  readonly reason: string;
}

/** The chain's verification as the API answers it (`verification`; older answers: `chain` with `intact`). */
interface ChainState {
  readonly verified?: boolean;
  readonly intact?: boolean;
  readonly entries: number;
  readonly first_broken?: ChainBreak;
  readonly firstBad?: ChainBreak;
}

interface AuditAnswer {
  readonly entries: readonly AuditEntry[];
  readonly principals?: Readonly<Record<string, string>>;
  readonly verification?: ChainState;
  readonly chain?: ChainState;
}

/** The trail's query for the filters: the server filters; the page filters again so an older server still narrows. */
function auditPath(project: string, stack: string, action: string): string {
  const query = new URLSearchParams({ limit: "200" });
  if (project) query.set("project_id", project);
  if (stack) query.set("stack", stack);
  if (action) query.set("action", action);
  return `/v1/audit?${query.toString()}`;
}

/** What an entry did, in words. */
function entrySentence(entry: AuditEntry): string {
  const action = entry.action.replace(/_/g, " ");
  const version = entry.version_name ? ` ${entry.version_name}` : entry.update_version !== undefined ? ` update ${entry.update_version}` : "";
  const move = entry.from_version !== undefined && entry.to_version !== undefined && entry.from_version !== null ? ` from ${entry.from_version} to ${entry.to_version}` : "";
  return `${action}${version}${move}`;
}

function ChainSentence({ chain }: { chain: ChainState | undefined }): JSX.Element | null {
  if (!chain) return null;
  const broken = chain.first_broken ?? chain.firstBad;
  if (chain.verified ?? chain.intact) {
    return (
      <p class="verify">
        <StatusBadge status="verified" label="Verified" />
        <span>Chain verified: {plural(chain.entries, "entry", "entries")}.</span>
      </p>
    );
  }
  return (
    <p class="verify" role="alert">
      <StatusBadge status="broken" label="Broken" />
      <span>
        Chain broken at {broken ? `entry ${broken.position}: ${broken.reason}` : "an entry that does not match the hash before it"}. Entries from there on may have
        been changed or removed.
      </span>
    </p>
  );
}

/** The audit trail: every operation, who did it and how it ended, filterable, with the hash chain's verification. */
export function AuditScreen({ query }: ScreenProps): JSX.Element {
  const session = useSession();
  // The whole trail is for a token of every project; a token of some projects reads one project's trail at a time.
  const ownProjects = session && !session.principal.projects.includes("*") ? [...session.principal.projects].sort() : null;
  const project = query.get("project") ?? ownProjects?.[0] ?? "";
  const stack = query.get("stack") ?? "";
  const action = query.get("action") ?? "";
  const stacks = useApi<{ stacks: StackSummary[] }>("/v1/stacks");
  const trail = useApi<AuditAnswer>(auditPath(project, stack, action));

  const setFilter = (name: "project" | "stack" | "action", value: string): void => {
    const next = new URLSearchParams({ project, stack, action });
    next.set(name, value);
    // A stack belongs to one project: changing the project clears a stack of another.
    if (name === "project" && stack && !stack.startsWith(`${value}.`)) next.set("stack", "");
    const kept = [...next.entries()].filter(([, v]) => v !== "");
    navigate(`/audit${kept.length > 0 ? `?${new URLSearchParams(kept).toString()}` : ""}`, { replace: true });
  };

  const projects = ownProjects ?? [...new Set((stacks.data?.stacks ?? []).map((s) => s.project_id))].sort();
  const stackNames = (stacks.data?.stacks ?? [])
    .filter((s) => !project || s.project_id === project)
    .map((s) => s.stack)
    .sort();
  const entries = (trail.data?.entries ?? [])
    .filter((entry) => (!project || entry.stack.startsWith(`${project}.`)) && (!stack || entry.stack === stack) && (!action || entry.action === action))
    .slice()
    .reverse();
  const principals = trail.data?.principals ?? {};

  return (
    <>
      <h1>Audit trail</h1>
      <p class="muted">Every operation on the stacks, who ran it and how it ended. Each entry is chained to the one before it by hash, so a changed or removed entry shows.</p>
      <form class="filters card" aria-label="Filter the audit trail" onSubmit={(event) => event.preventDefault()}>
        <div class="field">
          <label for="audit-project">Project</label>
          <select id="audit-project" value={project} onChange={(event) => setFilter("project", event.currentTarget.value)}>
            {ownProjects ? null : <option value="">All projects</option>}
            {projects.map((id) => (
              <option key={id} value={id}>
                {id}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-stack">Stack</label>
          <select id="audit-stack" value={stack} onChange={(event) => setFilter("stack", event.currentTarget.value)}>
            <option value="">All stacks</option>
            {stackNames.map((name) => (
              <option key={name} value={name}>
                {name}
              </option>
            ))}
          </select>
        </div>
        <div class="field">
          <label for="audit-action">Action</label>
          <select id="audit-action" value={action} onChange={(event) => setFilter("action", event.currentTarget.value)}>
            <option value="">All actions</option>
            {ACTIONS.map((name) => (
              <option key={name} value={name}>
                {name.replace(/_/g, " ")}
              </option>
            ))}
          </select>
        </div>
      </form>
      {trail.failure ? (
        trail.status === 403 ? (
          <EmptyState title="The audit trail is for admin tokens.">
            <p>Sign in with a token of the admin scope for {project ? `project ${project}` : "every project (or pick one project above)"} to read it.</p>
          </EmptyState>
        ) : (
          <FailureBox failure={trail.failure} title="Could not load the audit trail" />
        )
      ) : null}
      {trail.loading && trail.data === null ? <Spinner label="Loading the audit trail…" /> : null}
      {trail.data && !trail.failure ? (
        <>
          <ChainSentence chain={trail.data.verification ?? trail.data.chain} />
          {entries.length === 0 ? (
            <EmptyState title={project || stack || action ? "No entries match these filters." : "No operations recorded yet."}>
              <p>{project || stack || action ? "Choose other filters, or all projects, stacks and actions." : "Deployments, rollbacks and promotions appear here as they run."}</p>
            </EmptyState>
          ) : (
            <div class="table-wrap" role="region" aria-label="Audit entries" tabIndex={0}>
              <table class="table-stack">
                <caption class="visually-hidden">Audit entries, newest first</caption>
                <thead>
                  <tr>
                    <th scope="col">Time</th>
                    <th scope="col">Stack</th>
                    <th scope="col">What</th>
                    <th scope="col">Result</th>
                    <th scope="col">Who</th>
                    <th scope="col">Digest</th>
                  </tr>
                </thead>
                <tbody>
                  {entries.map((entry) => (
                    <tr key={entry.hash}>
                      <td data-label="Time">
                        <time dateTime={entry.time} title={localTime(entry.time)}>
                          {timeAgo(entry.time)}
                        </time>
                        <div class="muted small">{localTime(entry.time)}</div>
                      </td>
                      <td data-label="Stack">
                        <span class="mono">{entry.stack}</span>
                      </td>
                      <td data-label="What">
                        {entrySentence(entry)}
                        {entry.reason ? (
                          <div class="muted small">
                            {entry.stage ? `${entry.stage}: ` : ""}
                            {entry.reason}
                          </div>
                        ) : null}
                      </td>
                      <td data-label="Result">
                        <StatusBadge status={entry.status === "success" ? "succeeded" : entry.status === "error" ? "failed" : entry.status} />
                      </td>
                      <td data-label="Who">
                        {entry.actor ? (principals[entry.actor] ?? entry.actor) : <span class="muted">unknown</span>}
                        {entry.deployer && entry.deployer !== principals[entry.actor ?? ""] ? <div class="muted small">for {entry.deployer}</div> : null}
                      </td>
                      <td data-label="Digest">{entry.artifact_digest ? <code title={entry.artifact_digest}>{shortDigest(entry.artifact_digest)}</code> : <span class="muted">none</span>}</td>
                    </tr>
                  ))}
                </tbody>
              </table>
            </div>
          )}
        </>
      ) : null}
    </>
  );
}
