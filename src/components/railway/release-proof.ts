import type { IdentityContext, IdentityVerdict, ReleaseIdentity } from "../release-identity-types";
import { errorText, matchRelease, platformProof, proofValue, unrecorded } from "../release-proof";
import { RailwayClient } from "./api";
import { railwayCredential } from "./credentials";

/** A deployment as the proof reads it. */
interface DeploymentNode {
  readonly id: string;
  readonly status: string;
}

/** What Railway reports of the stack's service in its environment. */
export interface ServiceInstanceAnswer {
  readonly activeDeployments: readonly DeploymentNode[];
  readonly latestDeployment: DeploymentNode | null;
  readonly domains: { readonly serviceDomains: readonly { domain: string }[]; readonly customDomains: readonly { domain: string }[] };
}

/** Asks Railway about one service instance; tests answer for Railway here. */
export type AskServiceInstance = (serviceId: string, environmentId: string) => Promise<ServiceInstanceAnswer>;

/** The question through Railway's GraphQL API, with the deploying environment's token. */
export function railwayAsker(env: NodeJS.ProcessEnv): AskServiceInstance {
  return async (serviceId, environmentId) => {
    const credential = railwayCredential(env, "account");
    if (!credential) throw new Error("neither RAILWAY_API_TOKEN nor RAILWAY_TOKEN is set");
    const client = new RailwayClient({ credential, url: env.RAILWAY_API_URL || undefined, timeoutMs: 5_000, maxDelayMs: 1_000 });
    return (await client.call<{ serviceInstance: ServiceInstanceAnswer }>("serviceInstance", { serviceId, environmentId })).serviceInstance;
  };
}

/**
 * Which deployment Railway serves on `url`: the URL's host must be one of the service's domains in the stack's
 * environment, and the deployment Railway reports active there must be the one the stack records (else the newest
 * one), successful, and the only one.
 */
export async function railwayActiveDeployment(context: IdentityContext, url: string, ask: AskServiceInstance): Promise<IdentityVerdict> {
  const serviceId = proofValue(context, "serviceId");
  const environmentId = proofValue(context, "environmentId");
  if (serviceId === null || environmentId === null) return unrecorded("Railway service and environment");
  const host = new URL(url).host;
  let instance: ServiceInstanceAnswer;
  try {
    instance = await ask(serviceId, environmentId);
  } catch (error) {
    return { kind: "unproven", reason: `Railway could not be asked which deployment serves ${host}: ${errorText(error)}` };
  }
  const domains = [...instance.domains.serviceDomains, ...instance.domains.customDomains].map((d) => d.domain.toLowerCase());
  if (!domains.includes(host.toLowerCase())) return { kind: "unproven", reason: `${host} is not a domain of the stack's Railway service` };
  const expected = context.expectedRelease ?? instance.latestDeployment?.id ?? null;
  if (expected === null) return { kind: "other_release", release: null, reason: "Railway reports no deployment of the stack's service" };
  const active = instance.activeDeployments.filter((deployment) => deployment.status === "SUCCESS");
  if (active.length > 1) return { kind: "other_release", release: active[0]!.id, reason: `Railway reports ${active.length} active deployments behind ${host}, not ${expected} alone` };
  return matchRelease(active[0]?.id ?? null, expected, "deployment", host);
}

/** The Railway target's proof, asking Railway's API through `ask` (default: with the deploying environment's token). */
export function railwayReleaseProof(ask?: AskServiceInstance): ReleaseIdentity {
  return platformProof({
    method: "Railway's API names the active deployment of the stack's service on the URL's domain, which must be its newest (or recorded) deployment",
    ask: (context, url) => railwayActiveDeployment(context, url, ask ?? railwayAsker(context.env ?? process.env)),
  });
}

/** The Railway target's proof, asking Railway's API. */
export const RAILWAY_RELEASE_PROOF = railwayReleaseProof();
