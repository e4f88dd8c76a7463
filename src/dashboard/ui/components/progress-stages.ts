/** The stages of a deployment's run, in the order its progress lines announce them. */
export const RUN_STAGES = ["plan", "checks", "package", "deploying", "verify"] as const;

/** A stage of a deployment's run. */
export type RunStage = (typeof RUN_STAGES)[number];

// Each stage's opening lines as the library words them (deploy-stages.ts), and the engine's resource lines
// (`+ type name create...`, `done in 3s: ...`) which only come while deploying.
const STAGE_LINES: readonly (readonly [RunStage, RegExp])[] = [
  ["plan", /^(planning\b|using the plan made)/],
  ["checks", /^pre-deployment checks\b/],
  ["package", /^(packaging|unpacking)\b/],
  ["deploying", /^(previewing|deploying|rolling .* back|aborting the canary)\b|^(\+-|\+\+|--|[+~\-!>*]) \S|^done in \d/],
  ["verify", /^(verifying|canary)\b/],
];

/** The stage a progress line belongs to, or null for a line that does not say (a warning, a note). */
export function stageOfLine(line: string): RunStage | null {
  for (const [stage, pattern] of STAGE_LINES) if (pattern.test(line)) return stage;
  return null;
}

/** The furthest stage any of these lines reached (a later line never moves the bar back). */
export function furthestStage(lines: readonly string[]): number {
  let furthest = -1;
  for (const line of lines) {
    const stage = stageOfLine(line);
    if (stage !== null) furthest = Math.max(furthest, RUN_STAGES.indexOf(stage));
  }
  return furthest;
}

/** How a progress line reads to a person: an engine resource line says what happens to which resource. */
export function lineKind(line: string): "create" | "update" | "delete" | "failed" | "error" | "stage" {
  if (/^(!|error:)/.test(line)) return line.startsWith("!") ? "failed" : "error";
  if (/^(\+-|\+\+|\+) /.test(line)) return "create";
  if (/^(~) /.test(line)) return "update";
  if (/^(-|--) /.test(line)) return "delete";
  return "stage";
}
