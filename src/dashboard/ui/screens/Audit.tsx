import type { JSX } from "preact";
import type { ScreenProps } from "../router";

/** The Audit trail screen. */
export function AuditScreen(_props: ScreenProps): JSX.Element {
  return <h1>Audit trail</h1>;
}
