import { readFile } from "node:fs/promises";
import path from "node:path";
import { parse as parseYaml } from "yaml";
import { z } from "zod";
import { failure, type FailureResult } from "../outcome";
import { parseSecretReference } from "../secrets/index";

/** A secret named by reference (`env:NAME`, `file:path#KEY`, `vault:path#key`); a value never sits in the file. */
const secretReference = z
  .string()
  .min(1)
  .refine((ref) => parseSecretReference(ref, "service").ok, { message: "a secret reference: env:NAME, file:path#KEY or vault:path#key" });

/** The events a subscriber may receive. */
export const NOTIFICATION_EVENTS = ["queued", "started", "succeeded", "failed", "rolled_back"] as const;
/** One event of a deployment's life, as subscribers receive it. */
export type NotificationEvent = (typeof NOTIFICATION_EVENTS)[number];

/** What a fork's pull request (head repository other than the base repository) may do. */
export const FORK_POLICIES = ["secretless", "refuse", "allow"] as const;
/** `secretless`: deployed with every secret reference resolving to nothing; `refuse`: not deployed; `allow`: as any pull request. */
export type ForkPolicy = (typeof FORK_POLICIES)[number];

/** Previews one project keeps when its rule sets no `max_previews`. */
export const DEFAULT_MAX_PREVIEWS = 10;

const hookRuleSchema = z
  .object({
    /** `github`, or the name of a generic hook. */
    source: z.string().min(1).max(100),
    /** `owner/name` for GitHub; for a generic hook, what its payload names in `repository`. */
    repository: z.string().min(1).max(200),
    /** The branch whose pushes trigger (`refs/heads/` is implied); optional when the rule deploys pull requests. */
    branch: z.string().min(1).max(200).optional(),
    /** The deployment request to queue: a JSON or YAML file, relative to the configuration file. */
    request: z.string().min(1),
    /** Whether pull requests (opened, reopened, synchronize, closed) deploy previews to `preview-pr-<number>`. */
    pull_requests: z.boolean().default(false),
    /** What a fork's pull request gets: `secretless` (the default), `refuse`, or `allow` (chosen explicitly). */
    forks: z.enum(FORK_POLICIES).default("secretless"),
    /** Previews one project keeps at once; beyond it the least recently updated is destroyed. */
    max_previews: z.number().int().min(1).max(1000).default(DEFAULT_MAX_PREVIEWS),
  })
  .strict()
  .refine((rule) => rule.branch !== undefined || rule.pull_requests, { message: "a rule names a branch, or sets pull_requests: true (or both)", path: ["branch"] });

/** GitHub's side: the webhook secret, and API access (a token or a GitHub App) for commits, comments and statuses. */
const githubSchema = z
  .object({
    /** GitHub's webhook secret, by reference. */
    secret: secretReference,
    /** GitHub's REST API (GitHub Enterprise: its API URL, e.g. https://github.example.com/api/v3). */
    api_url: z
      .string()
      .url()
      .refine((u) => /^https?:\/\//.test(u), { message: "an http(s) URL" })
      .default("https://api.github.com"),
    /** A token for the API, by reference. */
    token: secretReference.optional(),
    /** A GitHub App installation for the API: its id, its private key (by reference) and the installation's id. */
    app: z
      .object({
        id: z.number().int().positive(),
        private_key: secretReference,
        installation_id: z.number().int().positive(),
      })
      .strict()
      .optional(),
  })
  .strict()
  .refine((github) => !(github.token !== undefined && github.app !== undefined), { message: "name either token or app for GitHub's API, not both", path: ["token"] });

/** What the operator grants one project's remote requests. */
const projectGrantSchema = z
  .object({
    /** Directories this project's requests may deploy (relative to the configuration file). */
    sources: z.array(z.string().min(1).max(4096)).max(100).default([]),
    /** Globs on the secret references its requests may name, e.g. `vault:shop/*`, `env:SHOP_*`. */
    secrets: z.array(z.string().min(1).max(500).regex(/^(env|file|vault):/, { message: "a glob on a reference: env:..., file:... or vault:..." })).max(1000).default([]),
  })
  .strict();

const serviceConfigSchema = z
  .object({
    /** Per project, the sources and secret references its API and hook requests may name. */
    projects: z.record(z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/, { message: "a project id" }), projectGrantSchema).default({}),
    hooks: z
      .object({
        /** GitHub's webhook secret and API access, by reference; without it `/v1/hooks/github` answers 404. */
        github: githubSchema.optional(),
        /** Other sources, each with its own secret: `POST /v1/hooks/generic/<name>`. */
        generic: z
          .array(z.object({ name: z.string().regex(/^[a-z0-9][a-z0-9-]{0,62}$/), secret: secretReference }).strict())
          .max(100)
          .default([]),
        /** Which repository + branch deploys which request. */
        rules: z.array(hookRuleSchema).max(1000).default([]),
      })
      .strict()
      .default({ generic: [], rules: [] }),
    /** How the service keeps pull-request previews. */
    previews: z
      .object({
        /** Seconds between sweeps for previews past their time to live (at most hourly). */
        sweep_interval_seconds: z.number().int().min(1).max(3600).default(3600),
      })
      .strict()
      .default({ sweep_interval_seconds: 3600 }),
    /** Subscribers of deployment events (the feedback loop), per project (`*`: every project). */
    notifications: z
      .array(
        z
          .object({
            project: z.string().min(1).max(100),
            url: z.string().url().refine((u) => /^https?:\/\//.test(u), { message: "an http(s) URL" }),
            secret: secretReference,
            events: z.array(z.enum(NOTIFICATION_EVENTS)).min(1).default([...NOTIFICATION_EVENTS]),
          })
          .strict(),
      )
      .max(1000)
      .default([]),
  })
  .strict();

/** A hook rule: a repository's branch whose pushes, and (with `pull_requests`) whose pull requests, queue a deployment request. */
export type HookRule = z.infer<typeof hookRuleSchema> & {
  /** The request file's resolved path. */
  readonly requestFile: string;
};

/** GitHub's webhook secret and, when a token or an app is named, access to its API (every credential a reference). */
export interface GitHubHookConfig {
  readonly secret: string;
  /** GitHub's REST API; default https://api.github.com. */
  readonly api_url?: string;
  readonly token?: string;
  readonly app?: { readonly id: number; readonly private_key: string; readonly installation_id: number };
}

/** Whether the service may call GitHub's API (fetch commits, comment, set statuses): a token or an app is named. */
export function hasGitHubApi(github: GitHubHookConfig | undefined): github is GitHubHookConfig & ({ readonly token: string } | { readonly app: NonNullable<GitHubHookConfig["app"]> }) {
  return github !== undefined && (github.token !== undefined || github.app !== undefined);
}

/** The service's configuration: webhooks in (secrets and rules) and out (subscribers). */
export interface ServiceConfig {
  /** The configuration file's directory: relative `file:` secret references and request files resolve against it. */
  readonly baseDir: string;
  readonly hooks: {
    readonly github?: GitHubHookConfig;
    readonly generic: readonly { readonly name: string; readonly secret: string }[];
    readonly rules: readonly HookRule[];
  };
  /** How previews are swept; default hourly. */
  readonly previews?: { readonly sweep_interval_seconds: number };
  readonly notifications: readonly { readonly project: string; readonly url: string; readonly secret: string; readonly events: readonly NotificationEvent[] }[];
  /** Per project, the source directories (absolute) and secret reference globs its remote requests are granted. */
  readonly projects?: Readonly<Record<string, { readonly sources: readonly string[]; readonly secrets: readonly string[] }>>;
}

/** The configuration of a service without a file: no hooks, no subscribers. */
export const EMPTY_SERVICE_CONFIG: ServiceConfig = { baseDir: process.cwd(), hooks: { generic: [], rules: [] }, notifications: [] };

/**
 * Reads the service's configuration file (YAML or JSON). A missing, unreadable or invalid file is a validation
 * failure naming each problem; rule request files resolve against the file's directory.
 */
export async function loadServiceConfig(file: string): Promise<ServiceConfig | FailureResult> {
  const text = await readFile(file, "utf8").catch(() => null);
  if (text === null) return failure("validation", `service configuration: cannot read ${path.basename(file)}`, "Pass --config with a readable YAML file.");
  let raw: unknown;
  try {
    raw = parseYaml(text);
  } catch (error) {
    return failure("validation", `service configuration: not valid YAML (${(error as Error).message.split("\n")[0]})`, "Fix the file's syntax.");
  }
  const parsed = serviceConfigSchema.safeParse(raw ?? {});
  if (!parsed.success) {
    const problems = parsed.error.issues.map((issue) => `${issue.path.join(".") || "(root)"}: ${issue.message}`);
    // One problem is the reason itself (a failure lists `problems` only when there are several).
    const reason = problems.length === 1 ? `service configuration: ${problems[0]}` : `service configuration: ${problems.length} problem(s)`;
    return failure("validation", reason, "Fix the listed entries of the configuration file.", { problems });
  }
  const dir = path.dirname(path.resolve(file));
  return {
    baseDir: dir,
    hooks: { ...parsed.data.hooks, rules: parsed.data.hooks.rules.map((rule) => ({ ...rule, requestFile: path.resolve(dir, rule.request) })) },
    notifications: parsed.data.notifications,
    previews: parsed.data.previews,
    projects: Object.fromEntries(
      Object.entries(parsed.data.projects).map(([id, grant]) => [
        id,
        // Relative sources and `file:` globs mean the configuration file's directory, as request files do.
        { sources: grant.sources.map((source) => path.resolve(dir, source)), secrets: grant.secrets.map((glob) => (glob.startsWith("file:") && !glob.startsWith("file:/") ? `file:${path.resolve(dir, glob.slice(5))}` : glob)) },
      ]),
    ),
  };
}
