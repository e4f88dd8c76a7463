import type { EnvReference, FileReference, SecretReference, VaultReference } from "./reference";
import type { SecretProblem, SecretProblemKind, SecretProvenance, SecretScheme } from "./types";

/** One secret asked of a source. */
export interface SourceRequest<R extends SecretReference> {
  readonly name: string;
  readonly reference: R;
}

/** What a source found for one request. */
export type SourceOutcome =
  | { readonly ok: true; readonly value: string; readonly provenance: SecretProvenance }
  | { readonly ok: false; readonly problem: SecretProblem };

/** What every source gets besides its requests. */
export interface SourceContext {
  readonly projectId: string;
  readonly env: NodeJS.ProcessEnv;
  readonly baseDir: string;
  readonly signal?: AbortSignal;
}

/** The reference type each scheme's source reads. */
export interface ReferenceByScheme {
  readonly env: EnvReference;
  readonly file: FileReference;
  readonly vault: VaultReference;
}

/**
 * A place secrets are read from, one per reference scheme. A source gets all of its requests at once so it can share
 * work (one login, one read per Vault path, one read per file) and must answer every request, in order, with a value
 * or a problem — it never throws for an operational failure.
 */
export interface SecretSource<S extends SecretScheme> {
  readonly scheme: S;
  resolve(requests: readonly SourceRequest<ReferenceByScheme[S]>[], context: SourceContext): Promise<SourceOutcome[]>;
}

/** Words of a variable name that say what kind of value it is, for fix suggestions ("Stripe key"). */
const VALUE_KINDS: readonly (readonly [RegExp, string])[] = [
  [/(^|_)(SECRET_KEY|API_KEY|PRIVATE_KEY|ACCESS_KEY|KEY)$/, "key"],
  [/(^|_)(CLIENT_SECRET|WEBHOOK_SECRET|SECRET)$/, "secret"],
  [/(^|_)TOKEN$/, "token"],
  [/(^|_)(PASSWORD|PASS)$/, "password"],
  [/(^|_)(URI|URL|DSN|CONNECTION_STRING)$/, "connection string"],
];

/** Variable-name prefixes of well-known services and how people write their names. */
const SERVICE_NAMES: readonly (readonly [string, string])[] = [
  ["STRIPE", "Stripe"],
  ["MONGODB", "MongoDB"],
  ["MONGO", "MongoDB"],
  ["POSTGRES", "Postgres"],
  ["PG", "Postgres"],
  ["MYSQL", "MySQL"],
  ["REDIS", "Redis"],
  ["DATABASE", "database"],
  ["VERCEL", "Vercel"],
  ["NETLIFY", "Netlify"],
  ["RAILWAY", "Railway"],
  ["AWS", "AWS"],
  ["GCP", "Google Cloud"],
  ["GOOGLE", "Google"],
  ["OPENAI", "OpenAI"],
  ["ANTHROPIC", "Anthropic"],
  ["SENDGRID", "SendGrid"],
  ["MAILGUN", "Mailgun"],
  ["RESEND", "Resend"],
  ["TWILIO", "Twilio"],
  ["SENTRY", "Sentry"],
  ["GITHUB", "GitHub"],
  ["SUPABASE", "Supabase"],
  ["FIREBASE", "Firebase"],
  ["CLERK", "Clerk"],
  ["AUTH0", "Auth0"],
  ["NEXTAUTH", "NextAuth"],
  ["PAYPAL", "PayPal"],
  ["SLACK", "Slack"],
  ["CLOUDINARY", "Cloudinary"],
  ["ALGOLIA", "Algolia"],
];

/**
 * A person's name for what a variable holds: "Stripe key" for STRIPE_SECRET_KEY, "MongoDB connection string" for
 * MONGODB_URI; the variable name itself when the service is not a known one.
 */
export function friendlySecretName(name: string): string {
  const upper = name.toUpperCase();
  const service = SERVICE_NAMES.find(([prefix]) => upper === prefix || upper.startsWith(`${prefix}_`))?.[1];
  if (!service) return name;
  const kind = VALUE_KINDS.find(([pattern]) => pattern.test(upper))?.[1];
  return kind ? `${service} ${kind}` : `${service} ${name}`;
}

/** A problem that affects one secret. */
export function problem(kind: SecretProblemKind, name: string, message: string, fix: string): SecretProblem {
  return { kind, names: [name], message, fix };
}

/** The reason given for a value that is nowhere to be found. */
export function missingMessage(name: string): string {
  return `Missing ENV: ${name}`;
}
