/**
 * The shapes of a release's identity check, apart from the table of each target's check (release-identity.ts), so
 * that the targets' proofs and that table import one way.
 */

/** What a check knows about the stack whose URL it requests. */
export interface IdentityContext {
  readonly stack: string;
  /** The workspace the stack's local state lives in. */
  readonly workspaceDir: string;
  /** The release the stack's state records as serving (its `release` output), when the target reports one. */
  readonly expectedRelease: string | null;
  /**
   * The stack's `releaseProof` output: what a cloud target's proof asks its platform about (site, service, container
   * ids), as the program recorded it. Empty for a stack deployed before the program recorded it.
   */
  readonly proof?: Readonly<Record<string, unknown>>;
  /** The environment the platform's credentials come from. @default process.env */
  readonly env?: NodeJS.ProcessEnv;
}

/** What one response proves. */
export type IdentityVerdict =
  /** The stack's release answered; `release` names it where the target can tell (null: it cannot, or none runs). */
  | { readonly kind: "proven"; readonly release: string | null }
  /** The stack's own server answered, but with another release than the state records (or none). */
  | { readonly kind: "other_release"; readonly release: string | null; readonly reason: string }
  /** Something that cannot prove it is the stack's server answered. */
  | { readonly kind: "unproven"; readonly reason: string };

/** The identity exchange of one request: the headers to send, then what the response proves. */
export interface IdentityProbe {
  readonly headers: Readonly<Record<string, string>>;
  check(response: Response): IdentityVerdict;
}

/** How a target's release is identified on its URL. */
export interface ReleaseIdentity {
  /** How much an answer proves: the very release, the platform that serves the stack, or nothing beyond its status. */
  readonly proves: "release" | "platform" | "nothing";
  /** One sentence for people: what is checked. */
  readonly method: string;
  /** A short phrase for people, where `method` is too long to follow a serving release's line. @default method */
  readonly provedBy?: string;
  /** A fresh exchange for one request to `url`. */
  probe(context: IdentityContext, url: string): Promise<IdentityProbe>;
}
