import type { JSX } from "preact";
import type { FailureBody } from "../api";

/** Props of `FailureBox`: the failure object from the API (or an `ApiFailure`'s `failure`) and an optional title. */
export interface FailureBoxProps {
  readonly failure: FailureBody;
  readonly title?: string;
}

/** A failure as the API states it: the stage that failed, the reason, and the fix suggestion shown prominently. */
export function FailureBox({ failure, title = "Something went wrong" }: FailureBoxProps): JSX.Element {
  const others = (failure.problems ?? []).filter((problem) => problem !== failure.reason);
  return (
    <section class="failure" role="alert" aria-label={title}>
      <p class="failure-title">
        <span class="failure-mark" aria-hidden="true">
          ✕
        </span>
        {title}
        <span class="failure-stage">
          Stage: <strong>{failure.stage}</strong>
        </span>
      </p>
      <p class="failure-reason">{failure.reason}</p>
      {others.length > 0 ? (
        <ul class="failure-problems">
          {others.map((problem) => (
            <li key={problem}>{problem}</li>
          ))}
        </ul>
      ) : null}
      {failure.fix_suggestion ? (
        <p class="failure-fix">
          <strong>Fix:</strong> {failure.fix_suggestion}
        </p>
      ) : null}
    </section>
  );
}
