import { PACKAGE_ROOT_ENV } from "../../components/dynamic-provider";
import type { LanguageHost } from "../../toolchain/pulumi";
import type { CliCommand } from "../command";
import { automation, pulumiToolchain } from "../load";
import { WORKSPACE_FLAGS, errorOutput, workspaceOptions } from "../shared";

/** `doctor`: what the engine will use, and which targets have credentials (names only, never values). */
export const doctorCommand: CliCommand = {
  name: "doctor",
  summary: "Report the Pulumi CLI, language host, backend, secrets provider and each target's credentials.",
  usage: "doctor [--json] [--workspace <dir>] [--backend <url>]",
  flags: { ...WORKSPACE_FLAGS },
  async run(args, context) {
    try {
      const { describeCredentials, openWorkspace } = await automation();
      const { ensurePulumi, PULUMI_VERSION } = await pulumiToolchain();
      const options = workspaceOptions(args, context);
      const toolchain = await ensurePulumi({ env: context.env, onProgress: options.onProgress, signal: context.signal });
      const workspace = await openWorkspace({ ...options, toolchain });
      const targets = describeCredentials(context.env);
      const report = {
        pulumi: {
          cli: toolchain.cliPath,
          version: toolchain.version,
          pinned_version: PULUMI_VERSION,
          obtained: toolchain.source,
          how: toolchain.summary,
          language_host: toolchain.languageHost,
        },
        workspace: workspace.dir,
        backend: withoutPassword(workspace.backendUrl),
        secrets_provider: {
          kind: "passphrase",
          source: workspace.passphraseSource,
          ...(workspace.passphraseFile ? { key_file: workspace.passphraseFile } : {}),
        },
        targets,
        // What an engineer exports to run `pulumi preview -s <stack>` by hand in the workspace.
        manual_pulumi_env: {
          PATH: `${toolchain.binDir}:$PATH`,
          PULUMI_BACKEND_URL: withoutPassword(workspace.backendUrl),
          ...(workspace.passphraseFile ? { PULUMI_CONFIG_PASSPHRASE_FILE: workspace.passphraseFile } : {}),
          NODE_PATH: workspace.envVars.NODE_PATH,
          [PACKAGE_ROOT_ENV]: workspace.envVars[PACKAGE_ROOT_ENV],
        },
      };
      const lines = [
        `pulumi          ${report.pulumi.version} at ${report.pulumi.cli} (${report.pulumi.how})`,
        `language host   ${describeLanguageHost(toolchain.languageHost)}`,
        `workspace       ${report.workspace}`,
        `backend         ${report.backend}`,
        `secrets         passphrase from ${report.secrets_provider.source}${workspace.passphraseFile ? ` (${workspace.passphraseFile})` : ""}`,
        "targets:",
        ...targets.map(
          (t) =>
            `  ${t.target.padEnd(8)} ${t.ready ? "ready  " : "missing"}  ${t.credentials.map((c) => `${c.name}=${c.present ? "present" : "missing"}`).join(", ") || "no credentials needed"}`,
        ),
        "to run pulumi by hand in the workspace:",
        ...Object.entries(report.manual_pulumi_env).map(([k, v]) => `  export ${k}="${v}"`),
      ];
      return { exitCode: 0, json: report, text: lines.join("\n") };
    } catch (error) {
      return errorOutput(error);
    }
  },
};

function describeLanguageHost(host: LanguageHost): string {
  switch (host.origin) {
    case "release":
      return `v${host.version} at ${host.path} (the release's own)`;
    case "built_fallback":
      return `v${host.version} at ${host.path} (built from source modules: the release's own host is not to be had here; used only by directory programs)`;
    case "missing":
      return "none (inline programs run; `pulumi preview` by hand on a directory program needs pulumi-language-nodejs)";
  }
}

/** A backend URL as it may be printed: a password in it (a PostgreSQL or object-store URL) is replaced. */
function withoutPassword(url: string): string {
  try {
    const parsed = new URL(url);
    if (!parsed.password) return url;
    return url.replace(`:${parsed.password}@`, ":[secret]@");
  } catch {
    return url;
  }
}
