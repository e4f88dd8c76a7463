import type { JSX } from "preact";
import { plural } from "../format";
import type { PlanAnswer, PreviewAnswer } from "./flow-types";

/** Props of {@link PlanSummary}. */
export interface PlanSummaryProps {
  readonly plan: PlanAnswer;
}

/**
 * The plan's explanation for a person: where the request deploys and how it is built, every decision with its
 * reason, warnings and what to do after deploying (the same content `deployment-planner plan` prints).
 */
export function PlanSummary({ plan }: PlanSummaryProps): JSX.Element {
  if (plan.status === "redeploy") {
    return (
      <section class="plan-summary" aria-labelledby="plan-summary-heading">
        <h2 id="plan-summary-heading">The plan</h2>
        <p>{plan.summary}</p>
        <Warnings warnings={plan.warnings ?? []} />
      </section>
    );
  }
  const { spec } = plan;
  const build = spec.build;
  return (
    <section class="plan-summary" aria-labelledby="plan-summary-heading">
      <h2 id="plan-summary-heading">The plan</h2>
      <p>
        {`${spec.stack}: ${spec.deployment_type.replace(/_/g, " ")} on ${spec.target} (${spec.region})`}
        {build?.kind ? `, built as ${build.kind}${build.framework ? ` (${build.framework})` : ""}${build.source ? ` from ${build.source}` : ""}` : ""}
        {spec.version_name ? `, named ${spec.version_name}` : ""}.
      </p>
      {spec.rollout?.strategy === "canary" && spec.rollout.steps ? <p>{`Rolled out as a canary: ${spec.rollout.steps.join("% → ")}% of the traffic.`}</p> : null}
      {(spec.decisions ?? []).length > 0 ? (
        <details class="plan-decisions" open>
          <summary>{plural((spec.decisions ?? []).length, "decision")}</summary>
          <dl>
            {(spec.decisions ?? []).map((decision) => (
              <div key={decision.topic}>
                <dt>{`${decision.topic}: ${decision.choice}`}</dt>
                <dd>{`because ${decision.reason}`}</dd>
              </div>
            ))}
          </dl>
        </details>
      ) : null}
      <Warnings warnings={plan.warnings ?? []} />
      {(spec.next_steps ?? []).length > 0 ? (
        <>
          <h3>After deploying</h3>
          <ul>
            {(spec.next_steps ?? []).map((step) => (
              <li key={step}>{step}</li>
            ))}
          </ul>
        </>
      ) : null}
    </section>
  );
}

function Warnings({ warnings }: { readonly warnings: readonly string[] }): JSX.Element | null {
  if (warnings.length === 0) return null;
  return (
    <div class="flow-warnings">
      <h3>Warnings</h3>
      <ul>
        {warnings.map((warning) => (
          <li key={warning}>{warning}</li>
        ))}
      </ul>
    </div>
  );
}

/** How the preview's counts read: "create 2 resources, leave 1 resource unchanged". */
function changeSentence(counts: readonly (readonly [string, number])[]): string {
  const parts = counts.map(([op, count]) => (op === "same" ? `leave ${plural(count, "resource")} unchanged` : `${op.replace(/_/g, " ")} ${plural(count, "resource")}`));
  return `Deploying this would ${parts.join(", ")}.`;
}

/** Props of {@link PreviewSummary}. */
export interface PreviewSummaryProps {
  readonly preview: PreviewAnswer["preview"];
}

/** The engine's preview: how many resources each kind of change touches, then each planned step. */
export function PreviewSummary({ preview }: PreviewSummaryProps): JSX.Element {
  const counts = Object.entries(preview.changes ?? {}).filter(([, count]) => typeof count === "number" && count > 0);
  const steps = preview.steps ?? [];
  const changing = counts.filter(([op]) => op !== "same");
  return (
    <section class="preview-summary" aria-labelledby="preview-summary-heading">
      <h2 id="preview-summary-heading">Engine preview</h2>
      <p>
        {changing.length === 0
          ? "Deploying this changes nothing: every resource stays as it is."
          : changeSentence(counts)}
      </p>
      {steps.length > 0 ? (
        <div class="table-wrap" tabIndex={0} role="region" aria-label="Planned steps">
        <table class="flow-table table-stack">
          <caption class="flow-sr-only">Planned steps</caption>
          <thead>
            <tr>
              <th scope="col">Change</th>
              <th scope="col">Resource</th>
              <th scope="col">Type</th>
            </tr>
          </thead>
          <tbody>
            {steps.map((step, index) => (
              <tr key={`${step.type}:${step.name}:${index}`}>
                <td data-label="Change">
                  <span class={`flow-op flow-op-${step.op.replace(/[^a-z-]/g, "")}`}>{step.op}</span>
                </td>
                <td data-label="Resource">{step.name}</td>
                <td data-label="Type" class="flow-type">{step.type}</td>
              </tr>
            ))}
          </tbody>
        </table>
        </div>
      ) : null}
    </section>
  );
}
