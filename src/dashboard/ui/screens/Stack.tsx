import type { JSX } from "preact";
import type { ScreenProps } from "../router";

/** The Stack screen. */
export function StackScreen(_props: ScreenProps): JSX.Element {
  return <h1>Stack</h1>;
}
