import { ensureOpenBao, OPENBAO_BIN_ENV } from "../../src/toolchain/openbao";

/**
 * Finds or builds the pinned OpenBao server once for the whole run, so the first `npm test` on a fresh machine sets up
 * the Vault-compatible server by itself. Each test file starts its own dev server from this binary.
 */
export default async function setup(): Promise<void> {
  const started = Date.now();
  const binary = await ensureOpenBao({ onProgress: (line) => process.stderr.write(`[openbao] ${line}\n`) });
  const how = binary.obtained === "built" ? `built in ${Math.round((Date.now() - started) / 1000)}s` : `found (${binary.obtained})`;
  process.stderr.write(`[openbao] OpenBao ${binary.version} ${how}: ${binary.path}\n`);
  process.env[OPENBAO_BIN_ENV] = binary.path;
}
