import type { JSX } from "preact";
import type { ScreenProps } from "../router";

/** The Canary rollout screen. */
export function RolloutScreen(_props: ScreenProps): JSX.Element {
  return <h1>Canary rollout</h1>;
}
