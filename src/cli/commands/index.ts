import type { CliCommand } from "../command";
import { auditCommand } from "./audit";
import { deployCommand } from "./deploy";
import { doctorCommand } from "./doctor";
import { gcCommand, listCommand, statusCommand } from "./environments";
import { logsCommand } from "./logs";
import { planCommand } from "./plan";
import { previewCommand } from "./preview";
import { promoteCommand } from "./promote";
import { syncCommand } from "./sync";
import { serveCommand, workerCommand } from "./serve";
import { tokensCommand } from "./tokens";
import { rollbackCommand } from "./rollback";
import { destroyCommand, historyCommand, outputsCommand, refreshCommand, unlockCommand } from "./stack-ops";

/**
 * Every CLI command, in the order `--help` lists them. A command module exports one `CliCommand`;
 * add it here to make it reachable.
 */
export const COMMANDS: readonly CliCommand[] = [
  planCommand,
  deployCommand,
  previewCommand,
  rollbackCommand,
  promoteCommand,
  syncCommand,
  destroyCommand,
  refreshCommand,
  historyCommand,
  listCommand,
  statusCommand,
  logsCommand,
  gcCommand,
  outputsCommand,
  unlockCommand,
  auditCommand,
  serveCommand,
  workerCommand,
  tokensCommand,
  doctorCommand,
];
