/**
 * Runs the program for one spec under Pulumi's mocks and prints the resource graph as JSON on stdout. It runs in a
 * process of its own (see offline-preview.ts): the SDK's mock state is global, so one process previews one spec.
 */
import { existsSync } from "node:fs";
import * as pulumi from "@pulumi/pulumi";
import { stackSpecSchema } from "../planner/spec";
import { mockInvoke, UnmockedInvokeError } from "./mock-invokes";
import { programFor } from "./program";
import type { OfflineResource } from "./offline-preview";

const SECRET_PLACEHOLDER = "__deployment_planner_offline_secret__";
const MASK = "[secret]";
/** What the offline graph names the revision serving before a canary: only the deploy knows it. */
const SERVING_REVISION = "(the revision serving now)";
/** What a secret value that reached a resource without Pulumi's secret marking shows as: a bug in a component. */
export const UNPROTECTED_SECRET = "[UNPROTECTED SECRET]";

/** The logical name of the provider in a provider reference (`<urn>::<id>`, the URN ending in `::<type>::<name>`). */
function providerName(reference: string | undefined): string | null {
  if (!reference) return null;
  const parts = reference.split("::");
  return parts.length >= 3 ? parts[parts.length - 2]! : null;
}

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

/** Replaces each file asset (whose path is a promise under mocks) with the file it uploads, as `file <path>`. */
async function resolveAssets(value: unknown): Promise<unknown> {
  if (value instanceof pulumi.asset.FileAsset) return `file ${await value.path}`;
  if (Array.isArray(value)) return Promise.all(value.map(resolveAssets));
  if (value !== null && typeof value === "object" && Object.getPrototypeOf(value) === Object.prototype) {
    const entries = await Promise.all(Object.entries(value).map(async ([k, v]) => [k, await resolveAssets(v)] as const));
    return Object.fromEntries(entries);
  }
  return value;
}

async function main(): Promise<void> {
  const chunks: Buffer[] = [];
  for await (const chunk of process.stdin) chunks.push(chunk as Buffer);
  const spec = stackSpecSchema.parse(JSON.parse(Buffer.concat(chunks).toString("utf8")));
  // A planned spec has no bundle yet. The graph of a container is the same with a placeholder one; a static site
  // declares one object per file, so its source directory, which the bundle would be made from, stands in for it.
  const placeholder = spec.build.kind === "static" && spec.build.source && existsSync(spec.build.source) ? spec.build.source : "/bundle";
  const withArtifact = spec.artifact ? spec : { ...spec, artifact: { digest: `sha256:${"0".repeat(64)}`, path: placeholder } };

  const resources: OfflineResource[] = [];
  const names = new Map<pulumi.Resource, string>();
  const inputsByName = new Map<string, unknown>();
  const providerByName = new Map<string, string | null>();
  // A failed invoke leaves the SDK waiting for it forever, so the first unmocked one ends the run at once.
  let failUnmocked: (error: UnmockedInvokeError) => void = () => undefined;
  const unmocked = new Promise<never>((_, reject) => (failUnmocked = reject));
  let invokeFailed = false;
  // What else the SDK rejects after a failed invoke follows from it; the invoke's own error is the one to report.
  process.on("unhandledRejection", (reason) => {
    if (invokeFailed) return;
    throw reason;
  });
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        inputsByName.set(`${args.type}::${args.name}`, args.inputs);
        providerByName.set(`${args.type}::${args.name}`, providerName(args.provider));
        return { id: `${args.name}-id`, state: args.inputs };
      },
      call(args) {
        try {
          return mockInvoke(args.token, args.inputs);
        } catch (error) {
          if (error instanceof UnmockedInvokeError) {
            invokeFailed = true;
            failUnmocked(error);
          }
          throw error;
        }
      },
    },
    "deployment-planner",
    spec.stack,
    true,
  );

  const run = pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      names.set(args.resource, `${args.type}::${args.name}`);
      const parentKey = args.opts.parent ? names.get(args.opts.parent) : undefined;
      resources.push({
        type: args.type,
        name: args.name,
        parent: parentKey ? parentKey.split("::")[1]! : null,
        custom: args.resource instanceof pulumi.CustomResource,
        provider: null,
        inputs: {},
      });
      return undefined;
    });
    const secrets = Object.fromEntries(spec.secrets.map((s) => [s.name, `${SECRET_PLACEHOLDER}${s.name}`]));
    // A canary's first step, split from the revision that serves when the deploy runs.
    const trafficStep = spec.rollout.strategy === "canary" ? { canaryPercent: spec.rollout.steps[0]!, stableRevision: SERVING_REVISION } : undefined;
    return programFor(withArtifact, { resolvedSecrets: secrets, trafficStep })();
  });
  await Promise.race([run.then(() => pulumi.runtime.disconnect()), unmocked]);

  for (const resource of resources) {
    const key = `${resource.type}::${resource.name}`;
    resource.inputs = (maskSecrets(await resolveAssets(inputsByName.get(key) ?? {})) as Record<string, unknown>) ?? {};
    delete resource.inputs.__provider;
    resource.provider = providerByName.get(key) ?? null;
  }
  process.stdout.write(JSON.stringify(resources));
}

main().catch((error: unknown) => {
  process.stderr.write(String(error instanceof Error ? error.message : error).replaceAll(SECRET_PLACEHOLDER, MASK));
  process.exitCode = 1;
});
