/**
 * Runs the program for one spec under Pulumi's mocks and prints the resource graph as JSON on stdout. It runs in a
 * process of its own (see offline-preview.ts): the SDK's mock state is global, so one process previews one spec.
 */
import * as pulumi from "@pulumi/pulumi";
import { stackSpecSchema } from "../planner/spec";
import { programFor } from "./program";
import type { OfflineResource } from "./offline-preview";

const SECRET_PLACEHOLDER = "__deployment_planner_offline_secret__";
const MASK = "[secret]";
/** What a secret value that reached a resource without Pulumi's secret marking shows as: a bug in a component. */
export const UNPROTECTED_SECRET = "[UNPROTECTED SECRET]";

function maskSecrets(value: unknown): unknown {
  if (typeof value === "string") return value.includes(SECRET_PLACEHOLDER) ? UNPROTECTED_SECRET : value;
  if (Array.isArray(value)) return value.map(maskSecrets);
  if (value !== null && typeof value === "object") {
    // Pulumi's wire form of a secret.
    if ((value as Record<string, unknown>)["4dabf18193072939515e22adb298388d"] === "1b47061264138c4ac30d75fd1eb44270") return MASK;
    // A value only the deployment knows (another resource's output).
    if ((value as Record<string, unknown>).__pulumiUnknown === true) return "(known after deploy)";
    return Object.fromEntries(Object.entries(value).map(([k, v]) => [k, maskSecrets(v)]));
  }
  return value;
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const spec = stackSpecSchema.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
  // A planned spec has no bundle yet; the offline graph is the same with a placeholder one.
  const withArtifact = spec.artifact ? spec : { ...spec, artifact: { digest: `sha256:${"0".repeat(64)}`, path: "/bundle" } };

  const resources: OfflineResource[] = [];
  const names = new Map<pulumi.Resource, string>();
  const inputsByName = new Map<string, unknown>();
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        inputsByName.set(`${args.type}::${args.name}`, args.inputs);
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        return args.inputs;
      },
    },
    "deployment-planner",
    spec.stack,
    true,
  );

  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      names.set(args.resource, `${args.type}::${args.name}`);
      const parentKey = args.opts.parent ? names.get(args.opts.parent) : undefined;
      resources.push({ type: args.type, name: args.name, parent: parentKey ? parentKey.split("::")[1]! : null, custom: args.resource instanceof pulumi.CustomResource, inputs: {} });
      return undefined;
    });
    const secrets = Object.fromEntries(spec.secrets.map((s) => [s.name, `${SECRET_PLACEHOLDER}${s.name}`]));
    return programFor(withArtifact, { resolvedSecrets: secrets })();
  });
  await pulumi.runtime.disconnect();

  for (const resource of resources) {
    const inputs = inputsByName.get(`${resource.type}::${resource.name}`);
    resource.inputs = (maskSecrets(inputs ?? {}) as Record<string, unknown>) ?? {};
    delete resource.inputs.__provider;
  }
  process.stdout.write(JSON.stringify(resources));
}

main().catch((error: unknown) => {
  process.stderr.write(String(error instanceof Error ? error.message : error).replaceAll(SECRET_PLACEHOLDER, MASK));
  process.exitCode = 1;
});
