import type { CliCommand } from "../command";

/**
 * Every CLI command, in the order `--help` lists them. A command module exports one `CliCommand`;
 * add it here to make it reachable.
 */
export const COMMANDS: readonly CliCommand[] = [];
