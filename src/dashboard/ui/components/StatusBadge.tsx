import type { JSX } from "preact";

/** The tone a status is shown in; the badge always carries a text label too, never colour alone. */
export type Tone = "ok" | "bad" | "busy" | "warn" | "neutral";

const TONES: Record<string, Tone> = {
  succeeded: "ok",
  success: "ok",
  healthy: "ok",
  ok: "ok",
  up: "ok",
  deployed: "ok",
  promoted: "ok",
  verified: "ok",
  failed: "bad",
  failure: "bad",
  error: "bad",
  unhealthy: "bad",
  down: "bad",
  broken: "bad",
  queued: "busy",
  pending: "busy",
  running: "busy",
  in_progress: "busy",
  progressing: "busy",
  deploying: "busy",
  started: "busy",
  aborted: "warn",
  cancelled: "warn",
  canceled: "warn",
  locked: "warn",
  degraded: "warn",
  rolled_back: "warn",
  unknown: "neutral",
};

const MARKS: Record<Tone, string> = { ok: "✓", bad: "✕", busy: "●", warn: "!", neutral: "–" };

/** The tone of a status word from the API ("succeeded", "failed", "running", ...); unknown words are neutral. */
export function toneOf(status: string | null | undefined): Tone {
  return TONES[(status ?? "unknown").toLowerCase()] ?? "neutral";
}

/** Props of `StatusBadge`: the status word, and optionally the words to show instead of it. */
export interface StatusBadgeProps {
  readonly status: string | null | undefined;
  readonly label?: string;
  readonly tone?: Tone;
}

/** A status as a small labelled badge: a mark and a word, in a colour that agrees with them. */
export function StatusBadge({ status, label, tone }: StatusBadgeProps): JSX.Element {
  const resolved = tone ?? toneOf(status);
  const text = label ?? (status ? status.replace(/_/g, " ") : "unknown");
  return (
    <span class={`badge badge-${resolved}`}>
      <span class="badge-mark" aria-hidden="true">
        {MARKS[resolved]}
      </span>
      {text}
    </span>
  );
}
