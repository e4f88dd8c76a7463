import path from "node:path";
import type { StackSpec } from "../../planner/spec";

/**
 * How a spec maps onto the local target's release settings. The component declares its resources from these, and
 * the automation layer derives the same settings to find a warm release that already runs them.
 */

/**
 * Directory of the local target's state for a stack (port, control socket, logs), relative to the workspace: the
 * provider resolves it against the workspace at run time, so neither the state nor the stack file holds a machine path.
 */
export function localStateDir(stack: string): string {
  return path.posix.join(".deployment-planner", "local", stack);
}

/** The directory a release runs in, relative to the workspace: a static build is served from its output directory. */
export function localBundlePath(spec: StackSpec): string {
  if (!spec.artifact) throw new Error(`the local target needs a packaged bundle, and the spec of ${spec.stack} has none`);
  return spec.build.kind === "static" && spec.build.output_dir ? path.posix.join(spec.artifact.path, spec.build.output_dir) : spec.artifact.path;
}

/** The command that starts the app; null serves the bundle as a static site. */
export function localStartCommand(spec: StackSpec): string | null {
  return spec.build.kind === "static" ? null : (spec.build.start_command ?? null);
}

/** The path the release must answer 2xx/3xx on. */
export function localHealthPath(spec: StackSpec): string {
  return spec.build.health_check_path ?? "/";
}
