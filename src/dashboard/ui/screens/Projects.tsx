import type { JSX } from "preact";
import { EmptyState } from "../components/EmptyState";
import { FailureBox } from "../components/FailureBox";
import { Spinner } from "../components/Spinner";
import { StatusBadge, type Tone } from "../components/StatusBadge";
import { byPromotionOrder, isPreview, PROMOTION_ORDER, tierOf } from "../environments";
import { localTime, plural, safeHref, timeAgo } from "../format";
import { useApi } from "../load";
import { Link, pathTo, type ScreenProps } from "../router";
import { can, useSession } from "../session";
import { displayName, type PrincipalNames, useRecentOperations } from "../principals";
import type { StackSummary } from "../types";

/** How often the lanes refresh while the screen is open (deployments elsewhere change them). */
const REFRESH_MS = 15_000;

/** A stack's health as a badge: what its last operation left serving, in words. */
function health(stack: StackSummary): { label: string; tone: Tone } {
  if (stack.locked) return { label: "Updating", tone: "busy" };
  if (stack.destroyed && !stack.serving) return { label: "Destroyed", tone: "neutral" };
  const outcome = stack.last_update?.outcome;
  if (outcome === "failed") return { label: stack.serving ? "Last update failed" : "Failed", tone: "bad" };
  if (outcome === "cancelled" || outcome === "interrupted") return { label: `Last update ${outcome}`, tone: "warn" };
  if (outcome === "in-progress") return { label: "Updating", tone: "busy" };
  if (stack.serving) return { label: "Serving", tone: "ok" };
  return { label: "Not deployed", tone: "neutral" };
}

/** The rollout state in words, or null when none runs. */
function rolloutText(stack: StackSummary): string | null {
  const rollout = stack.rollout;
  if (!rollout) return null;
  const weight = typeof rollout.weight === "number" ? ` at ${rollout.weight}%` : "";
  return `Canary ${rollout.status}${weight}`;
}

function Lane({ stack, names }: { stack: StackSummary; names: PrincipalNames }): JSX.Element {
  const state = health(stack);
  const href = safeHref(stack.url);
  const last = stack.last_update ?? stack.serving;
  // The verified name of who did it first; the request's deployer label or the raw actor when there is none.
  const named = stack.last_update ? stack.last_update_by_name : stack.serving_by_name;
  const who = last ? (named ?? last.deployer ?? last.by) : null;
  const rollout = rolloutText(stack);
  const stackPath = pathTo("stacks", stack.project_id, stack.environment);
  return (
    <li class="lane">
      <div class="lane-head">
        <h3>
          <Link href={stackPath}>{stack.environment}</Link>
        </h3>
        <StatusBadge status={null} label={state.label} tone={state.tone} />
      </div>
      <p class="lane-version">
        {stack.version_name ?? (stack.update !== null ? "unnamed release" : "nothing serving")}
        {stack.update !== null ? <span class="muted"> · update {stack.update}</span> : null}
      </p>
      <dl class="facts">
        <dt>URL</dt>
        <dd>{href ? <a href={href}>{stack.url}</a> : <span class="muted">none</span>}</dd>
        <dt>Updated</dt>
        <dd>{last ? <time dateTime={last.time} title={localTime(last.time)}>{timeAgo(last.time)}</time> : <span class="muted">never</span>}</dd>
        <dt>By</dt>
        <dd>{who ?? <span class="muted">unknown</span>}</dd>
        <dt>Lock</dt>
        <dd>{stack.locked ? "Locked by a running operation" : "Unlocked"}</dd>
        <dt>Rollout</dt>
        <dd>{rollout ? <Link href={`${stackPath}/rollout`}>{rollout}</Link> : <span class="muted">none</span>}</dd>
        {stack.expires_at ? (
          <>
            <dt>Expires</dt>
            <dd>
              <time dateTime={stack.expires_at}>{localTime(stack.expires_at)}</time>
            </dd>
          </>
        ) : null}
      </dl>
    </li>
  );
}

function MissingLane({ projectId, environment, canDeploy }: { projectId: string; environment: string; canDeploy: boolean }): JSX.Element {
  return (
    <li class="lane lane-empty">
      <div class="lane-head">
        <h3>{environment}</h3>
        <StatusBadge status={null} label="Not deployed" tone="neutral" />
      </div>
      <p class="muted">No {environment} stack yet.</p>
      {canDeploy ? <Link href={`/new?project=${encodeURIComponent(projectId)}&environment=${encodeURIComponent(environment)}`}>Deploy to {environment}</Link> : null}
    </li>
  );
}

function Project({ projectId, stacks, names }: { projectId: string; stacks: readonly StackSummary[]; names: PrincipalNames }): JSX.Element {
  const session = useSession();
  const canDeploy = can(session, "deploy", projectId);
  const lanes = stacks.filter((stack) => !isPreview(stack.environment)).sort((a, b) => byPromotionOrder(a.environment, b.environment));
  const previews = stacks.filter((stack) => isPreview(stack.environment)).sort((a, b) => a.environment.localeCompare(b.environment));
  const tiers = new Set(lanes.map((stack) => tierOf(stack.environment)));
  const missing = PROMOTION_ORDER.filter((tier) => !tiers.has(tier));
  const headingId = `project-${projectId}`;
  return (
    <section class="project" aria-labelledby={headingId}>
      <div class="project-head">
        <h2 id={headingId}>
          <Link href={pathTo("projects", projectId)}>{projectId}</Link>
        </h2>
        <span class="muted">{plural(stacks.length, "stack")}</span>
      </div>
      <ol class="lanes" aria-label={`${projectId} environments in promotion order`}>
        {lanes.map((stack) => (
          <Lane key={stack.stack} stack={stack} names={names} />
        ))}
        {missing.map((environment) => (
          <MissingLane key={environment} projectId={projectId} environment={environment} canDeploy={canDeploy} />
        ))}
      </ol>
      {previews.length > 0 ? (
        <>
          <h3 class="previews-title">Previews</h3>
          <ul class="lanes" aria-label={`${projectId} previews`}>
            {previews.map((stack) => (
              <Lane key={stack.stack} stack={stack} names={names} />
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

/** Projects: each project's environments as lanes in promotion order, previews apart. */
export function ProjectsScreen({ params }: ScreenProps): JSX.Element {
  const session = useSession();
  const only = params.project ?? null;
  const { data, failure, loading } = useApi<{ stacks: StackSummary[] }>(only ? `/v1/stacks?project_id=${encodeURIComponent(only)}` : "/v1/stacks", { pollMs: REFRESH_MS });
  const { names } = useRecentOperations(only, null, 200);
  const byProject = new Map<string, StackSummary[]>();
  for (const stack of data?.stacks ?? []) {
    const list = byProject.get(stack.project_id) ?? [];
    list.push(stack);
    byProject.set(stack.project_id, list);
  }
  const projects = [...byProject.keys()].sort((a, b) => a.localeCompare(b));
  const mayDeploy = session !== null && session.principal.scope !== "read" && (only === null || can(session, "deploy", only));

  return (
    <>
      <div class="page-head">
        <h1>Projects</h1>
      </div>
      {only ? (
        <p>
          Showing project <strong>{only}</strong>. <Link href="/projects">Show every project</Link>
        </p>
      ) : null}
      {failure ? <FailureBox failure={failure} title="Could not load the projects" /> : null}
      {loading && data === null ? <Spinner label="Loading projects…" /> : null}
      {data !== null && projects.length === 0 ? (
        <EmptyState title="Nothing deployed yet — start a new deployment">
          {mayDeploy ? (
            <Link href="/new" class="button button-primary">
              Deploy a project
            </Link>
          ) : (
            <p>Your token may only read. Ask someone with a deploy token to deploy, or sign in with one.</p>
          )}
        </EmptyState>
      ) : null}
      {projects.map((projectId) => (
        <Project key={projectId} projectId={projectId} stacks={byProject.get(projectId) ?? []} names={names} />
      ))}
    </>
  );
}
