import { useEffect, useRef } from "preact/hooks";
import { lineKind, RUN_STAGES } from "./progress-stages";

/** One progress line as the deployment's event stream sent it. */
export interface ProgressLine {
  readonly id: string;
  readonly at: string | null;
  readonly line: string;
}

/** Props of {@link ProgressLog}. */
export interface ProgressLogProps {
  readonly lines: readonly ProgressLine[];
  /** Index in RUN_STAGES of the furthest stage reached; -1 before the first. */
  readonly stage: number;
  /** True once the run has a result: the bar is full whatever stage it stopped at. */
  readonly finished: boolean;
  readonly failed: boolean;
}

/**
 * A deployment's progress: a bar over the run's stages (plan, checks, package, deploying, verify) and every progress
 * line as it arrived, the engine's resource lines marked by what they do. The list keeps its newest line in view while
 * the person has not scrolled away from the end.
 */
export function ProgressLog({ lines, stage, finished, failed }: ProgressLogProps) {
  const list = useRef<HTMLOListElement>(null);
  const followEnd = useRef(true);
  useEffect(() => {
    const element = list.current;
    if (element && followEnd.current) element.scrollTop = element.scrollHeight;
  }, [lines.length]);
  const onScroll = () => {
    const element = list.current;
    if (element) followEnd.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
  };
  // The bar stands half-way through the stage in progress: a stage is only done once the next one begins.
  const reached = finished ? RUN_STAGES.length : stage < 0 ? 0 : stage + 0.5;
  const current = RUN_STAGES[Math.min(Math.max(stage, 0), RUN_STAGES.length - 1)] ?? RUN_STAGES[0];
  const label = finished ? (failed ? `Stopped at ${current}` : "Finished") : stage < 0 ? "Waiting for a worker" : `Stage ${stage + 1} of ${RUN_STAGES.length}: ${current}`;
  const stageClass = (index: number): string => {
    if (finished && failed && index === Math.max(stage, 0)) return "flow-stage flow-stage-failed";
    if (index < stage || (finished && !failed)) return "flow-stage flow-stage-done";
    if (index === stage && !finished) return "flow-stage flow-stage-current";
    return "flow-stage";
  };
  return (
    <section class="flow-progress" aria-labelledby="flow-progress-heading">
      <h2 id="flow-progress-heading">Progress</h2>
      <div class="flow-progress-bar">
        <label for="flow-progress-meter">{label}</label>
        <progress id="flow-progress-meter" max={RUN_STAGES.length} value={reached} />
        <ol class="flow-stages" aria-hidden="true">
          {RUN_STAGES.map((name, index) => (
            <li key={name} class={stageClass(index)}>
              {name}
            </li>
          ))}
        </ol>
      </div>
      {lines.length === 0 ? (
        <p class="muted">{finished ? "This run recorded no progress lines." : "No progress yet: the deployment waits for a worker."}</p>
      ) : (
        <ol class="flow-lines" ref={list} onScroll={onScroll} aria-live="polite" aria-relevant="additions" tabIndex={0} aria-label="Progress lines">
          {lines.map((entry) => (
            <li key={entry.id} class={`flow-line flow-line-${lineKind(entry.line)}`}>
              {entry.line}
            </li>
          ))}
        </ol>
      )}
    </section>
  );
}
