import { createHash } from "node:crypto";
import { readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import { lazyProviderKey } from "./dynamic-provider";

/**
 * The file the build writes beside this module: each lazy provider's `__provider` text, as the Pulumi SDK serializes
 * it, with the SDK's version. Serializing a closure costs a fresh process about 0.4 s of CPU (the SDK starts an
 * inspector session and loads TypeScript to parse the functions), on the path of every deploy; the texts depend only
 * on the compiled providers and the SDK, so the build makes them once.
 */
export const SERIALIZED_PROVIDERS_FILE = "serialized-providers.json";

/** Contents of `serialized-providers.json`. */
export interface SerializedProviders {
  /** Version of `@pulumi/pulumi` that serialized them; another version serializes again at run time. */
  readonly sdkVersion: string;
  /** SHA-256 of the compiled module the providers' functions come from; a rebuilt module serializes again. */
  readonly providerModuleSha256: string;
  /** `__provider` text by provider key (`<module>:<create export>`). */
  readonly providers: Readonly<Record<string, string>>;
}

/** A provider serialized as `pulumi.dynamic.Resource` does it. */
export interface SerializedProvider {
  readonly text: string;
  readonly containsSecrets: boolean;
}

/**
 * Serializes a dynamic provider exactly as the SDK's `pulumi.dynamic.Resource` does: the same call on a closure whose
 * captured variable is named `provider`, since the SDK names the provider's variable in the text after it.
 */
export async function serializeProvider(provider: pulumi.dynamic.ResourceProvider): Promise<SerializedProvider> {
  const serialized = await pulumi.runtime.serializeFunction(() => provider, { allowSecrets: true });
  return { text: serialized.text, containsSecrets: serialized.containsSecrets };
}

/** The installed SDK's version (the texts are only reused with the SDK that made them). */
export function pulumiSdkVersion(): string {
  return (require("@pulumi/pulumi/package.json") as { version: string }).version;
}

/** SHA-256 of the module that holds the providers' functions (this file's sibling, compiled or not). */
export function providerModuleSha256(): string {
  return createHash("sha256").update(readFileSync(path.join(__dirname, `dynamic-provider${path.extname(__filename)}`))).digest("hex");
}

/**
 * The build's texts in `directory`, or null when they cannot be used: no file (sources run directly), an unreadable
 * one, or one made by another SDK version or from other compiled providers.
 */
export function readSerializedProviders(directory: string): SerializedProviders | null {
  try {
    const file = JSON.parse(readFileSync(path.join(directory, SERIALIZED_PROVIDERS_FILE), "utf8")) as Partial<SerializedProviders> | null;
    if (!file || typeof file.providers !== "object" || file.providers === null) return null;
    if (file.sdkVersion !== pulumiSdkVersion() || file.providerModuleSha256 !== providerModuleSha256()) return null;
    return file as SerializedProviders;
  } catch {
    return null;
  }
}

let prebuilt: SerializedProviders | null | undefined;

const serializedAtRunTime = new WeakMap<pulumi.dynamic.ResourceProvider, pulumi.Output<string>>();

/** The `__provider` input of a resource of this provider: the build's text, or the SDK's serialization made now. */
export function providerInput(provider: pulumi.dynamic.ResourceProvider): pulumi.Input<string> {
  const key = lazyProviderKey(provider);
  if (prebuilt === undefined) prebuilt = readSerializedProviders(__dirname);
  const text = key === undefined ? undefined : prebuilt?.providers[key];
  if (typeof text === "string") return text;
  const cached = serializedAtRunTime.get(provider);
  if (cached) return cached;
  // Kept secret when the closure captured one, as the SDK keeps it.
  const input = pulumi
    .output(serializeProvider(provider))
    .apply((serialized): pulumi.Output<string> => (serialized.containsSecrets ? pulumi.secret(serialized.text) : pulumi.output(serialized.text)));
  serializedAtRunTime.set(provider, input);
  return input;
}

/**
 * A resource of one of this package's dynamic providers: what `pulumi.dynamic.Resource` registers (the type
 * `pulumi-nodejs:dynamic/<module>:<type>`, the provider serialized in `__provider`), with the provider's text taken
 * from the build when it has one. The engine and Pulumi's own provider process see the same resource either way.
 */
export abstract class PackageDynamicResource extends pulumi.CustomResource {
  protected constructor(
    provider: pulumi.dynamic.ResourceProvider,
    name: string,
    props: pulumi.Inputs,
    opts: pulumi.CustomResourceOptions | undefined,
    typeModule: string,
    typeName: string,
  ) {
    if (props.__provider !== undefined) throw new Error("a dynamic resource must not define the __provider input");
    super(`pulumi-nodejs:dynamic/${typeModule}:${typeName}`, name, { ...props, __provider: providerInput(provider) }, opts);
  }
}
