/**
 * Every exit status the `deployment-planner` command can end with, and what each means. The README's exit-code table
 * is checked against this list, so a new status is added here first.
 */
export const EXIT_CODES = {
  /** The command did what it was asked. */
  success: 0,
  /** A bug in deployment-planner (the error object's stage is `internal`), or the compiled CLI is missing. */
  internal: 1,
  /** Invalid input (an unknown flag, a missing value), or an operational failure; the error object names its `stage`. */
  failure: 2,
  /** `status`: the stack exists, but nothing of it serves (never deployed, destroyed, or its URL is down or taken). */
  notServing: 3,
  /** An operation cancelled by Ctrl-C (SIGINT), after it was cleaned up and its error object printed. */
  interrupted: 130,
  /** An operation stopped by SIGTERM, after it was cleaned up and its error object printed. */
  terminated: 143,
} as const;

/** One of the exit statuses in `EXIT_CODES`. */
export type ExitCode = (typeof EXIT_CODES)[keyof typeof EXIT_CODES];

/** The exit status a command's own result can carry (a signal's status is given by the entry point). */
export type CommandExitCode = typeof EXIT_CODES.success | typeof EXIT_CODES.internal | typeof EXIT_CODES.failure | typeof EXIT_CODES.notServing;

/** The exit status of work a signal cut short: the shell's 128 + the signal's number, for the two signals the CLI handles. */
export function exitCodeForSignal(signal: "SIGINT" | "SIGTERM"): ExitCode {
  return signal === "SIGINT" ? EXIT_CODES.interrupted : EXIT_CODES.terminated;
}
