import { createHmac } from "node:crypto";
import { readFile } from "node:fs/promises";
import type { PlannerWorkspace } from "../workspace/index";

/** The fingerprint of a deployment that resolves no secrets: nothing to hide, so no key is needed. */
export const NO_SECRETS_FINGERPRINT = "none";

/** What the fingerprint's key is derived for, so the passphrase's own hash is never what a note records. */
const KEY_PURPOSE = "deployment-planner secrets fingerprint v1";

/**
 * A keyed hash of the secret values one deployment of `stack` resolved: equal values give an equal fingerprint, and
 * without the workspace's stack-secrets passphrase (its key) nobody can test a guessed value against it. Each stack
 * has its own, so equal secrets of two stacks cannot be told equal. `none` when the deployment resolves no secret;
 * null when the passphrase cannot be read (the fingerprint is unknown, so nothing can be called unchanged).
 */
export async function secretsFingerprint(workspace: PlannerWorkspace, stack: string, values: Readonly<Record<string, string>>): Promise<string | null> {
  const names = Object.keys(values).sort();
  if (names.length === 0) return NO_SECRETS_FINGERPRINT;
  const passphrase = await passphraseOf(workspace);
  if (passphrase === null) return null;
  const key = createHmac("sha256", passphrase).update(KEY_PURPOSE).digest();
  const hmac = createHmac("sha256", key).update(`${stack}\0`);
  // Lengths first, so no two different sets of names and values hash the same text.
  for (const name of names) hmac.update(`${name.length}:${name}${values[name]!.length}:${values[name]}\0`);
  return `hmac-sha256:${hmac.digest("hex").slice(0, 32)}`;
}

/** The stack-secrets passphrase the workspace's engine runs get (from the environment or its key file). */
async function passphraseOf(workspace: PlannerWorkspace): Promise<string | null> {
  const direct = workspace.envVars.PULUMI_CONFIG_PASSPHRASE;
  if (direct) return direct;
  const file = workspace.envVars.PULUMI_CONFIG_PASSPHRASE_FILE;
  if (!file) return null;
  const text = await readFile(file, "utf8").catch(() => "");
  // The engine reads the file the same way: its content, a trailing newline aside.
  const trimmed = text.replace(/\r?\n$/, "");
  return trimmed === "" ? null : trimmed;
}
