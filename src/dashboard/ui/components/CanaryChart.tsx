import { useEffect, useRef, useState } from "preact/hooks";
import { percent } from "../format";

/** One observation of a rollout, taken when the page polled it. */
export interface RolloutSample {
  /** Milliseconds since the page's first sample. */
  readonly t: number;
  /** The new release's share of the traffic, in percent. */
  readonly weight: number;
  /** The new release's error rate in the current step, 0..1. */
  readonly errorRate: number;
}

/** Props of {@link CanaryChart}. */
export interface CanaryChartProps {
  readonly samples: readonly RolloutSample[];
  /** The error rate above which the rollout aborts, 0..1. */
  readonly maxErrorRate: number;
}

/** The drawing's width when the page has not measured its box yet, and the narrowest it is drawn. */
const DEFAULT_WIDTH = 800;
const MIN_WIDTH = 280;
const HEIGHT = 260;
const PAD = { left: 44, right: 52, top: 14, bottom: 30 };

/**
 * The rollout over time as an SVG line chart: the new release's traffic weight (left axis, 0–100%) and its error rate
 * in the current step (right axis) against the abort threshold. Drawn from the samples this page collected; the
 * figure's caption says the same in words for a screen reader. Geometry is in SVG attributes only (no style).
 */
export function CanaryChart({ samples, maxErrorRate }: CanaryChartProps) {
  // Drawn at the width of its box, one unit a pixel, so its labels keep their size on a phone and a wide screen.
  const box = useRef<HTMLDivElement>(null);
  const [WIDTH, setWidth] = useState(DEFAULT_WIDTH);
  useEffect(() => {
    const element = box.current;
    if (!element || typeof ResizeObserver === "undefined") return;
    const observer = new ResizeObserver(() => setWidth(Math.max(MIN_WIDTH, Math.min(DEFAULT_WIDTH, Math.floor(element.clientWidth)))));
    observer.observe(element);
    return () => observer.disconnect();
  }, []);
  const plotWidth = WIDTH - PAD.left - PAD.right;
  const plotHeight = HEIGHT - PAD.top - PAD.bottom;
  const span = Math.max(samples.length > 0 ? samples[samples.length - 1]!.t : 0, 10_000);
  const observedMax = samples.reduce((max, sample) => Math.max(max, sample.errorRate), 0);
  // The error axis shows the threshold at mid-height at least, and any rate above it.
  const errorTop = niceCeiling(Math.max(observedMax, maxErrorRate * 2, 0.01));
  const x = (t: number) => PAD.left + (t / span) * plotWidth;
  const yWeight = (weight: number) => PAD.top + plotHeight - (Math.min(Math.max(weight, 0), 100) / 100) * plotHeight;
  const yError = (rate: number) => PAD.top + plotHeight - (Math.min(Math.max(rate, 0), errorTop) / errorTop) * plotHeight;
  // The weight changes in steps, so it is drawn as a staircase; the error rate as a line between samples.
  const weightPath = samples.map((sample, index) => {
    const previous = samples[index - 1];
    return index === 0 ? `M${x(sample.t)},${yWeight(sample.weight)}` : `L${x(sample.t)},${yWeight(previous!.weight)} L${x(sample.t)},${yWeight(sample.weight)}`;
  }).join(" ");
  const errorPath = samples.map((sample, index) => `${index === 0 ? "M" : "L"}${x(sample.t)},${yError(sample.errorRate)}`).join(" ");
  const seconds = Math.round(span / 1000);
  const last = samples[samples.length - 1];
  const summary = last && samples.length === 1
    ? `The new release has ${last.weight}% of the traffic; its error rate in the current step is ${percent(last.errorRate)}, the rollout aborts above ${percent(maxErrorRate)}.`
    : last
    ? `Over the last ${Math.round(last.t / 1000)} seconds the new release's share of the traffic went from ${samples[0]!.weight}% to ${last.weight}%; its error rate in the current step is ${percent(last.errorRate)} (highest seen ${percent(observedMax)}), the rollout aborts above ${percent(maxErrorRate)}.`
    : "No samples yet: the chart starts with the first status the page reads.";
  return (
    <figure class="canary-chart">
      <div ref={box} class="canary-chart-box">
      <svg viewBox={`0 0 ${WIDTH} ${HEIGHT}`} width={WIDTH} height={HEIGHT} role="img" aria-labelledby="canary-chart-title canary-chart-desc" preserveAspectRatio="xMidYMid meet">
        <title id="canary-chart-title">Traffic weight and error rate of the new release over time</title>
        <desc id="canary-chart-desc">{summary}</desc>
        {[0, 25, 50, 75, 100].map((tick) => (
          <g key={tick}>
            <line class="canary-grid" x1={PAD.left} x2={PAD.left + plotWidth} y1={yWeight(tick)} y2={yWeight(tick)} />
            <text class="canary-axis" x={PAD.left - 6} y={yWeight(tick) + 4} text-anchor="end">{`${tick}%`}</text>
            <text class="canary-axis canary-axis-error" x={PAD.left + plotWidth + 6} y={yWeight(tick) + 4} text-anchor="start">{percent((errorTop * tick) / 100)}</text>
          </g>
        ))}
        <line class="canary-threshold" x1={PAD.left} x2={PAD.left + plotWidth} y1={yError(maxErrorRate)} y2={yError(maxErrorRate)} />
        <text class="canary-axis" x={PAD.left} y={HEIGHT - 8} text-anchor="start">0 s</text>
        <text class="canary-axis" x={PAD.left + plotWidth} y={HEIGHT - 8} text-anchor="end">{`${seconds} s`}</text>
        {samples.length > 0 && <path class="canary-weight" d={weightPath} fill="none" />}
        {samples.length > 0 && <path class="canary-error" d={errorPath} fill="none" />}
        {last && <circle class="canary-weight-dot" cx={x(last.t)} cy={yWeight(last.weight)} r="4" />}
        {last && <circle class="canary-error-dot" cx={x(last.t)} cy={yError(last.errorRate)} r="4" />}
      </svg>
      </div>
      <figcaption>
        <ul class="canary-legend">
          <li class="canary-legend-weight">Traffic to the new release (left axis)</li>
          <li class="canary-legend-error">Its error rate this step (right axis)</li>
          <li class="canary-legend-threshold">{`Abort threshold ${percent(maxErrorRate)}`}</li>
        </ul>
        <p class="muted">{summary}</p>
      </figcaption>
    </figure>
  );
}

/** A round number at or above `value` (1, 2 or 5 times a power of ten), so the axis labels read cleanly. */
function niceCeiling(value: number): number {
  const power = 10 ** Math.floor(Math.log10(value));
  for (const factor of [1, 2, 5, 10]) if (factor * power >= value) return factor * power;
  return 10 * power;
}
