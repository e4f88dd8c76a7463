import type { JSX, TargetedSubmitEvent } from "preact";
import { useState } from "preact/hooks";
import { ApiFailure, type FailureBody } from "../api";
import { FailureBox } from "../components/FailureBox";
import { navigate, type ScreenProps } from "../router";
import { signIn } from "../session";

/** Where a person goes after signing in: the page they asked for when it is one of the dashboard's own, else home. */
function nextPath(query: URLSearchParams): string {
  const next = query.get("next");
  return next !== null && next.startsWith("/") && !next.startsWith("//") && !next.startsWith("/sign-in") ? next : "/";
}

/** Sign-in: an API token exchanged for a session cookie; the token itself is never stored by the page. */
export function SignInScreen({ query }: ScreenProps): JSX.Element {
  const [token, setToken] = useState("");
  const [busy, setBusy] = useState(false);
  const [problem, setProblem] = useState<FailureBody | null>(null);

  const submit = async (event: TargetedSubmitEvent<HTMLFormElement>): Promise<void> => {
    event.preventDefault();
    if (token.trim().length === 0) {
      setProblem({ stage: "validation", reason: "Enter an API token to sign in.", fix_suggestion: "Paste a token that starts with dp_." });
      return;
    }
    setBusy(true);
    setProblem(null);
    try {
      await signIn(token.trim());
      setToken("");
      navigate(nextPath(query), { replace: true });
    } catch (error) {
      setProblem(error instanceof ApiFailure ? error.failure : { stage: "internal", reason: "Signing in failed unexpectedly.", fix_suggestion: "Reload the page and try again." });
    } finally {
      setBusy(false);
    }
  };

  return (
    <div class="sign-in">
      <h1>Sign in</h1>
      <p class="muted">Sign in with an API token. The dashboard keeps a session for it and shows what the token may see and do.</p>
      {problem ? <FailureBox failure={problem} title="Could not sign in" /> : null}
      <form class="card" onSubmit={(event) => void submit(event)} noValidate>
        <div class="field">
          <label for="api-token">API token</label>
          <input
            id="api-token"
            name="token"
            type="password"
            autoComplete="off"
            spellcheck={false}
            value={token}
            onInput={(event) => setToken(event.currentTarget.value)}
            aria-describedby="token-hint"
            required
          />
          <span id="token-hint" class="hint">
            Tokens start with <code>dp_</code>. The token is sent once and never kept in the browser.
          </span>
        </div>
        <button type="submit" class="button button-primary" disabled={busy}>
          {busy ? "Signing in…" : "Sign in"}
        </button>
      </form>
      <section class="card" aria-labelledby="no-token">
        <h2 id="no-token">No token yet?</h2>
        <p>Someone with access to the service's machine creates one:</p>
        <pre class="command">
          <code>deployment-planner tokens create --name &lt;your-name&gt; --project &lt;project&gt; --scope deploy</code>
        </pre>
        <p class="hint">
          Scopes: <strong>read</strong> sees its projects, <strong>deploy</strong> also deploys, rolls back and promotes, <strong>admin</strong> also destroys
          and reads the audit trail.
        </p>
      </section>
    </div>
  );
}
