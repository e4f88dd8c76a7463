import { writeFileSync } from "node:fs";
import path from "node:path";
import { lazyProvidersMade } from "./dynamic-provider";
import { SERIALIZED_PROVIDERS_FILE, providerModuleSha256, pulumiSdkVersion, serializeProvider, type SerializedProviders } from "./dynamic-resource";

/** The modules that make this package's lazy providers; loading them registers each provider. */
const PROVIDER_MODULES = ["./local/providers", "./netlify/netlify-site", "./railway/railway-project"] as const;

/**
 * Serializes every lazy provider with the installed SDK and writes `serialized-providers.json` into `directory`
 * (the compiled components directory), for `PackageDynamicResource` to reuse. Run by the build on the compiled code,
 * since the texts hold the compiled functions.
 */
export async function writeSerializedProviders(directory: string): Promise<SerializedProviders> {
  for (const module of PROVIDER_MODULES) require(module);
  const providers: Record<string, string> = {};
  for (const [key, provider] of [...lazyProvidersMade()].sort(([a], [b]) => a.localeCompare(b))) {
    const serialized = await serializeProvider(provider);
    // A closure that captured a secret stays out of a plain file: it is serialized at run time, kept secret.
    if (!serialized.containsSecrets) providers[key] = serialized.text;
  }
  const file: SerializedProviders = { sdkVersion: pulumiSdkVersion(), providerModuleSha256: providerModuleSha256(), providers };
  writeFileSync(path.join(directory, SERIALIZED_PROVIDERS_FILE), `${JSON.stringify(file, null, 2)}\n`);
  return file;
}
