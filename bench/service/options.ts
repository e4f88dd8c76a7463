/** The service bench's command-line options, each checked against its bounds. */

/** How the engine reaches the dynamic providers, as `DEPLOYMENT_PLANNER_PROVIDER_HOST` picks it for a worker. */
export const PROVIDER_MODES = ["process", "in-process"] as const;

/** `process`: the engine starts a provider process per update; `in-process`: the worker serves the providers itself. */
export type ProviderMode = (typeof PROVIDER_MODES)[number];

/** What one run of the bench does. */
export interface ServiceBenchOptions {
  /** Deployments per round. */
  readonly deployments: number;
  /** Projects the deployments of a round are spread over (at most `deployments`). */
  readonly projects: number;
  /** Deployments each worker process runs at once. */
  readonly concurrency: number;
  /** How long each read load runs. */
  readonly readSeconds: number;
  /** Concurrent keep-alive clients of the read load. */
  readonly clients: number;
  /** Longest a round may take to finish all its deployments. */
  readonly roundTimeoutMs: number;
  /** The provider modes measured, in order: the first is "before", the last "after". */
  readonly modes: readonly ProviderMode[];
}

/** Reads the options from `argv` (`--name value`); throws naming the option and its bounds on a bad value. */
export function parseOptions(argv: readonly string[]): ServiceBenchOptions {
  const value = (name: string): string | undefined => {
    const index = argv.indexOf(`--${name}`);
    return index === -1 ? undefined : (argv[index + 1] ?? "");
  };
  const whole = (name: string, fallback: number, min: number, max: number): number => {
    const given = value(name);
    if (given === undefined) return fallback;
    const parsed = Number(given);
    if (!Number.isInteger(parsed) || parsed < min || parsed > max) throw new Error(`--${name}: a whole number from ${min} to ${max}`);
    return parsed;
  };
  const deployments = whole("deployments", 12, 1, 500);
  return {
    deployments,
    projects: Math.min(deployments, whole("projects", 6, 1, 100)),
    concurrency: whole("concurrency", 2, 1, 32),
    readSeconds: whole("read-seconds", 30, 1, 600),
    clients: whole("clients", 200, 1, 2000),
    roundTimeoutMs: whole("round-timeout", 900, 30, 7200) * 1000,
    modes: parseModes(value("modes")),
  };
}

/** `--modes process,in-process`: known modes, each once, in the order given. */
function parseModes(given: string | undefined): readonly ProviderMode[] {
  if (given === undefined) return PROVIDER_MODES;
  const modes = given.split(",").map((mode) => mode.trim());
  const known = (mode: string): mode is ProviderMode => (PROVIDER_MODES as readonly string[]).includes(mode);
  if (modes.length === 0 || !modes.every(known) || new Set(modes).size !== modes.length) {
    throw new Error(`--modes: a comma-separated list of ${PROVIDER_MODES.join(", ")}, each at most once (got ${JSON.stringify(given)})`);
  }
  return modes;
}
