import os from "node:os";

/**
 * The operating-system user running this process: who runs an operation from the command line or a script. Falls
 * back to `USER`/`LOGNAME`, then "unknown", where the system has no name for the user id (a container's random uid).
 */
export function osUserName(): string {
  try {
    const name = os.userInfo().username;
    if (name) return name;
  } catch {
    // No passwd entry for this uid: the environment may still name the user.
  }
  return process.env.USER || process.env.LOGNAME || "unknown";
}

/**
 * The principal of an operation: the caller's name for who runs it (a service token, a webhook), or else the
 * operating-system user running this process. Never the spec's deployer, which names who a request was made for.
 */
export function principalOf(actor: string | null | undefined): string {
  return typeof actor === "string" && actor.trim() !== "" ? actor : osUserName();
}
