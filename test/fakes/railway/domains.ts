import { randomBytes, randomUUID } from "node:crypto";
import { RailwayRefusal } from "./schema";

/** A domain of the FAKE Railway: one it provided a service (`service`) or a custom domain added to it (`custom`). */
export interface FakeDomain {
  readonly id: string;
  readonly kind: "service" | "custom";
  readonly domain: string;
  readonly projectId: string;
  readonly environmentId: string;
  readonly serviceId: string;
  targetPort: number | null;
  /** For a custom domain: the value its CNAME record must have (a test may make it hostile). */
  cnameTarget: string | null;
}

/** What the domain resolvers need of the fake's world: who may touch a service in an environment. */
export interface DomainAccess {
  /** The service's project, after checking the principal may reach it and the environment; throws a refusal else. */
  instance(principal: unknown, serviceId: unknown, environmentId: unknown): { projectId: string; serviceName: string; environmentName: string };
  /** Refuses a principal that is not signed in, or whose token is not bound to this project. */
  reach(principal: unknown, projectId: string, environmentId: string): void;
}

type Args = Record<string, any>;

/**
 * The FAKE Railway's domains and the resolvers of the mutations that make and remove them, in Railway's schema's
 * shapes: `serviceDomainCreate` names the domain itself (`<service>-<environment>-<4 hex>.up.railway.app`), as Railway
 * does, and makes another one each time it is called, so a client that creates twice shows as two domains;
 * `customDomainCreate` answers the CNAME record its owner must add.
 */
export class FakeRailwayDomains {
  readonly all = new Map<string, FakeDomain>();

  constructor(private readonly access: DomainAccess) {}

  /** The domains of one service instance, oldest first. */
  of(environmentId: string, serviceId: string, kind?: FakeDomain["kind"]): FakeDomain[] {
    return [...this.all.values()].filter((d) => d.environmentId === environmentId && d.serviceId === serviceId && (kind === undefined || d.kind === kind));
  }

  /** Removes a service's domains in the given environments, as deleting the service there does. */
  removeService(serviceId: string, environmentIds: readonly string[]): void {
    for (const d of [...this.all.values()]) if (d.serviceId === serviceId && environmentIds.includes(d.environmentId)) this.all.delete(d.id);
  }

  /** Removes every domain of a project, as deleting the project does. */
  removeProject(projectId: string): void {
    for (const d of [...this.all.values()]) if (d.projectId === projectId) this.all.delete(d.id);
  }

  /** A domain as Railway's `ServiceDomain` or `CustomDomain` type has it. */
  view(d: FakeDomain) {
    const common = { id: d.id, domain: d.domain, projectId: d.projectId, environmentId: d.environmentId, serviceId: d.serviceId, targetPort: d.targetPort, syncStatus: "ACTIVE" };
    if (d.kind === "service") return { ...common, suffix: "up.railway.app" };
    const record = {
      recordType: "DNS_RECORD_TYPE_CNAME",
      fqdn: d.domain,
      hostlabel: d.domain.split(".")[0],
      zone: d.domain.split(".").slice(1).join("."),
      requiredValue: d.cnameTarget,
      currentValue: "",
      status: "DNS_RECORD_STATUS_REQUIRES_UPDATE",
      purpose: "DNS_RECORD_PURPOSE_TRAFFIC_ROUTE",
    };
    return {
      ...common,
      isRailwayDomain: false,
      cnameCheck: { status: "WAITING", message: "Waiting for the CNAME record" },
      status: { dnsRecords: [record], certificateStatus: "CERTIFICATE_STATUS_TYPE_VALIDATING_OWNERSHIP", verified: false },
    };
  }

  private owned(principal: unknown, id: unknown, kind: FakeDomain["kind"]): FakeDomain {
    const domain = this.all.get(String(id));
    if (!domain || domain.kind !== kind) throw new RailwayRefusal(kind === "service" ? "Service domain not found" : "Custom domain not found");
    this.access.reach(principal, domain.projectId, domain.environmentId);
    return domain;
  }

  /** The resolvers of Railway's domain mutations. */
  readonly resolvers = {
    serviceDomainCreate: ({ input }: Args, p: unknown) => {
      const instance = this.access.instance(p, input.serviceId, input.environmentId);
      const label = `${instance.serviceName}-${instance.environmentName}`.toLowerCase().replace(/[^a-z0-9-]/g, "-");
      const domain: FakeDomain = {
        id: randomUUID(),
        kind: "service",
        domain: `${label}-${randomBytes(2).toString("hex")}.up.railway.app`,
        projectId: instance.projectId,
        environmentId: input.environmentId,
        serviceId: input.serviceId,
        targetPort: input.targetPort ?? null,
        cnameTarget: null,
      };
      this.all.set(domain.id, domain);
      return this.view(domain);
    },
    serviceDomainUpdate: ({ input }: Args, p: unknown) => {
      const domain = this.owned(p, input.serviceDomainId, "service");
      if (domain.serviceId !== input.serviceId || domain.environmentId !== input.environmentId) throw new RailwayRefusal("Service domain not found");
      domain.targetPort = input.targetPort ?? null;
      return true;
    },
    serviceDomainDelete: ({ id }: Args, p: unknown) => this.all.delete(this.owned(p, id, "service").id),
    customDomainCreate: ({ input }: Args, p: unknown) => {
      const instance = this.access.instance(p, input.serviceId, input.environmentId);
      if (instance.projectId !== input.projectId) throw new RailwayRefusal("Service not found");
      const name = String(input.domain).toLowerCase();
      if ([...this.all.values()].some((d) => d.domain === name)) throw new RailwayRefusal("Domain is not available");
      const domain: FakeDomain = {
        id: randomUUID(),
        kind: "custom",
        domain: name,
        projectId: input.projectId,
        environmentId: input.environmentId,
        serviceId: input.serviceId,
        targetPort: input.targetPort ?? null,
        cnameTarget: `${randomBytes(4).toString("hex")}.up.railway.app`,
      };
      this.all.set(domain.id, domain);
      return this.view(domain);
    },
    customDomainDelete: ({ id }: Args, p: unknown) => this.all.delete(this.owned(p, id, "custom").id),
  };
}
