import type { JSX } from "preact";
import type { ScreenProps } from "../router";

/** The Projects screen. */
export function ProjectsScreen(_props: ScreenProps): JSX.Element {
  return <h1>Projects</h1>;
}
