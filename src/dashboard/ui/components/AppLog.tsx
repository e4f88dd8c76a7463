import type { JSX } from "preact";
import { useEffect, useRef, useState } from "preact/hooks";
import { api, openEvents } from "../api";
import { failureOf } from "./flow-types";

/** Props of {@link AppLog}. */
export interface AppLogProps {
  readonly projectId: string;
  readonly environment: string;
}

/** The most lines the page keeps; older ones drop off the top, as a terminal's scrollback does. */
const KEPT_LINES = 500;

/**
 * The app's own output, following live (server-sent `log` events) while the page is open. Asks once without
 * following first, so a stack with no app log here (another target) says why in a sentence instead of a dead stream.
 */
export function AppLog({ projectId, environment }: AppLogProps): JSX.Element {
  const [lines, setLines] = useState<readonly { readonly n: number; readonly text: string }[]>([]);
  const [state, setState] = useState<{ readonly kind: "checking" | "following" | "stopped" } | { readonly kind: "none"; readonly reason: string }>({ kind: "checking" });
  const counter = useRef(0);
  const view = useRef<HTMLPreElement>(null);
  const followEnd = useRef(true);
  // The newest lines stay in view while the person has not scrolled up to read older ones.
  useEffect(() => {
    const element = view.current;
    if (element && followEnd.current) element.scrollTop = element.scrollHeight;
  }, [lines]);
  const onScroll = (): void => {
    const element = view.current;
    if (element) followEnd.current = element.scrollHeight - element.scrollTop - element.clientHeight < 24;
  };
  useEffect(() => {
    const path = `/v1/stacks/${encodeURIComponent(projectId)}/${encodeURIComponent(environment)}/logs`;
    let stream: { close(): void } | null = null;
    let cancelled = false;
    api<{ lines: string[] }>("GET", `${path}?lines=0`)
      .then(() => {
        if (cancelled) return;
        setState({ kind: "following" });
        stream = openEvents(`${path}?follow=true&lines=100`, {
          log: (data) => {
            const batch = (data as { lines?: unknown }).lines;
            if (!Array.isArray(batch)) return;
            const added = batch.filter((line): line is string => typeof line === "string").map((text) => ({ n: ++counter.current, text }));
            setLines((previous) => [...previous, ...added].slice(-KEPT_LINES));
          },
          error: () => setState({ kind: "stopped" }),
        });
      })
      .catch((error: unknown) => {
        if (!cancelled) setState({ kind: "none", reason: failureOf(error).reason });
      });
    return () => {
      cancelled = true;
      stream?.close();
    };
  }, [projectId, environment]);
  return (
    <section class="flow-app-log" aria-labelledby="flow-app-log-heading">
      <h2 id="flow-app-log-heading">App log</h2>
      {state.kind === "none" ? <p class="muted">{`No app log to follow: ${state.reason}.`}</p> : null}
      {state.kind === "checking" ? <p class="muted">Looking for the app's log…</p> : null}
      {state.kind === "following" || state.kind === "stopped" ? (
        <>
          <p class="muted" role="status">{state.kind === "following" ? "Following the app's output live." : "The log stream ended; reload the page to follow it again."}</p>
          {lines.length === 0 ? <p class="muted">The app has written nothing yet.</p> : <pre class="flow-pre" ref={view} onScroll={onScroll} tabIndex={0} aria-label="App log lines">{lines.map((line) => line.text).join("\n")}</pre>}
        </>
      ) : null}
    </section>
  );
}
