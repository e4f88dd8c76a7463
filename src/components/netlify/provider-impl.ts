import { exitWhenEngineGone } from "../engine-watchdog";
import { NetlifyClient, type NetlifySite } from "./api";
import { deployFiles, listDeployFiles, type DeployOptions } from "./deploy";
import { syncSiteVariables } from "./env-vars";
import { providerEnv } from "../provider-environment";

// Loaded only in the provider process the engine starts: it must not outlive that engine.
exitWhenEngineGone();

/**
 * The Netlify site provider's logic, loaded by the dynamic provider at run time. Credentials come from the deploying
 * process's environment (`NETLIFY_AUTH_TOKEN`), never from the resource's inputs, so they are not stored in state.
 */

/** Inputs of a Netlify site. */
export interface NetlifySiteInputs {
  readonly name: string;
  readonly customDomain: string | null;
  readonly env: Record<string, string>;
  /** Secret variables; Pulumi keeps them encrypted in state. */
  readonly secretEnv: Record<string, string>;
  /** Directory to deploy, and its digest (a new digest means a new deploy). */
  readonly bundlePath: string | null;
  readonly digest: string | null;
}

/** Outputs of a Netlify site. */
export interface NetlifySiteOutputs extends NetlifySiteInputs {
  readonly siteId: string;
  readonly url: string;
  readonly adminUrl: string;
  readonly deployId: string | null;
}

/** The client, from the deploying environment: `NETLIFY_AUTH_TOKEN`, and optionally `NETLIFY_API_URL` and `NETLIFY_API_TIMEOUT_MS`. */
function client(): NetlifyClient {
  const env = providerEnv();
  const token = env.NETLIFY_AUTH_TOKEN;
  if (!token) throw new Error("NETLIFY_AUTH_TOKEN is not set in the deploying environment");
  const timeoutMs = Number(env.NETLIFY_API_TIMEOUT_MS) || undefined;
  return new NetlifyClient({ token, baseUrl: env.NETLIFY_API_URL || undefined, timeoutMs });
}

/** How long a deploy may take to go live: `NETLIFY_DEPLOY_TIMEOUT_MS` and `NETLIFY_DEPLOY_POLL_MS` override the defaults. */
function deployOptions(): DeployOptions {
  const env = providerEnv();
  return { timeoutMs: Number(env.NETLIFY_DEPLOY_TIMEOUT_MS) || undefined, pollIntervalMs: Number(env.NETLIFY_DEPLOY_POLL_MS) || undefined };
}

function outputs(inputs: NetlifySiteInputs, site: NetlifySite, deployId: string | null): NetlifySiteOutputs {
  return {
    ...inputs,
    siteId: site.id,
    url: inputs.customDomain ? `https://${inputs.customDomain}` : (site.ssl_url ?? site.url),
    adminUrl: site.admin_url ?? `https://app.netlify.com/sites/${site.name}`,
    deployId,
  };
}

/**
 * Creates the site, sets its variables and deploys the bundle, returning once the deploy is live; a failure after the
 * site exists removes it again. A bundle file Netlify cannot take is refused before anything is created. A create that
 * may have succeeded unseen adopts the site by its unique name instead of making a second one.
 */
export async function createSite(inputs: NetlifySiteInputs): Promise<{ id: string; outs: NetlifySiteOutputs }> {
  const api = client();
  const files = inputs.bundlePath ? await listDeployFiles(inputs.bundlePath) : null;
  const site = await api.createSite(inputs.name, inputs.customDomain);
  try {
    await syncSiteVariables(api, site, inputs);
    const deploy = files ? await deployFiles(api, site.id, files, deployOptions()) : null;
    return { id: site.id, outs: outputs(inputs, site, deploy?.deployId ?? null) };
  } catch (error) {
    // A half-made site would be orphaned: Pulumi records nothing for a failed create.
    await api.deleteSite(site.id).catch(() => undefined);
    throw error;
  }
}

/** Reads the site; one deleted outside Pulumi is reported gone so `refresh` drops it. */
export async function readSite(id: string, props: NetlifySiteOutputs): Promise<{ id?: string; props?: NetlifySiteOutputs }> {
  const site = await client().getSite(id);
  if (!site) return {};
  return { id, props: { ...props, customDomain: site.custom_domain || null, url: props.customDomain ? props.url : (site.ssl_url ?? site.url) } };
}

/**
 * Updates the domain and variables in place (variables no longer wanted are deleted), and deploys again when the
 * bundle changed, returning once that deploy is live. A bundle file Netlify cannot take is refused before any change.
 */
export async function updateSite(id: string, olds: NetlifySiteOutputs, news: NetlifySiteInputs): Promise<{ outs: NetlifySiteOutputs }> {
  const api = client();
  const redeploy = news.bundlePath && (news.digest !== olds.digest || news.bundlePath !== olds.bundlePath);
  const files = redeploy ? await listDeployFiles(news.bundlePath!) : null;
  const site = (olds.customDomain ?? null) !== news.customDomain ? await api.setCustomDomain(id, news.customDomain) : await api.getSite(id);
  if (!site) throw new Error(`the Netlify site ${id} no longer exists; run refresh, then deploy`);
  // Set on every update, not only when they changed: that also repairs variables edited in Netlify's dashboard and
  // moves those of sites deployed when variables still lived in `build_settings.env`.
  await syncSiteVariables(api, site, news, [...Object.keys(olds.env ?? {}), ...Object.keys(olds.secretEnv ?? {})]);
  const deploy = files ? await deployFiles(api, id, files, deployOptions()) : null;
  return { outs: outputs(news, site, deploy?.deployId ?? olds.deployId) };
}

/** Deletes the site (already gone counts as deleted). */
export async function deleteSite(id: string): Promise<void> {
  await client().deleteSite(id);
}

/** A new name replaces the site; everything else updates in place. */
export function diffSite(_id: string, olds: NetlifySiteOutputs, news: NetlifySiteInputs): { changes: boolean; replaces: string[] } {
  const keys: (keyof NetlifySiteInputs)[] = ["name", "customDomain", "env", "secretEnv", "bundlePath", "digest"];
  const changed = keys.filter((key) => JSON.stringify(olds[key] ?? null) !== JSON.stringify(news[key] ?? null));
  return { changes: changed.length > 0, replaces: changed.includes("name") ? ["name"] : [] };
}
