import type { JSX } from "preact";

/** Props of `Spinner`: what is being waited for, read out to screen readers and shown beside the spinner. */
export interface SpinnerProps {
  readonly label?: string;
}

/** A small busy indicator with a text label ("Loading projects…"). */
export function Spinner({ label = "Loading…" }: SpinnerProps): JSX.Element {
  return (
    <p class="spinner" role="status">
      <span class="spinner-wheel" aria-hidden="true" />
      {label}
    </p>
  );
}

/** Props of `Progress`: done out of total (both unknown while the total is not known yet) and a label. */
export interface ProgressProps {
  readonly value?: number | null;
  readonly max?: number | null;
  readonly label: string;
}

/** A labelled `<progress>` bar; indeterminate until a total is known. */
export function Progress({ value, max, label }: ProgressProps): JSX.Element {
  const known = typeof value === "number" && typeof max === "number" && max > 0;
  return (
    <div class="progress">
      <label class="progress-label">
        <span>{label}</span>
        {known ? <progress value={Math.min(value, max)} max={max} /> : <progress />}
      </label>
    </div>
  );
}
