import type { JSX } from "preact";
import type { ScreenProps } from "../router";

/** The Sign in screen. */
export function SignInScreen(_props: ScreenProps): JSX.Element {
  return <h1>Sign in</h1>;
}
