/**
 * The signed-in person's session: who they are (the principal of the API token they signed in with), what they may do,
 * and the CSRF token their state-changing requests carry. The session itself lives in an HttpOnly cookie the page
 * cannot read; no token is ever kept in storage or a URL.
 */
import { useEffect, useState } from "preact/hooks";
import { api, onSessionLost, setCsrfToken } from "./api";

/** A token's scope: read < deploy < admin. */
export type Scope = "read" | "deploy" | "admin";

/** The caller a session acts as. `projects` holds project ids, or "*" for every project. */
export interface Principal {
  readonly id: string;
  readonly name: string;
  readonly scope: Scope;
  readonly projects: readonly string[];
}

/** A live session as the service describes it. */
export interface Session {
  readonly principal: Principal;
  readonly csrf_token: string;
  readonly expires_at?: string;
}

const SCOPES: readonly Scope[] = ["read", "deploy", "admin"];

let current: Session | null = null;
let loaded = false;
const listeners = new Set<() => void>();

function publish(next: Session | null): void {
  current = next;
  loaded = true;
  setCsrfToken(next?.csrf_token ?? null);
  for (const listener of listeners) listener();
}

// A 401 from any call means the cookie expired or its token was revoked: the page returns to sign-in.
onSessionLost(() => publish(null));

/** The current session, or null when nobody is signed in; re-renders the caller when it changes. */
export function useSession(): Session | null {
  const [, setVersion] = useState(0);
  const seen = current;
  const seenLoaded = loaded;
  useEffect(() => {
    const listener = (): void => setVersion((version) => version + 1);
    listeners.add(listener);
    // The session may have been published between this render and this effect (a fast answer): render it now.
    if (current !== seen || loaded !== seenLoaded) listener();
    return () => {
      listeners.delete(listener);
    };
  }, []);
  return current;
}

/** Whether the session has been looked up yet (before that, the page shows a spinner, not the sign-in form). */
export function sessionLoaded(): boolean {
  return loaded;
}

/** Asks the service whether the cookie still names a live session. */
export async function loadSession(): Promise<Session | null> {
  try {
    publish(await api<Session>("GET", "/v1/sessions/current"));
  } catch {
    publish(null);
  }
  return current;
}

/** Whether the session may act with at least `scope` on `projectId` (null: across projects). */
export function can(session: Session | null, scope: Scope, projectId: string | null): boolean {
  if (session === null) return false;
  const { principal } = session;
  const inScope = SCOPES.indexOf(principal.scope) >= SCOPES.indexOf(scope);
  const inProject = principal.projects.includes("*") || (projectId !== null && principal.projects.includes(projectId));
  return inScope && inProject;
}

/** Exchanges an API token for a session (the service sets the cookie); throws `ApiFailure` when it is refused. */
export async function signIn(token: string): Promise<Session> {
  const session = await api<Session>("POST", "/v1/sessions", { token });
  publish(session);
  return session;
}

/** Ends the session on the service and forgets it here, even when the service cannot be reached. */
export async function signOut(): Promise<void> {
  try {
    await api<unknown>("DELETE", "/v1/sessions/current");
  } finally {
    publish(null);
  }
}
