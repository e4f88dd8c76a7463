import { randomBytes, randomUUID } from "node:crypto";
import { FakeRailwayDomains } from "./domains";
import { RailwayRefusal } from "./schema";
import { FAKE_TEMPLATES } from "./templates";

/** Who a request comes from, by its token: an account, one environment of a project, or nobody (a bad or absent token). */
export type Principal =
  | { readonly kind: "account"; readonly personal: string; readonly workspaces: readonly string[] }
  | { readonly kind: "project"; readonly projectId: string; readonly environmentId: string }
  | { readonly kind: "none"; readonly refusal: string };

/** A service of a fake project. */
export interface FakeService {
  readonly id: string;
  readonly name: string;
  readonly image: string | null;
  /** Environments the service is in. */
  environmentIds: string[];
  /** Volumes, by id, with where each is mounted. */
  readonly volumeMounts: Record<string, { mountPath?: string }>;
  /** Code of the template it was deployed from, or null. */
  readonly templateCode: string | null;
}

/** A project of the fake, with its variables and service settings per environment and service. */
export interface FakeProject {
  readonly id: string;
  readonly name: string;
  readonly description: string | null;
  readonly workspaceId: string;
  readonly environments: { id: string; name: string }[];
  readonly services: FakeService[];
  /** environment id -> service id -> variables. */
  readonly variables: Record<string, Record<string, Record<string, string>>>;
  /** environment id -> service id -> the instance's multi-region configuration. */
  readonly regions: Record<string, Record<string, Record<string, unknown>>>;
}

type Args = Record<string, any>;

function page<T>(items: T[], args: Args) {
  // A cursor is the index of the next item, so paging can be checked with a small `first`.
  const start = Number(args.after ?? 0);
  const end = start + Number(args.first ?? items.length);
  return { edges: items.slice(start, end).map((node) => ({ node })), pageInfo: { hasNextPage: end < items.length, hasPreviousPage: start > 0, endCursor: String(end) } };
}

/**
 * The FAKE Railway's data and the resolvers of its Query and Mutation fields, which graphql's executor calls with
 * the field's arguments and the request's principal. Refusals use Railway's words: "Not Authorized", "Project not
 * found", "Project Token not found".
 */
export class FakeRailwayWorld {
  readonly projects = new Map<string, FakeProject>();
  /** Workflow id -> polls still answered `Running`. */
  readonly workflows = new Map<string, number>();
  /** Polls a new template deploy's workflow answers `Running` before `Complete`. */
  workflowPolls = 1;
  /** When set, a template deploy's workflow ends in `Error` with this reason instead of `Complete`. */
  workflowError: string | null = null;

  /** A project made outside the product (what a project token points into). */
  addProject(name: string, workspaceId: string, environments: string[], description: string | null = null): FakeProject {
    const project: FakeProject = { id: randomUUID(), name, description, workspaceId, environments: environments.map((n) => ({ id: randomUUID(), name: n })), services: [], variables: {}, regions: {} };
    this.projects.set(project.id, project);
    return project;
  }

  /**
   * A service's variables as Railway renders them for the running service: each `${{VAR}}` or `${{Service.VAR}}`
   * replaced by the value it names (`RAILWAY_PRIVATE_DOMAIN` is the service's private host), and the references that
   * named nothing.
   */
  rendered(projectId: string, environmentId: string, serviceId: string): { values: Record<string, string>; unresolved: string[] } {
    const project = this.projects.get(projectId)!;
    const unresolved: string[] = [];
    const lookup = (owner: FakeService, key: string) =>
      key === "RAILWAY_PRIVATE_DOMAIN" ? `${owner.name.toLowerCase()}.railway.internal` : project.variables[environmentId]?.[owner.id]?.[key];
    const render = (owner: FakeService, value: string, depth: number): string =>
      value.replace(/\$\{\{\s*([^}]+?)\s*\}\}/g, (_, reference: string) => {
        const dot = reference.indexOf(".");
        const target = dot < 0 ? owner : project.services.find((s) => s.name === reference.slice(0, dot) && s.environmentIds.includes(environmentId));
        const raw = target && depth < 5 ? lookup(target, reference.slice(dot + 1)) : undefined;
        if (raw === undefined) {
          unresolved.push(reference);
          return "";
        }
        return render(target!, raw, depth + 1);
      });
    const service = project.services.find((s) => s.id === serviceId)!;
    const values = Object.fromEntries(Object.entries(project.variables[environmentId]?.[serviceId] ?? {}).map(([key, value]) => [key, render(service, value, 0)]));
    return { values, unresolved };
  }

  private signedIn(p: Principal): Exclude<Principal, { kind: "none" }> {
    if (p.kind === "none") throw new RailwayRefusal(p.refusal);
    return p;
  }

  private account(p: Principal) {
    const principal = this.signedIn(p);
    if (principal.kind !== "account") throw new RailwayRefusal("Not Authorized");
    return principal;
  }

  private project(p: Principal, id: unknown): FakeProject {
    const principal = this.signedIn(p);
    if (principal.kind === "project" && principal.projectId !== id) throw new RailwayRefusal("Not Authorized");
    const project = this.projects.get(String(id));
    if (!project) throw new RailwayRefusal("Project not found");
    if (principal.kind === "account" && !principal.workspaces.includes(project.workspaceId)) throw new RailwayRefusal("Not Authorized");
    return project;
  }

  private environment(p: Principal, project: FakeProject, id: unknown): string {
    if (p.kind === "project" && p.environmentId !== id) throw new RailwayRefusal("Not Authorized");
    if (!project.environments.some((e) => e.id === id)) throw new RailwayRefusal("Environment not found");
    return String(id);
  }

  private service(p: Principal, id: unknown): { project: FakeProject; service: FakeService } {
    for (const project of this.projects.values()) {
      const service = project.services.find((s) => s.id === id);
      if (service) return { project: this.project(p, project.id), service };
    }
    this.signedIn(p);
    throw new RailwayRefusal("Service not found");
  }

  private view(project: FakeProject) {
    return {
      id: project.id,
      name: project.name,
      description: project.description,
      workspaceId: project.workspaceId,
      environments: page(project.environments, {}),
      services: page(project.services.map(({ id, name }) => ({ id, name })), {}),
    };
  }

  private addService(project: FakeProject, name: string, image: string | null, environmentIds: string[], more: Partial<FakeService> = {}): FakeService {
    const service: FakeService = { id: randomUUID(), name, image, environmentIds, volumeMounts: {}, templateCode: null, ...more };
    project.services.push(service);
    return service;
  }

  /**
   * What runs per service instance (`<environment id>/<service id>`): its deployments, newest last, with their status
   * and whether each is active, and the domains that reach it. Tests set them; the fake makes no deployments itself.
   */
  readonly instances = new Map<string, { deployments: { id: string; status: string; active: boolean }[]; domains: string[] }>();

  /** The domains Railway provided services and the custom domains added to them, through the domain mutations. */
  readonly domains = new FakeRailwayDomains({
    instance: (p, serviceId, environmentId) => {
      const { project, service } = this.service(p as Principal, serviceId);
      const environment = this.environment(p as Principal, project, environmentId);
      if (!service.environmentIds.includes(environment)) throw new RailwayRefusal("ServiceInstance not found");
      return { projectId: project.id, serviceName: service.name, environmentName: project.environments.find((e) => e.id === environment)!.name };
    },
    reach: (p, projectId, environmentId) => {
      this.environment(p as Principal, this.project(p as Principal, projectId), environmentId);
    },
  });

  /** The resolvers of the root fields this product uses; a field without one answers null, which the schema check catches. */
  readonly root = {
    projectToken: (_: Args, p: Principal) => {
      if (p.kind !== "project") throw new RailwayRefusal(p.kind === "none" ? p.refusal : "Project Token not found");
      const project = this.project(p, p.projectId);
      const environment = project.environments.find((e) => e.id === p.environmentId)!;
      return { id: "token", projectId: project.id, environmentId: environment.id, project: this.view(project), environment };
    },
    project: ({ id }: Args, p: Principal) => this.view(this.project(p, id)),
    projects: (args: Args, p: Principal) => {
      const account = this.account(p);
      // Railway's root `projects` lists the account's own projects only, not a workspace's, unless asked for one.
      const workspaceId = args.workspaceId ?? account.personal;
      if (!account.workspaces.includes(workspaceId)) throw new RailwayRefusal("Not Authorized");
      return page([...this.projects.values()].filter((x) => x.workspaceId === workspaceId).map((x) => this.view(x)), args);
    },
    workspace: ({ workspaceId }: Args, p: Principal) => {
      if (!this.account(p).workspaces.includes(workspaceId)) throw new RailwayRefusal("Not Authorized");
      const projects = [...this.projects.values()].filter((x) => x.workspaceId === workspaceId).map((x) => this.view(x));
      return { id: workspaceId, name: workspaceId, projects: (args: Args) => page(projects, args) };
    },
    projectCreate: ({ input }: Args, p: Principal) => {
      const account = this.account(p);
      const workspaceId = input.workspaceId ?? account.personal;
      if (!account.workspaces.includes(workspaceId)) throw new RailwayRefusal("Not Authorized");
      return this.view(this.addProject(input.name, workspaceId, [input.defaultEnvironmentName ?? "production"], input.description ?? null));
    },
    projectDelete: ({ id }: Args, p: Principal) => {
      this.account(p);
      const project = this.project(p, id);
      this.domains.removeProject(project.id);
      return this.projects.delete(project.id);
    },
    environmentCreate: ({ input }: Args, p: Principal) => {
      this.account(p);
      const project = this.project(p, input.projectId);
      const environment = { id: randomUUID(), name: input.name };
      project.environments.push(environment);
      return environment;
    },
    serviceCreate: ({ input }: Args, p: Principal) => {
      const project = this.project(p, input.projectId);
      if (input.environmentId || p.kind === "project") this.environment(p, project, input.environmentId);
      // As the schema describes `environmentId`: a service made in an environment that is not a fork (the fake has no
      // forks) is made in every environment of the project.
      const environmentIds = project.environments.map((e) => e.id);
      const service = this.addService(project, input.name ?? `service-${project.services.length}`, input.source?.image ?? null, environmentIds);
      return { id: service.id, name: service.name };
    },
    serviceDelete: ({ id, environmentId }: Args, p: Principal) => {
      const { project, service } = this.service(p, id);
      const from = environmentId || p.kind === "project" ? [this.environment(p, project, environmentId)] : [...service.environmentIds];
      service.environmentIds = service.environmentIds.filter((e) => !from.includes(e));
      for (const e of from) delete project.variables[e]?.[service.id];
      this.domains.removeService(service.id, from);
      if (service.environmentIds.length === 0) project.services.splice(project.services.indexOf(service), 1);
      return true;
    },
    serviceInstance: ({ serviceId, environmentId }: Args, p: Principal) => {
      const { project, service } = this.service(p, serviceId);
      const environment = this.environment(p, project, environmentId);
      if (!service.environmentIds.includes(environment)) throw new RailwayRefusal("ServiceInstance not found");
      const instance = this.instances.get(`${environment}/${service.id}`) ?? { deployments: [], domains: [] };
      const view = (d: { id: string; status: string }) => ({ id: d.id, status: d.status });
      return {
        activeDeployments: instance.deployments.filter((d) => d.active).map(view),
        latestDeployment: instance.deployments.length > 0 ? view(instance.deployments[instance.deployments.length - 1]!) : null,
        domains: {
          // Domains a test set on the instance come first, then those the domain mutations made.
          serviceDomains: [
            ...instance.domains.map((domain) => ({ id: `set-${domain}`, domain, environmentId: environment, serviceId: service.id, targetPort: null, syncStatus: "ACTIVE" })),
            ...this.domains.of(environment, service.id, "service").map((d) => this.domains.view(d)),
          ],
          customDomains: this.domains.of(environment, service.id, "custom").map((d) => this.domains.view(d)),
        },
      };
    },
    serviceInstanceUpdate: ({ serviceId, environmentId, input }: Args, p: Principal) => {
      const { project, service } = this.service(p, serviceId);
      for (const e of environmentId || p.kind === "project" ? [this.environment(p, project, environmentId)] : service.environmentIds) {
        const config = ((project.regions[e] ??= {})[service.id] ??= {});
        // A region set to null is taken out of the configuration; any other value sets that region's replicas.
        for (const [region, value] of Object.entries((input.multiRegionConfig ?? {}) as Record<string, unknown>)) {
          if (value === null) delete config[region];
          else config[region] = value;
        }
      }
      return true;
    },
    variableCollectionUpsert: ({ input }: Args, p: Principal) => {
      const project = this.project(p, input.projectId);
      const environmentId = this.environment(p, project, input.environmentId);
      const service = project.services.find((s) => s.id === input.serviceId && s.environmentIds.includes(environmentId));
      if (!service) throw new RailwayRefusal("Service not found");
      const values = input.variables as Record<string, unknown>;
      if (Object.values(values).some((v) => typeof v !== "string")) throw new RailwayRefusal("Variable values must be strings");
      const current = ((project.variables[environmentId] ??= {})[service.id] ??= {});
      // As the schema describes `replace`: every existing variable goes before the given ones are set.
      const next = { ...(input.replace ? {} : current), ...(values as Record<string, string>) };
      project.variables[environmentId]![service.id] = next;
      return true;
    },
    template: ({ code }: Args) => {
      const template = FAKE_TEMPLATES[code];
      if (!template) throw new RailwayRefusal("Template not found");
      return { ...template, serializedConfig: structuredClone(template.serializedConfig) };
    },
    templateDeployV2: ({ input }: Args, p: Principal) => {
      if (!input.projectId) throw new RailwayRefusal("The fake deploys templates into existing projects only");
      const project = this.project(p, input.projectId);
      const environmentId = this.environment(p, project, input.environmentId);
      const template = Object.values(FAKE_TEMPLATES).find((t) => t.id === input.templateId);
      if (!template) throw new RailwayRefusal("Template not found");
      const services = (input.serializedConfig?.services ?? {}) as Record<string, Record<string, any>>;
      for (const config of Object.values(services)) {
        const service = this.addService(project, config.name, config.source?.image ?? null, [environmentId], { volumeMounts: config.volumeMounts ?? {}, templateCode: template.code });
        const variables = Object.entries((config.variables ?? {}) as Record<string, { value?: string; defaultValue?: string } | null>)
          .map(([key, v]) => [key, v?.value ?? v?.defaultValue ?? ""] as const)
          .filter(([, value]) => value !== "")
          // Railway runs a template's generators when it deploys: `${{secret(n)}}` becomes a random value.
          .map(([key, value]) => [key, value.replace(/\$\{\{\s*secret\((\d+)\)\s*\}\}/g, (_, n) => randomBytes(Number(n)).toString("base64url").slice(0, Number(n)))]);
        ((project.variables[environmentId] ??= {})[service.id] = Object.fromEntries(variables));
        if (config.deploy?.multiRegionConfig) (project.regions[environmentId] ??= {})[service.id] = { ...config.deploy.multiRegionConfig };
      }
      const workflowId = randomUUID();
      this.workflows.set(workflowId, this.workflowPolls);
      return { projectId: project.id, workflowId };
    },
    ...this.domains.resolvers,
    workflowStatus: ({ workflowId }: Args, p: Principal) => {
      this.signedIn(p);
      const running = this.workflows.get(workflowId);
      if (running === undefined) return { status: "NotFound", error: null };
      if (running > 0) this.workflows.set(workflowId, running - 1);
      if (running > 0) return { status: "Running", error: null };
      return this.workflowError ? { status: "Error", error: this.workflowError } : { status: "Complete", error: null };
    },
  };
}
