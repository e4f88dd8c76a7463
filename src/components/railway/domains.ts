import { createOnce } from "../http-retry";
import { RailwayApiError, type RailwayClient } from "./api";

/** A DNS record the owner of a custom domain adds at their DNS provider, as Railway asks for it. */
export interface RailwayDnsRecord {
  /** `CNAME`, `A`, `TXT`, ... */
  readonly type: string;
  /** The record's full name, e.g. `shop.example.com`. */
  readonly name: string;
  /** The value Railway requires, e.g. `abc123.up.railway.app`. */
  readonly value: string;
}

/** The domains a service keeps in one environment, as the provider records them. */
export interface RailwayServiceDomains {
  /** Railway's own public domain of the service (`app-production-1a2b.up.railway.app`). */
  readonly domain: string;
  readonly serviceDomainId: string;
  /** The spec's custom domain, when it has one. */
  readonly customDomain: string | null;
  /** What to add at the custom domain's DNS provider; empty without one. */
  readonly customDomainRecords: RailwayDnsRecord[];
}

/** Where the domains go: the service, its environment and project, the app's port and the spec's custom domain. */
export interface DomainPlacement {
  readonly projectId: string;
  readonly environmentId: string;
  readonly serviceId: string;
  /** Port the app listens on, which the domains route to. @default Railway's choice (the port the app is seen on) */
  readonly targetPort: number | null;
  readonly customDomain: string | null;
  /** The custom domain the stack had before, removed when the spec names another or none. @default none */
  readonly previousCustomDomain?: string | null;
}

interface ServiceDomainNode {
  readonly id: string;
  readonly domain: string;
  readonly targetPort: number | null;
}

interface CustomDomainNode extends ServiceDomainNode {
  readonly status: { readonly dnsRecords: readonly { recordType: string; fqdn: string; requiredValue: string; purpose: string }[] };
}

interface InstanceDomains {
  readonly serviceDomains: readonly ServiceDomainNode[];
  readonly customDomains: readonly CustomDomainNode[];
}

// A host name only: a domain Railway answers becomes the stack's URL, so nothing else may reach it.
const HOSTNAME = /^(?=.{1,253}$)([a-z0-9]([a-z0-9-]{0,61}[a-z0-9])?\.)+[a-z]{2,63}$/i;

function hostname(domain: string, what: string): string {
  if (!HOSTNAME.test(domain)) throw new RailwayApiError({ api: "Railway", operation: what, status: 200, detail: "Railway answered a domain that is not a host name", notFound: false });
  return domain.toLowerCase();
}

async function instanceDomains(api: RailwayClient, serviceId: string, environmentId: string): Promise<InstanceDomains> {
  return (await api.call<{ serviceInstance: { domains: InstanceDomains } }>("serviceInstanceDomains", { serviceId, environmentId })).serviceInstance.domains;
}

// A record's value is shown to a person and logged: a DNS value's characters only, of a DNS value's length.
const DNS_VALUE = /^[\w.=+/:-]{1,255}$/;

/**
 * The records a custom domain's owner adds: Railway's traffic route and any ownership check. A record whose name is
 * not a host name or whose value is empty or not a DNS value is left out, never shown.
 */
function dnsRecords(node: CustomDomainNode): RailwayDnsRecord[] {
  return node.status.dnsRecords
    .filter((r) => HOSTNAME.test(r.fqdn) && DNS_VALUE.test(r.requiredValue) && /^[A-Z_]{1,40}$/.test(r.recordType))
    .map((r) => ({ type: r.recordType.replace(/^DNS_RECORD_TYPE_/, ""), name: r.fqdn, value: r.requiredValue }));
}

/**
 * Gives the service one Railway-provided public domain routed to the app's port, and the spec's custom domain. A
 * domain the service already has in the environment is kept (a re-create or an update makes no second one); a custom
 * domain the stack had and the spec no longer names is removed. The service's domains go with the service when it is deleted.
 */
export async function syncDomains(api: RailwayClient, placement: DomainPlacement): Promise<RailwayServiceDomains> {
  const { projectId, environmentId, serviceId, targetPort } = placement;
  const current = await instanceDomains(api, serviceId, environmentId);
  const port = targetPort === null ? {} : { targetPort };

  let service = current.serviceDomains[0];
  if (service && targetPort !== null && service.targetPort !== targetPort) {
    await api.call("serviceDomainUpdate", { input: { serviceDomainId: service.id, domain: service.domain, environmentId, serviceId, targetPort } });
  }
  service ??= await createOnce({
    create: async () => (await api.call<{ serviceDomainCreate: ServiceDomainNode }>("serviceDomainCreate", { input: { environmentId, serviceId, ...port } })).serviceDomainCreate,
    find: async () => (await instanceDomains(api, serviceId, environmentId)).serviceDomains[0] ?? null,
    maxDelayMs: api.maxDelayMs,
  });

  const wanted = placement.customDomain?.toLowerCase() ?? null;
  // Only the domain the stack had is removed: one added in Railway by hand is the owner's to keep.
  const previous = placement.previousCustomDomain?.toLowerCase() ?? null;
  const stale = previous && previous !== wanted ? current.customDomains.find((d) => d.domain.toLowerCase() === previous) : undefined;
  if (stale) {
    // A delete sent again after one whose answer was lost finds the domain gone, which is what it wanted.
    await api.call("customDomainDelete", { id: stale.id }).catch((error: unknown) => {
      if (!(error instanceof RailwayApiError && error.notFound)) throw error;
    });
  }
  let custom: CustomDomainNode | null = null;
  if (wanted) {
    const findCustom = async () => (await instanceDomains(api, serviceId, environmentId)).customDomains.find((d) => d.domain.toLowerCase() === wanted) ?? null;
    custom =
      current.customDomains.find((d) => d.domain.toLowerCase() === wanted) ??
      (await createOnce({
        create: async () => (await api.call<{ customDomainCreate: CustomDomainNode }>("customDomainCreate", { input: { domain: wanted, projectId, environmentId, serviceId, ...port } })).customDomainCreate,
        find: findCustom,
        maxDelayMs: api.maxDelayMs,
      }));
  }
  return {
    domain: hostname(service.domain, "serviceDomainCreate"),
    serviceDomainId: service.id,
    customDomain: custom ? hostname(custom.domain, "customDomainCreate") : null,
    customDomainRecords: custom ? dnsRecords(custom) : [],
  };
}

/** Whether the service still has this Railway domain in the environment (false also when the service is gone). */
export async function hasServiceDomain(api: RailwayClient, serviceId: string, environmentId: string, domain: string): Promise<boolean> {
  try {
    return (await instanceDomains(api, serviceId, environmentId)).serviceDomains.some((d) => d.domain.toLowerCase() === domain.toLowerCase());
  } catch (error) {
    if (error instanceof RailwayApiError && error.notFound) return false;
    throw error;
  }
}

/** The next step a custom domain leaves: the DNS records to add, in words a person follows at their DNS provider. */
export function dnsStep(domain: string, records: readonly RailwayDnsRecord[]): string {
  if (records.length === 0) return `Point the DNS of ${domain} at Railway and wait for its certificate`;
  return `Add at the DNS provider of ${domain}: ${records.map((r) => `${r.type} ${r.name} -> ${r.value}`).join("; ")}; then wait for Railway's certificate`;
}
