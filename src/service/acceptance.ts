import { failure, type FailureResult } from "../outcome";
import { archiveSource, BundleTooLargeError, type BundleArchive } from "../packager/archive";
import { PackageError } from "../packager/index";
import { plan } from "../planner/index";
import { stackNameFor, type StackSpec } from "../planner/spec";
import { httpStatusFor } from "./api-errors";
import { grantedSource, type ProjectGrant } from "./grants";

/** Environment variable: the largest source (in bytes, before compression) a deployment may bundle; default 64 MiB. */
export const MAX_BUNDLE_BYTES_ENV = "DEPLOYMENT_PLANNER_MAX_BUNDLE_BYTES";

/** The largest source a deployment may bundle on this service: `MAX_BUNDLE_BYTES_ENV`, else 64 MiB. */
export function maxBundleBytes(env: NodeJS.ProcessEnv = process.env): number {
  const configured = Number(env[MAX_BUNDLE_BYTES_ENV]);
  return Number.isSafeInteger(configured) && configured > 0 ? configured : 64 * 1024 * 1024;
}

/**
 * A deployment request as the service accepted it: planned once, its source checked and packaged. A worker deploys
 * exactly this; nothing of the request is read again.
 */
export interface AcceptedDeployment {
  readonly projectId: string;
  readonly stack: string;
  /** The spec and the planner's warnings; null for a redeploy, whose spec is the stack's recorded one. */
  readonly planned: { readonly spec: StackSpec; readonly warnings: readonly string[] } | null;
  /** The bundle of the spec's source; null when the spec names none. */
  readonly bundle: BundleArchive | null;
}

/** Why a request is not accepted: a failure result and the HTTP status to answer it with. */
export interface Refusal {
  readonly failure: FailureResult;
  readonly status: number;
}

/** How a request is accepted: the grant of its project, where relative sources resolve, the bundle's size limit. */
export interface AcceptOptions {
  readonly grant: ProjectGrant;
  readonly baseDir: string;
  /** Default `maxBundleBytes()`. */
  readonly maxBundleBytes?: number;
}

const refused = (result: FailureResult, status = httpStatusFor(result)): Refusal => ({ failure: result, status });

/**
 * Accepts a deployment request: plans it, resolves its source with every symlink followed and checks that real
 * directory lies inside a directory the project is granted, then packages that directory into a content-addressed
 * bundle. What is checked is what is packaged, at once: a source swapped for a link, or edited, after this does not
 * change what is deployed. A missing source, one outside the grant, one too large (413) or one that cannot be
 * packaged is refused, naming the source as sent and never where it resolved.
 */
export async function acceptDeployment(request: unknown, options: AcceptOptions): Promise<AcceptedDeployment | Refusal> {
  const planned = plan(request, { baseDir: options.baseDir });
  if (planned.status === "error") return refused(planned);
  if (planned.status === "redeploy") {
    const { project_id: projectId, environment } = planned.intent;
    return { projectId, stack: stackNameFor(projectId, environment), planned: null, bundle: null };
  }
  const { spec, warnings } = planned;
  const accepted = { projectId: spec.project_id, stack: spec.stack, planned: { spec, warnings } };
  if (!spec.build.source) return { ...accepted, bundle: null };
  const sent = (request as { source?: unknown }).source;
  const named = typeof sent === "string" ? sent.slice(0, 200) : "the source";
  const granted = await grantedSource(spec.build.source, options.grant, options.baseDir, sent);
  if ("status" in granted) return refused(granted);
  const limit = options.maxBundleBytes ?? maxBundleBytes();
  try {
    return { ...accepted, bundle: await archiveSource(granted.dir, { maxBytes: limit }) };
  } catch (error) {
    if (error instanceof BundleTooLargeError) {
      return refused(
        failure("validation", `source: '${named}' holds more than the ${limit}-byte limit of a bundle on this service`, "Leave build output and dependencies out of the source (.gitignore, .dockerignore), or ask the service's operator to raise the limit."),
        413,
      );
    }
    // The packager's own refusals name files relative to the source; anything else (a file that cannot be read) could
    // name where the source lives, so it is told in general terms.
    const reason = error instanceof PackageError ? error.message : "a file cannot be read";
    return refused(failure("package", `source: '${named}' cannot be packaged: ${reason}`, "Check that the source directory holds the app and every file in it is readable, then submit again."));
  }
}
