import { describe, expect, it } from "vitest";
import { createProject, deleteProject, diffProject, readProject, updateProject, type RailwayProjectOutputs } from "../../src/components/railway/provider-impl";
import { railwayActiveDeployment, railwayAsker } from "../../src/components/railway/release-proof";
import type { IdentityContext } from "../../src/components/release-identity-types";
import { FAKE_WORKSPACES } from "../fakes/railway-api";
import { projectInputs, useFakeRailway } from "./railway-env";

// The app service's public domain, made through the provider against a local FAKE of Railway's GraphQL API, which
// checks every request and answer against Railway's schema (Railway cannot be reached here).

describe("Railway provider: the app's public domain, against a fake Railway API", () => {
  const fake = useFakeRailway();
  const domainsOf = (outs: RailwayProjectOutputs, kind?: "service" | "custom") => fake().world.domains.of(outs.environmentId, outs.serviceId, kind);
  const creates = (from: number, operation: string) => fake().calls.slice(from).filter((c) => c === operation).length;

  it("gives the app service exactly one Railway domain on the app's port, reports it, and keeps it through updates", async () => {
    const from = fake().calls.length;
    const created = await createProject(projectInputs("domain-once", { datastores: [], targetPort: 3000 }));
    const [domain, ...more] = domainsOf(created.outs);
    expect(more).toEqual([]);
    expect(domain).toMatchObject({ kind: "service", targetPort: 3000 });
    expect(domain!.domain).toMatch(/^app-staging-[0-9a-f]{4}\.up\.railway\.app$/);
    expect(created.outs).toMatchObject({ domain: domain!.domain, serviceDomainId: domain!.id, customDomain: null, customDomainRecords: [] });
    // The dashboard stays the dashboard: the domain is the app's own.
    expect(created.outs.dashboardUrl).toBe(`https://railway.com/project/${created.id}`);

    const news = projectInputs("domain-once", { datastores: [], targetPort: 3000, env: { PORT: "3000", LOG_LEVEL: "info" } });
    const updated = await updateProject(created.id, created.outs, news);
    const again = await updateProject(created.id, updated.outs, news);
    expect(domainsOf(created.outs).map((d) => d.id)).toEqual([domain!.id]);
    expect(again.outs.domain).toBe(domain!.domain);
    expect(creates(from, "serviceDomainCreate")).toBe(1);

    await deleteProject(created.id, again.outs);
    expect([...fake().world.domains.all.values()].filter((d) => d.projectId === created.id)).toEqual([]);
  });

  it("moves the domain to a new port in place, and gives a stack recorded before domains its one", async () => {
    const created = await createProject(projectInputs("domain-port", { datastores: [], targetPort: 3000 }));
    const news = projectInputs("domain-port", { datastores: [], targetPort: 8080 });
    expect(diffProject(created.id, created.outs, news)).toEqual({ changes: true, replaces: [], deleteBeforeReplace: true });
    const { outs } = await updateProject(created.id, created.outs, news);
    expect(domainsOf(outs).map((d) => [d.domain, d.targetPort])).toEqual([[created.outs.domain, 8080]]);

    // A domain deleted in Railway leaves the state on refresh; with no input changed, the update is still due and
    // gives the service its domain again (as for a stack recorded before the product made domains).
    fake().world.domains.removeService(outs.serviceId, [outs.environmentId]);
    const read = await readProject(created.id, outs);
    expect(read.props).toBeDefined();
    expect(read.props).not.toHaveProperty("domain");
    const before = read.props!;
    expect(diffProject(created.id, before, news).changes).toBe(true);
    const refreshed = await updateProject(created.id, before, news);
    expect(domainsOf(outs)).toHaveLength(1);
    expect(refreshed.outs.domain).toBe(domainsOf(outs)[0]!.domain);
    expect((await readProject(created.id, refreshed.outs)).props).toMatchObject({ domain: refreshed.outs.domain });
    await deleteProject(created.id, refreshed.outs);
  });

  it("adopts the domain a create made when its answer was lost, instead of making a second", async () => {
    const from = fake().calls.length;
    fake().failNext("timeout", 1, "serviceDomainCreate", { afterActing: true });
    const created = await createProject(projectInputs("domain-lost-answer", { datastores: [], targetPort: 3000 }));
    expect(creates(from, "serviceDomainCreate")).toBe(1);
    expect(domainsOf(created.outs)).toHaveLength(1);
    expect(created.outs.domain).toBe(domainsOf(created.outs)[0]!.domain);
    await deleteProject(created.id, created.outs);
  });

  it("adds the spec's custom domain with the DNS records its owner must add, and swaps it when the spec names another", async () => {
    const created = await createProject(projectInputs("custom-domain", { datastores: [], targetPort: 3000, customDomain: "shop.example.com" }));
    const [custom] = domainsOf(created.outs, "custom");
    expect(custom).toMatchObject({ domain: "shop.example.com", targetPort: 3000 });
    expect(created.outs.customDomain).toBe("shop.example.com");
    expect(created.outs.customDomainRecords).toEqual([{ type: "CNAME", name: "shop.example.com", value: custom!.cnameTarget }]);

    // Railway's answer is remote input: a record value no DNS record could have is never shown or logged.
    const target = custom!.cnameTarget;
    custom!.cnameTarget = "edge.up.railway.app\n[ok] deploy finished";
    const hostile = await updateProject(created.id, created.outs, projectInputs("custom-domain", { datastores: [], targetPort: 3000, customDomain: "shop.example.com" }));
    expect(hostile.outs.customDomainRecords).toEqual([]);
    custom!.cnameTarget = target;

    // A custom domain added in Railway by hand is the owner's: the product neither claims nor removes it.
    fake().world.domains.resolvers.customDomainCreate(
      { input: { domain: "by-hand.example.com", projectId: created.id, environmentId: created.outs.environmentId, serviceId: created.outs.serviceId } },
      { kind: "account", personal: FAKE_WORKSPACES.personal, workspaces: Object.values(FAKE_WORKSPACES) },
    );
    const { outs } = await updateProject(created.id, created.outs, projectInputs("custom-domain", { datastores: [], targetPort: 3000, customDomain: "www.example.com" }));
    expect(domainsOf(outs, "custom").map((d) => d.domain).sort()).toEqual(["by-hand.example.com", "www.example.com"]);
    expect(outs.customDomain).toBe("www.example.com");
    // The delete's answer is lost after Railway acted: sent again, it finds the domain gone, which counts as deleted.
    fake().failNext("timeout", 1, "customDomainDelete", { afterActing: true });
    const dropped = await updateProject(created.id, outs, projectInputs("custom-domain", { datastores: [], targetPort: 3000 }));
    expect(fake().calls.filter((c) => c === "customDomainDelete").length).toBeGreaterThanOrEqual(3);
    expect(domainsOf(outs, "custom").map((d) => d.domain)).toEqual(["by-hand.example.com"]);
    expect(dropped.outs).toMatchObject({ customDomain: null, customDomainRecords: [] });
    await deleteProject(created.id, dropped.outs);
  });

  it("removes the service's domains with it when the stack lives in a project token's project", async () => {
    const project = fake().world.addProject("token-domains", FAKE_WORKSPACES.personal, ["staging"]);
    const staging = project.environments[0]!;
    delete process.env.RAILWAY_API_TOKEN;
    process.env.RAILWAY_TOKEN = fake().mintProjectToken(project.id, staging.id);
    const created = await createProject(projectInputs("ignored", { datastores: [], targetPort: 3000 }));
    expect(domainsOf(created.outs)).toHaveLength(1);
    await deleteProject(created.id, created.outs);
    expect(domainsOf(created.outs)).toEqual([]);
    expect(fake().world.projects.has(project.id)).toBe(true);
  });

  it("proves the release on the reported URL when Railway serves the newest deployment there, and refuses another domain", async () => {
    const created = await createProject(projectInputs("domain-proof", { datastores: [], targetPort: 3000 }));
    const { serviceId, environmentId, domain } = created.outs;
    const instance = { deployments: [{ id: "dep-1", status: "SUCCESS", active: true }], domains: [] as string[] };
    fake().world.instances.set(`${environmentId}/${serviceId}`, instance);
    const context: IdentityContext = { stack: "shop.staging", workspaceDir: "/nonexistent", expectedRelease: null, proof: { serviceId, environmentId } };
    const ask = railwayAsker(process.env);
    const url = `https://${domain}/health`;
    expect(await railwayActiveDeployment(context, url, ask)).toEqual({ kind: "proven", release: "dep-1" });

    instance.deployments = [{ id: "dep-1", status: "SUCCESS", active: true }, { id: "dep-2", status: "BUILDING", active: false }];
    expect(await railwayActiveDeployment(context, url, ask)).toMatchObject({ kind: "other_release", release: "dep-1" });
    instance.deployments = [{ id: "dep-2", status: "SUCCESS", active: true }];

    // Another stack's Railway domain, and the dashboard the URL used to be, are not this service's.
    const other = await createProject(projectInputs("domain-proof-other", { datastores: [], targetPort: 3000 }));
    expect(await railwayActiveDeployment(context, `https://${other.outs.domain}/health`, ask)).toMatchObject({ kind: "unproven", reason: expect.stringContaining("not a domain") });
    expect(await railwayActiveDeployment(context, `${created.outs.dashboardUrl}/health`, ask)).toMatchObject({ kind: "unproven" });
    expect(await railwayActiveDeployment(context, url, ask)).toEqual({ kind: "proven", release: "dep-2" });
    await deleteProject(created.id, created.outs);
    await deleteProject(other.id, other.outs);
  });
});
