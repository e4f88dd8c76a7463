import type { ComponentChildren, JSX } from "preact";
import { Link, navigate, useLocation } from "../router";
import { signOut, useSession } from "../session";

/** Props of `Layout`: the screen. */
export interface LayoutProps {
  readonly children?: ComponentChildren;
}

const NAV: readonly { readonly href: string; readonly label: string; readonly current: (pathname: string) => boolean }[] = [
  { href: "/projects", label: "Projects", current: (p) => p === "/" || p.startsWith("/projects") || p.startsWith("/stacks") },
  { href: "/new", label: "New deployment", current: (p) => p === "/new" || p.startsWith("/deployments") },
  { href: "/audit", label: "Audit", current: (p) => p.startsWith("/audit") },
];

/** The page around every screen: a skip link, the header with the product name, navigation and who is signed in. */
export function Layout({ children }: LayoutProps): JSX.Element {
  const session = useSession();
  const { pathname } = useLocation();
  const handleSignOut = async (): Promise<void> => {
    try {
      await signOut();
    } finally {
      navigate("/sign-in", { replace: true });
    }
  };
  return (
    <>
      <a class="skip-link" href="#main">
        Skip to content
      </a>
      <header class="header">
        <div class="header-inner">
          <Link href="/" class="brand">
            Deployment Planner
          </Link>
          {session ? (
            <nav class="nav" aria-label="Main">
              {/* Every scope reaches every screen (a read token checks a request on New deployment); only actions are withheld. */}
              {NAV.map((item) => (
                <Link key={item.href} href={item.href} class="nav-link" aria-current={item.current(pathname) ? "page" : undefined}>
                  {item.label}
                </Link>
              ))}
            </nav>
          ) : null}
          {session ? (
            <div class="who">
              <span class="who-name">
                {session.principal.name}
                <span class="who-scope">{session.principal.scope}</span>
              </span>
              <button type="button" class="button button-quiet" onClick={() => void handleSignOut()}>
                Sign out
              </button>
            </div>
          ) : null}
        </div>
      </header>
      <main id="main" class="main" tabIndex={-1}>
        {children}
      </main>
    </>
  );
}
