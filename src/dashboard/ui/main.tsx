/** The dashboard's entry point: looks up the session, then renders the screen of the current URL inside the layout. */
import type { JSX } from "preact";
import { render } from "preact";
import { useEffect } from "preact/hooks";
import { EmptyState } from "./components/EmptyState";
import { Layout } from "./components/Layout";
import { Spinner } from "./components/Spinner";
import { isPublicPath, Link, navigate, Router, useLocation } from "./router";
import { loadSession, sessionLoaded, useSession } from "./session";

function NotFound({ pathname }: { pathname: string }): JSX.Element {
  return (
    <>
      <h1>Page not found</h1>
      <EmptyState title={`Nothing lives at ${pathname}.`}>
        <Link href="/projects">Go to your projects</Link>
      </EmptyState>
    </>
  );
}

function App(): JSX.Element {
  const session = useSession();
  const { pathname, query } = useLocation();
  const ready = sessionLoaded();
  const needsSignIn = ready && session === null && !isPublicPath(pathname);

  useEffect(() => {
    // A person who is not signed in goes to sign-in and comes back to the page they asked for afterwards.
    if (needsSignIn) navigate(`/sign-in?next=${encodeURIComponent(pathname + location.search)}`, { replace: true });
  }, [needsSignIn, pathname]);
  useEffect(() => {
    if (ready && session !== null && pathname === "/sign-in") {
      const next = query.get("next");
      navigate(next !== null && next.startsWith("/") && !next.startsWith("//") ? next : "/", { replace: true });
    }
  }, [ready, session, pathname]);

  if (!ready || needsSignIn) {
    return (
      <Layout>
        <Spinner label="Checking your session…" />
      </Layout>
    );
  }
  return (
    <Layout>
      <Router notFound={NotFound} />
    </Layout>
  );
}

const root = document.getElementById("app");
if (root !== null) {
  render(<App />, root);
  void loadSession();
}
