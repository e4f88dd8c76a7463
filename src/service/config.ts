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

const hookRuleSchema = z
  .object({
    /** `github`, or the name of a generic hook. */
    source: z.string().min(1).max(100),
    /** `owner/name` for GitHub; for a generic hook, what its payload names in `repository`. */
    repository: z.string().min(1).max(200),
    /** The branch whose pushes trigger (`refs/heads/` is implied). */
    branch: z.string().min(1).max(200),
    /** The deployment request to queue: a JSON or YAML file, relative to the configuration file. */
    request: z.string().min(1),
  })
  .strict();

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
        /** GitHub's webhook secret, by reference; without it `/v1/hooks/github` answers 404. */
        github: z.object({ secret: secretReference }).strict().optional(),
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

/** A hook rule: a repository + branch whose pushes queue a deployment request. */
export type HookRule = z.infer<typeof hookRuleSchema> & {
  /** The request file's resolved path. */
  readonly requestFile: string;
};

/** The service's configuration: webhooks in (secrets and rules) and out (subscribers). */
export interface ServiceConfig {
  /** The configuration file's directory: relative `file:` secret references and request files resolve against it. */
  readonly baseDir: string;
  readonly hooks: {
    readonly github?: { readonly secret: string };
    readonly generic: readonly { readonly name: string; readonly secret: string }[];
    readonly rules: readonly HookRule[];
  };
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
    return failure("validation", `service configuration: ${problems.length} problem(s)`, "Fix the listed entries of the configuration file.", { problems });
  }
  const dir = path.dirname(path.resolve(file));
  return {
    baseDir: dir,
    hooks: { ...parsed.data.hooks, rules: parsed.data.hooks.rules.map((rule) => ({ ...rule, requestFile: path.resolve(dir, rule.request) })) },
    notifications: parsed.data.notifications,
    projects: Object.fromEntries(
      Object.entries(parsed.data.projects).map(([id, grant]) => [
        id,
        // Relative sources and `file:` globs mean the configuration file's directory, as request files do.
        { sources: grant.sources.map((source) => path.resolve(dir, source)), secrets: grant.secrets.map((glob) => (glob.startsWith("file:") && !glob.startsWith("file:/") ? `file:${path.resolve(dir, glob.slice(5))}` : glob)) },
      ]),
    ),
  };
}
