import { destroyStack, openWorkspace } from "../../src/automation/index";
import { credentialRedactor, pulumiStateUrl, type ServiceDatabase } from "../../src/service/database";
import { ensurePulumi } from "../../src/toolchain/pulumi";

/**
 * Destroys and removes the stacks the service deployed, three at a time (each is an engine run of its own); a
 * destroyed stack leaves `stacks`, one that fails stays and is named (its error's first line, credentials redacted).
 */
export async function destroyStacks(stacks: Set<string>, database: ServiceDatabase, workspaceDir: string, env: NodeJS.ProcessEnv): Promise<void> {
  if (stacks.size === 0) return;
  console.log(`destroying ${stacks.size} stack(s)`);
  // The service keeps Pulumi's state in its database; the stacks are found there, as the workers left them.
  const workspace = await openWorkspace({ workspaceDir, env, pulumiHome: env.PULUMI_HOME, toolchain: await ensurePulumi({ env }), backendUrl: pulumiStateUrl(database) });
  const redact = credentialRedactor(database);
  const pending = [...stacks];
  await Promise.all(
    Array.from({ length: 3 }, async () => {
      for (let stack = pending.shift(); stack !== undefined; stack = pending.shift()) {
        const name = stack;
        await destroyStack(name, { workspace, force: true, removeStack: true }).then(
          () => stacks.delete(name),
          (error: Error) => console.log(`destroying ${name} failed: ${redact(error.message.split("\n")[0] ?? "")}`),
        );
      }
    }),
  );
}
