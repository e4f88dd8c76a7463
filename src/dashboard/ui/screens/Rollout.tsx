import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, ApiFailure, type FailureBody } from "../api";
import { CanaryChart, type RolloutSample } from "../components/CanaryChart";
import { ConfirmDialog } from "../components/ConfirmDialog";
import { EmptyState } from "../components/EmptyState";
import { FailureBox } from "../components/FailureBox";
import { failureOf, type ReleaseCounts, type RolloutShape } from "../components/flow-types";
import { Spinner } from "../components/Spinner";
import { StatusBadge } from "../components/StatusBadge";
import { localTime, percent, plural, timeAgo } from "../format";
import { Link, pathTo, type ScreenProps } from "../router";
import { can, useSession } from "../session";

/** How often a running rollout is read again. */
const POLL_MS = 1_500;
/** How often the page looks for a new rollout while none runs. */
const IDLE_POLL_MS = 3_000;
/** How many samples the chart keeps (about a quarter of an hour at the polling rate). */
const KEPT_SAMPLES = 600;

const STATUS_WORDS: Readonly<Record<RolloutShape["status"], string>> = {
  running: "Running",
  held: "Held: its deployer went away; the next operation on the stack ends it",
  completed: "Completed: the new release takes all the traffic",
  aborted: "Aborted: the stable release takes all the traffic",
};

const STEP_WORDS: Readonly<Record<string, string>> = { done: "passed", current: "now", stopped: "stopped here", waiting: "next", skipped: "skipped" };

/** The rollout in an answer: the route's own shape (`{ rollout }`) or a rollout itself, or null when there is none. */
function rolloutIn(answer: unknown): RolloutShape | null {
  if (typeof answer !== "object" || answer === null) return null;
  if ("steps" in answer && "status" in answer) return answer as RolloutShape;
  const inner = (answer as { rollout?: unknown; last_rollout?: unknown }).rollout ?? (answer as { last_rollout?: unknown }).last_rollout;
  return typeof inner === "object" && inner !== null && "steps" in inner ? (inner as RolloutShape) : null;
}

/**
 * A stack's canary rollout (`/stacks/:project/:environment/rollout`), read every 1.5 s while it runs: its steps, the
 * new release's current weight, each release's requests and error rate this step and in total, a chart of the
 * samples this page collected, and how it ended. Deploy tokens get "Abort" and "Promote now" while it runs.
 */
export function RolloutScreen({ params }: ScreenProps): JSX.Element {
  const project = params.project ?? "";
  const environment = params.environment ?? "";
  const session = useSession();
  const [rollout, setRollout] = useState<RolloutShape | null | undefined>(undefined);
  const [loadFailure, setLoadFailure] = useState<FailureBody | null>(null);
  const [samples, setSamples] = useState<readonly RolloutSample[]>([]);
  const [confirm, setConfirm] = useState<"abort" | "promote" | null>(null);
  const [acting, setActing] = useState(false);
  const [actionFailure, setActionFailure] = useState<FailureBody | null>(null);
  const [actionDone, setActionDone] = useState<string | null>(null);
  const [refresh, setRefresh] = useState(0);
  const firstSampleAt = useRef<number | null>(null);
  const sampledRollout = useRef<string | null>(null);
  const lastWasLive = useRef(false);
  const stackPath = pathTo("stacks", project, environment);
  const apiPath = `/v1/stacks/${encodeURIComponent(project)}/${encodeURIComponent(environment)}`;

  useEffect(() => {
    let cancelled = false;
    let timer: ReturnType<typeof setTimeout> | undefined;
    const read = async (): Promise<void> => {
      let next: RolloutShape | null;
      try {
        next = rolloutIn(await api<unknown>("GET", `${apiPath}/rollout`));
        setLoadFailure(null);
      } catch (error) {
        if (cancelled) return;
        try {
          // A service without the rollout route (or none to report) still has the stack's last rollout in its status.
          if (!(error instanceof ApiFailure && error.status === 404)) throw error;
          next = rolloutIn(await api<unknown>("GET", apiPath));
          setLoadFailure(null);
        } catch (fallbackError) {
          if (cancelled) return;
          setLoadFailure(failureOf(fallbackError));
          timer = setTimeout(() => void read(), POLL_MS * 2);
          return;
        }
      }
      if (cancelled) return;
      setRollout(next);
      if (next) {
        const live = next.status === "running" || next.status === "held";
        // A new rollout starts a new chart; a finished one adds its final state once, not a flat line forever.
        const fresh = next.started_at !== sampledRollout.current;
        if (fresh) {
          sampledRollout.current = next.started_at;
          firstSampleAt.current = null;
        }
        if (fresh || live || lastWasLive.current) {
          const now = Date.now();
          firstSampleAt.current ??= now;
          const sample = { t: now - firstSampleAt.current, weight: next.weight, errorRate: next.step_counts.canary.error_rate };
          setSamples((previous) => [...(fresh ? [] : previous), sample].slice(-KEPT_SAMPLES));
        }
        lastWasLive.current = live;
      }
      // Read again fast while it runs; slower otherwise, so a canary deployment started after the page opened (or a
      // next one after this rollout ended) still appears without a reload.
      timer = setTimeout(() => void read(), next !== null && (next.status === "running" || next.status === "held") ? POLL_MS : IDLE_POLL_MS);
    };
    void read();
    return () => {
      cancelled = true;
      if (timer !== undefined) clearTimeout(timer);
    };
  }, [apiPath, refresh]);

  const act = async (action: "abort" | "promote"): Promise<void> => {
    setActing(true);
    setActionFailure(null);
    try {
      // No reason of its own: the service records who asked ("aborted by <name>"), which says more.
      await api<unknown>("POST", `${apiPath}/rollout/${action}`, {});
      setActionDone(action === "abort" ? "Abort requested: the stable release takes all the traffic back." : "Promotion requested: the new release takes all the traffic.");
      setRefresh((value) => value + 1);
    } catch (error) {
      setActionFailure(failureOf(error));
    } finally {
      setActing(false);
      setConfirm(null);
    }
  };

  const heading = (
    <>
      <h1>Canary rollout</h1>
      <p class="muted">
        <Link href={stackPath}>{`${project} · ${environment}`}</Link>
      </p>
    </>
  );
  if (rollout === undefined && loadFailure === null) {
    return (
      <>
        {heading}
        <Spinner label="Reading the rollout…" />
      </>
    );
  }
  if (rollout === undefined || (rollout === null && loadFailure !== null)) {
    return (
      <>
        {heading}
        <FailureBox failure={loadFailure!} title="The rollout cannot be read" />
      </>
    );
  }
  if (rollout === null) {
    return (
      <>
        {heading}
        <EmptyState title="This stack has no canary rollout.">
          <p>
            A rollout appears here while a deployment with a canary strategy runs. <Link href={`/new?project=${encodeURIComponent(project)}&environment=${encodeURIComponent(environment)}`}>Start a new deployment</Link>
          </p>
        </EmptyState>
      </>
    );
  }
  const live = rollout.status === "running" || rollout.status === "held";
  const mayAct = live && can(session, "deploy", project);
  return (
    <>
      {heading}
      {loadFailure ? <p role="alert">{`The latest status could not be read (${loadFailure.reason}); trying again.`}</p> : null}
      <section class="rollout-state" aria-labelledby="rollout-state-heading">
        <h2 id="rollout-state-heading" class="flow-sr-only">
          State
        </h2>
        <p class="rollout-status">
          <StatusBadge status={rollout.status} tone={rollout.status === "completed" ? "ok" : undefined} />
          <span>{STATUS_WORDS[rollout.status] ?? rollout.status}</span>
        </p>
        {rollout.reason ? (
          <p class={rollout.status === "aborted" ? "rollout-reason rollout-reason-aborted" : "rollout-reason"}>
            <strong>{rollout.status === "aborted" ? "Reason: " : "Note: "}</strong>
            {rollout.reason}
          </p>
        ) : null}
        <p class="rollout-weight">
          <span class="rollout-weight-figure">{`${rollout.weight}%`}</span>
          {` of the traffic goes to the new release ${rollout.canary}; ${100 - rollout.weight}% to the stable release ${rollout.stable}.`}
        </p>
        <ol class="rollout-steps" aria-label="Steps">
          {rollout.steps.map((weight, index) => {
            const number = index + 1;
            const state =
              number < rollout.step || (rollout.status === "completed" && number <= rollout.step)
                ? "done"
                : number === rollout.step
                  ? rollout.status === "aborted" ? "stopped" : "current"
                  : rollout.status === "running" || rollout.status === "held" ? "waiting" : "skipped";
            return (
              <li key={`${number}-${weight}`} class={`rollout-step rollout-step-${state}`} aria-current={state === "current" ? "step" : undefined}>
                <span class="rollout-step-weight">{`${weight}%`}</span>
                <span class="rollout-step-state">{STEP_WORDS[state]}</span>
              </li>
            );
          })}
        </ol>
        <p class="muted">
          {[
            live ? `Step ${rollout.step} of ${rollout.steps.length}, started ${timeAgo(rollout.step_started_at) || localTime(rollout.step_started_at)}.` : `${rollout.status === "aborted" ? "Stopped" : "Ended"} at step ${rollout.step} of ${rollout.steps.length}.`,
            `Each step lasts ${Math.round(rollout.step_interval_ms / 1000)} s; the rollout aborts when the new release's error rate passes ${percent(rollout.max_error_rate)} once ${plural(rollout.min_requests, "request")} were seen.`,
            live ? `About ${Math.ceil(rollout.time_left_ms / 1000)} s left if every step passes.` : rollout.ended_at ? `Ended ${localTime(rollout.ended_at)}.` : "",
          ].filter(Boolean).join(" ")}
        </p>
      </section>
      {mayAct ? (
        <div class="actions">
          <button type="button" class="button button-danger" disabled={acting} onClick={() => setConfirm("abort")}>
            Abort
          </button>
          <button type="button" class="button" disabled={acting} onClick={() => setConfirm("promote")}>
            Promote now
          </button>
        </div>
      ) : null}
      {actionDone ? <p role="status" class="flow-note">{actionDone}</p> : null}
      {actionFailure ? <FailureBox failure={actionFailure} title="The rollout did not change" /> : null}
      <section>
        <h2 id="rollout-releases-heading">Releases</h2>
        <div class="table-wrap" tabIndex={0} role="region" aria-labelledby="rollout-releases-heading">
        <table class="flow-table rollout-table table-stack">
          <thead>
            <tr>
              <th scope="col">Release</th>
              <th scope="col">Requests this step</th>
              <th scope="col">Error rate this step</th>
              <th scope="col">Requests in total</th>
              <th scope="col">Error rate in total</th>
            </tr>
          </thead>
          <tbody>
            <ReleaseRow label={`New: ${rollout.canary}`} step={rollout.step_counts.canary} total={rollout.total_counts.canary} limit={rollout.max_error_rate} />
            <ReleaseRow label={`Stable: ${rollout.stable}`} step={rollout.step_counts.stable} total={rollout.total_counts.stable} limit={null} />
          </tbody>
        </table>
        </div>
      </section>
      <section aria-labelledby="rollout-chart-heading">
        <h2 id="rollout-chart-heading">Over time</h2>
        <CanaryChart samples={samples} maxErrorRate={rollout.max_error_rate} />
      </section>
      <ConfirmDialog
        open={confirm === "abort"}
        title="Abort the rollout?"
        confirmLabel="Abort rollout"
        danger
        busy={acting}
        onConfirm={() => void act("abort")}
        onCancel={() => setConfirm(null)}
      >
        <p>{`The stable release ${rollout.stable} takes all the traffic back and the new release ${rollout.canary} stops; the deployment fails at its verify stage.`}</p>
      </ConfirmDialog>
      <ConfirmDialog
        open={confirm === "promote"}
        title="Promote the new release now?"
        confirmLabel="Promote now"
        busy={acting}
        onConfirm={() => void act("promote")}
        onCancel={() => setConfirm(null)}
      >
        <p>{`The new release ${rollout.canary} takes all the traffic at once, skipping the remaining steps.`}</p>
      </ConfirmDialog>
    </>
  );
}

function ReleaseRow({ label, step, total, limit }: { readonly label: string; readonly step: ReleaseCounts; readonly total: ReleaseCounts; readonly limit: number | null }): JSX.Element {
  const over = limit !== null && step.error_rate > limit;
  return (
    <tr>
      <th scope="row">{label}</th>
      <td data-label="This step">{plural(step.requests, "request")}</td>
      <td data-label="Errors, this step" class={over ? "rollout-over" : undefined}>{`${percent(step.error_rate)}${over ? " (over the limit)" : ""} · ${plural(step.errors, "error")}`}</td>
      <td data-label="In total">{plural(total.requests, "request")}</td>
      <td data-label="Errors, in total">{`${percent(total.error_rate)} · ${plural(total.errors, "error")}`}</td>
    </tr>
  );
}
