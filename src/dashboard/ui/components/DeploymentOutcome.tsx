import type { JSX } from "preact";
import { plural } from "../format";
import { FailureBox } from "./FailureBox";
import { isFailureShape, type DeploymentRecord, type FailureShape, type SuccessShape } from "./flow-types";

/** Props of {@link DeploymentOutcome}. */
export interface DeploymentOutcomeProps {
  readonly deployment: DeploymentRecord;
}

const OPERATION_DONE: Readonly<Record<string, string>> = {
  deploy: "Deployed",
  rollback: "Rolled back to",
  promote: "Promoted",
  destroy: "Destroyed",
};

/**
 * A finished deployment's result in the brief's shape: on success a sentence with the version and the URL as a link,
 * what changed, warnings and `next_steps` as a checklist; on failure the stage, the reason and the fix suggestion.
 */
export function DeploymentOutcome({ deployment }: DeploymentOutcomeProps): JSX.Element | null {
  const result = deployment.result;
  if (deployment.status === "failed" || isFailureShape(result)) {
    const failure = isFailureShape(result)
      ? result
      : { stage: "internal", reason: "the deployment failed without a result", fix_suggestion: "Look at the engine log below, then try again." };
    return (
      <section class="flow-outcome" aria-labelledby="flow-outcome-heading">
        <h2 id="flow-outcome-heading">Result</h2>
        <FailureBox failure={failure} title={`The ${deployment.operation} of ${deployment.stack} failed`} />
        {isFailureShape(result) && result.canary ? (
          <p>
            {canarySentence(result.canary)}
          </p>
        ) : null}
      </section>
    );
  }
  if (deployment.status === "superseded") {
    const reason = (result as { reason?: unknown } | null)?.reason;
    return (
      <section class="flow-outcome" aria-labelledby="flow-outcome-heading">
        <h2 id="flow-outcome-heading">Result</h2>
        <p>{typeof reason === "string" ? `This deployment never ran: ${reason}.` : "This deployment never ran: a newer one replaced it."}</p>
      </section>
    );
  }
  if (result === null) return null;
  const success = result as SuccessShape;
  const version = success.version_name ? success.version_name : typeof success.version === "number" ? `version ${success.version}` : null;
  const verb = OPERATION_DONE[deployment.operation] ?? "Finished";
  const changes = Object.entries(success.changes ?? {}).filter(([op, count]) => op !== "same" && typeof count === "number" && count > 0);
  const steps = success.next_steps ?? [];
  return (
    <section class="flow-outcome" aria-labelledby="flow-outcome-heading">
      <h2 id="flow-outcome-heading">Result</h2>
      <div class="flow-success" role="status">
        <p class="flow-success-title">
          <span class="flow-success-mark" aria-hidden="true">✓</span>
          {`${verb} ${deployment.operation === "destroy" ? deployment.stack : version ?? deployment.stack}`}
          {success.url ? (
            <>
              {" — "}
              <a href={safeUrl(success.url)} rel="noreferrer noopener" target="_blank">
                {success.url}
              </a>
            </>
          ) : null}
        </p>
        <p class="muted">
          {[
            changes.length > 0 ? `Changes: ${changes.map(([op, count]) => `${count} ${op}`).join(", ")}.` : "No resource changed.",
            typeof success.duration_ms === "number" ? `Took ${Math.round(success.duration_ms / 1000)} s.` : "",
          ].filter(Boolean).join(" ")}
        </p>
        {success.url_changed_from ? <p>{`The URL moved from ${success.url_changed_from}: links to the old address are stale.`}</p> : null}
      </div>
      {(success.warnings ?? []).length > 0 ? (
        <div class="flow-warnings">
          <h3>Warnings</h3>
          <ul>
            {(success.warnings ?? []).map((warning) => (
              <li key={warning}>{warning}</li>
            ))}
          </ul>
        </div>
      ) : null}
      {steps.length > 0 ? (
        <fieldset class="flow-next-steps">
          <legend>Next steps</legend>
          {steps.map((step, index) => (
            <label key={step} class="flow-check">
              <input type="checkbox" name={`next-step-${index}`} />
              <span>{step}</span>
            </label>
          ))}
        </fieldset>
      ) : null}
    </section>
  );
}

/** What an aborted canary saw, said plainly: over the limit only when it was, and why it stopped. */
function canarySentence(canary: NonNullable<FailureShape["canary"]>): string {
  const where = `step ${canary.step}${canary.weight_percent === null ? "" : ` (${canary.weight_percent}% of the traffic)`}`;
  const seen = `${plural(canary.errors, "error")} in ${plural(canary.requests, "request")}`;
  const rate = `${(canary.error_rate * 100).toFixed(1)}%`;
  const limit = `${(canary.max_error_rate * 100).toFixed(1)}%`;
  const judged = canary.error_rate > canary.max_error_rate ? `${rate}, above the ${limit} limit` : `${rate}, within the ${limit} limit`;
  return `The canary stopped at ${where}: the new release had ${seen} (${judged})${canary.reason ? `; ${canary.reason}` : ""}.`;
}

/** The URL when it is http(s), so a result can never turn a link into script; anything else links nowhere. */
export function safeUrl(url: string): string {
  try {
    const parsed = new URL(url);
    return parsed.protocol === "http:" || parsed.protocol === "https:" ? parsed.href : "#";
  } catch {
    return "#";
  }
}
