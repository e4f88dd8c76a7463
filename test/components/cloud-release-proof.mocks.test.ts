import os from "node:os";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { awsReleaseProof, type AwsCaller } from "../../src/components/aws/release-proof";
import { dockerReleaseProof, type ContainerInspection } from "../../src/components/docker/release-proof";
import { gcpReleaseProof, type CloudRunServiceAnswer } from "../../src/components/gcp/release-proof";
import { servingRevision } from "../../src/components/gcp/revisions";
import { netlifyReleaseProof } from "../../src/components/netlify/release-proof";
import { railwayReleaseProof, type ServiceInstanceAnswer } from "../../src/components/railway/release-proof";
import { RELEASE_IDENTITIES, type IdentityContext, type ReleaseIdentity } from "../../src/components/release-identity";
import { RELEASE_MARKER_KEY, releaseMarker } from "../../src/components/site-marker";
import { vercelReleaseProof } from "../../src/components/vercel/release-proof";
import { startFakeNetlify, type FakeNetlify } from "../fakes/netlify-api";
import { FAKE_WORKSPACES, startFakeRailway, type FakeRailway } from "../fakes/railway-api";

/**
 * MOCKS: each cloud target's proof of release against a stand-in for its platform (a fake API answering as the
 * platform documents, or a mock answering for it). For every target: the stack's release passes, another (older or
 * foreign) deployment, revision, image or container is refused, and a plain 2xx without the proof is refused.
 */

const context = (expectedRelease: string | null, proof: Record<string, string>, env: NodeJS.ProcessEnv = {}): IdentityContext => ({
  stack: "shop.staging",
  workspaceDir: os.tmpdir(),
  expectedRelease,
  proof,
  env,
});

/** What one answer of the URL proves under `identity`. */
async function verdictOf(identity: ReleaseIdentity, ctx: IdentityContext, url: string, answer: Response) {
  const probe = await identity.probe(ctx, url);
  return probe.check(answer);
}

/** A fetch answering JSON `body` for requests whose URL `matches`, recording every URL asked. */
function mockFetch(routes: Record<string, unknown>, asked: string[] = []): typeof fetch {
  return (async (input: string | URL | Request) => {
    const url = String(input);
    asked.push(url);
    const found = Object.entries(routes).find(([prefix]) => url.startsWith(prefix));
    if (!found) return new Response("not found", { status: 404 });
    return new Response(typeof found[1] === "string" ? found[1] : JSON.stringify(found[1]), { status: 200 });
  }) as typeof fetch;
}

describe("MOCKS Vercel: the URL serves the stack's deployment", () => {
  const env = { VERCEL_API_TOKEN: "vercel-token", VERCEL_API_URL: "https://vercel.mock" };
  const vercelAnswer = new Response("ok", { headers: { "x-vercel-id": "iad1::abc" } });

  it("accepts the recorded deployment that Vercel says the alias serves, asking in the stack's team", async () => {
    const asked: string[] = [];
    const identity = vercelReleaseProof({ fetch: mockFetch({ "https://vercel.mock/v13/deployments/shop.example.com": { id: "dpl_new", readyState: "READY" } }, asked) });
    expect(await verdictOf(identity, context("dpl_new", { team: "team_abc" }, env), "https://shop.example.com/health", vercelAnswer.clone())).toEqual({ kind: "proven", release: "dpl_new" });
    expect(asked).toEqual(["https://vercel.mock/v13/deployments/shop.example.com?teamId=team_abc"]);
  });

  it("refuses an alias that still serves an older deployment, and one not READY", async () => {
    const old = vercelReleaseProof({ fetch: mockFetch({ "https://vercel.mock/": { id: "dpl_old", readyState: "READY" } }) });
    expect(await verdictOf(old, context("dpl_new", {}, env), "https://shop.example.com/", vercelAnswer.clone())).toMatchObject({ kind: "other_release", release: "dpl_old" });
    const building = vercelReleaseProof({ fetch: mockFetch({ "https://vercel.mock/": { id: "dpl_new", readyState: "BUILDING" } }) });
    expect(await verdictOf(building, context("dpl_new", {}, env), "https://shop.example.com/", vercelAnswer.clone())).toMatchObject({ kind: "other_release" });
  });

  it("refuses a plain 2xx without Vercel's header, and any answer when Vercel cannot be asked", async () => {
    const identity = vercelReleaseProof({ fetch: mockFetch({ "https://vercel.mock/": { id: "dpl_new", readyState: "READY" } }) });
    expect(await verdictOf(identity, context("dpl_new", {}, env), "https://shop.example.com/", new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("x-vercel-id") });
    expect(await verdictOf(identity, context("dpl_new", {}, {}), "https://shop.example.com/", vercelAnswer.clone())).toMatchObject({ kind: "unproven", reason: expect.stringContaining("VERCEL_API_TOKEN") });
    expect(await verdictOf(identity, context(null, {}, env), "https://shop.example.com/", vercelAnswer.clone())).toMatchObject({ kind: "unproven", reason: expect.stringContaining("deploy it again") });
    const failing = vercelReleaseProof({ fetch: mockFetch({}) });
    expect(await verdictOf(failing, context("dpl_new", {}, env), "https://shop.example.com/", vercelAnswer.clone())).toMatchObject({ kind: "unproven", reason: expect.stringContaining("HTTP 404") });
  });
});

describe("MOCKS Netlify: the site publishes the stack's deploy (the fake Netlify, checked against Netlify's OpenAPI description)", () => {
  let fake: FakeNetlify;
  let siteId = "";
  let env: NodeJS.ProcessEnv = {};
  const netlifyAnswer = () => new Response("ok", { headers: { "x-nf-request-id": "01ABC" } });

  beforeAll(async () => {
    fake = await startFakeNetlify("netlify-token");
    env = { NETLIFY_AUTH_TOKEN: "netlify-token", NETLIFY_API_URL: fake.url };
    const site = (await (await fetch(`${fake.url}/sites`, { method: "POST", headers: { authorization: "Bearer netlify-token", "content-type": "application/json" }, body: JSON.stringify({ name: "shop-staging" }) })).json()) as { id: string };
    siteId = site.id;
  });

  afterAll(async () => {
    expect(fake.violations).toEqual([]);
    await fake.close();
  });

  it("accepts the deploy the site publishes, and a deploy's own permalink for that deploy", async () => {
    fake.sites.get(siteId)!.publishedDeployId = "d-new";
    const identity = netlifyReleaseProof();
    expect(await verdictOf(identity, context("d-new", { siteId }, env), "https://shop-staging.netlify.app/health", netlifyAnswer())).toEqual({ kind: "proven", release: "d-new" });
    expect(await verdictOf(identity, context("d-new", { siteId }, env), "https://d-new--shop-staging.netlify.app/", netlifyAnswer())).toEqual({ kind: "proven", release: "d-new" });
  });

  it("refuses a site that publishes an older deploy, another deploy's permalink, and a site with none published", async () => {
    const identity = netlifyReleaseProof();
    fake.sites.get(siteId)!.publishedDeployId = "d-old";
    expect(await verdictOf(identity, context("d-new", { siteId }, env), "https://shop-staging.netlify.app/", netlifyAnswer())).toMatchObject({ kind: "other_release", release: "d-old" });
    expect(await verdictOf(identity, context("d-new", { siteId }, env), "https://d-old--shop-staging.netlify.app/", netlifyAnswer())).toMatchObject({ kind: "other_release", release: "d-old" });
    fake.sites.get(siteId)!.publishedDeployId = null;
    expect(await verdictOf(identity, context("d-new", { siteId }, env), "https://shop-staging.netlify.app/", netlifyAnswer())).toMatchObject({ kind: "other_release", release: null });
  });

  it("refuses a plain 2xx without Netlify's header, and a site Netlify does not know", async () => {
    fake.sites.get(siteId)!.publishedDeployId = "d-new";
    const identity = netlifyReleaseProof();
    expect(await verdictOf(identity, context("d-new", { siteId }, env), "https://shop-staging.netlify.app/", new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("x-nf-request-id") });
    expect(await verdictOf(identity, context("d-new", { siteId: "no-such-site" }, env), "https://shop-staging.netlify.app/", netlifyAnswer())).toMatchObject({ kind: "unproven", reason: expect.stringContaining("HTTP 404") });
  });
});

describe("MOCKS Cloud Run: the service reports the stack's revision serving", () => {
  const service = "projects/p/locations/us-central1/services/shop-staging";
  const env = { CLOUDSDK_AUTH_ACCESS_TOKEN: "gcp-token", CLOUD_RUN_API_URL: "https://run.mock/v2" };
  const proof = { kind: "cloud_run", service, revision: "shop-staging-new" };
  const withService = (answer: CloudRunServiceAnswer) => gcpReleaseProof({ fetch: mockFetch({ [`https://run.mock/v2/${service}`]: answer }) });

  it("accepts the recorded revision when it takes all traffic (LATEST or by name), and the new revision on its tag URL", async () => {
    const latest = withService({ latestReadyRevision: `${service}/revisions/shop-staging-new`, trafficStatuses: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_LATEST", percent: 100 }] });
    expect(await verdictOf(latest, context("shop-staging-new", proof, env), "https://shop-staging-abc.a.run.app/", new Response("ok"))).toEqual({ kind: "proven", release: "shop-staging-new" });
    const split = withService({
      latestReadyRevision: "shop-staging-new",
      trafficStatuses: [
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "shop-staging-old", percent: 90, tag: "stable", uri: "https://stable---shop-staging-abc.a.run.app" },
        { type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "shop-staging-new", percent: 10, tag: "canary", uri: "https://canary---shop-staging-abc.a.run.app" },
      ],
    });
    expect(await verdictOf(split, context(null, proof, env), "https://canary---shop-staging-abc.a.run.app/health", new Response("ok"))).toEqual({ kind: "proven", release: "shop-staging-new" });
    // The stable tag's URL serves the old revision, not the new one a canary checks.
    expect(await verdictOf(split, context(null, proof, env), "https://stable---shop-staging-abc.a.run.app/", new Response("ok"))).toMatchObject({ kind: "other_release", release: "shop-staging-old" });
    // The service's own URL splits between two revisions: not one release.
    expect(await verdictOf(split, context("shop-staging-new", proof, env), "https://shop-staging-abc.a.run.app/", new Response("ok"))).toMatchObject({ kind: "other_release" });
  });

  it("records as the release the revision an update leaves with the larger share of the traffic", () => {
    expect(servingRevision("shop-staging-new", undefined)).toBe("shop-staging-new");
    expect(servingRevision("shop-staging-new", { canaryPercent: 10, stableRevision: "shop-staging-old" })).toBe("shop-staging-old");
    expect(servingRevision("shop-staging-new", { canaryPercent: 75, stableRevision: "shop-staging-old" })).toBe("shop-staging-new");
    // An aborted canary gives the stable revision all traffic back: that is the release that serves.
    expect(servingRevision("shop-staging-new", { canaryPercent: 0, stableRevision: "shop-staging-old" })).toBe("shop-staging-old");
  });

  it("refuses an old revision taking the traffic, and a plain 2xx when the service cannot be asked", async () => {
    const old = withService({ latestReadyRevision: "shop-staging-new", trafficStatuses: [{ type: "TRAFFIC_TARGET_ALLOCATION_TYPE_REVISION", revision: "shop-staging-old", percent: 100 }] });
    expect(await verdictOf(old, context("shop-staging-new", proof, env), "https://shop-staging-abc.a.run.app/", new Response("ok"))).toMatchObject({ kind: "other_release", release: "shop-staging-old" });
    const unknown = gcpReleaseProof({ fetch: mockFetch({}) });
    expect(await verdictOf(unknown, context("shop-staging-new", proof, env), "https://shop-staging-abc.a.run.app/", new Response("ok"))).toMatchObject({ kind: "unproven" });
    expect(await verdictOf(old, context("shop-staging-new", proof, {}), "https://shop-staging-abc.a.run.app/", new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("Google credentials") });
    expect(await verdictOf(old, context("shop-staging-new", {}, env), "https://shop-staging-abc.a.run.app/", new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("deploy it again") });
  });
});

describe("MOCKS AWS: the service runs the release's image; a static site publishes the release's marker", () => {
  const image = "123.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:" + "a".repeat(64);
  const oldImage = "123.dkr.ecr.eu-west-1.amazonaws.com/shop@sha256:" + "b".repeat(64);
  const appRunnerArn = "arn:aws:apprunner:eu-west-1:123:service/shop/abc";
  const ecsArn = "arn:aws:ecs:eu-west-1:123:service/default/shop";
  const appRunner = (running: string, status = "RUNNING"): AwsCaller =>
    async (call) => {
      expect(call).toMatchObject({ service: "apprunner", region: "eu-west-1", target: "AppRunner.DescribeService", body: { ServiceArn: appRunnerArn } });
      return { Service: { Status: status, SourceConfiguration: { ImageRepository: { ImageIdentifier: running } } } };
    };
  const ecs = (running: string, deployments = 1): AwsCaller =>
    async (call) => {
      if (call.target.endsWith("DescribeServices")) {
        expect(call.body).toEqual({ cluster: "default", services: [ecsArn] });
        const primary = { status: "PRIMARY", taskDefinition: "arn:aws:ecs:eu-west-1:123:task-definition/shop:7", rolloutState: deployments > 1 ? "IN_PROGRESS" : "COMPLETED" };
        return { services: [{ deployments: deployments > 1 ? [primary, { status: "ACTIVE", taskDefinition: "shop:6" }] : [primary] }] };
      }
      expect(call).toMatchObject({ target: "AmazonEC2ContainerServiceV20141113.DescribeTaskDefinition", body: { taskDefinition: "arn:aws:ecs:eu-west-1:123:task-definition/shop:7" } });
      return { taskDefinition: { containerDefinitions: [{ image: running }] } };
    };
  const url = "https://shop.eu-west-1.awsapprunner.com/health";

  it("accepts App Runner and ECS Express services running the release's image digest", async () => {
    expect(await verdictOf(awsReleaseProof({ call: appRunner(image) }), context(image, { kind: "app_runner", serviceArn: appRunnerArn }), url, new Response("ok"))).toEqual({ kind: "proven", release: image });
    expect(await verdictOf(awsReleaseProof({ call: ecs(image) }), context(image, { kind: "ecs_express", serviceArn: ecsArn, cluster: "default" }), url, new Response("ok"))).toEqual({ kind: "proven", release: image });
  });

  it("refuses an older image, a service not RUNNING, and ECS still replacing an earlier deployment", async () => {
    expect(await verdictOf(awsReleaseProof({ call: appRunner(oldImage) }), context(image, { kind: "app_runner", serviceArn: appRunnerArn }), url, new Response("ok"))).toMatchObject({ kind: "other_release", release: oldImage });
    expect(await verdictOf(awsReleaseProof({ call: appRunner(image, "OPERATION_IN_PROGRESS") }), context(image, { kind: "app_runner", serviceArn: appRunnerArn }), url, new Response("ok"))).toMatchObject({ kind: "other_release" });
    expect(await verdictOf(awsReleaseProof({ call: ecs(oldImage) }), context(image, { kind: "ecs_express", serviceArn: ecsArn, cluster: "default" }), url, new Response("ok"))).toMatchObject({ kind: "other_release", release: oldImage });
    expect(await verdictOf(awsReleaseProof({ call: ecs(image, 2) }), context(image, { kind: "ecs_express", serviceArn: ecsArn, cluster: "default" }), url, new Response("ok"))).toMatchObject({ kind: "other_release" });
  });

  it("refuses a plain 2xx when AWS cannot be asked or the state records no service", async () => {
    const failing: AwsCaller = async () => {
      throw new Error("no static AWS keys are set");
    };
    expect(await verdictOf(awsReleaseProof({ call: failing }), context(image, { kind: "app_runner", serviceArn: appRunnerArn }), url, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("no static AWS keys") });
    expect(await verdictOf(awsReleaseProof({ call: appRunner(image) }), context(image, {}), url, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("deploy it again") });
  });

  it("reads a static site's release marker through its URL: the stack's release passes, an old or foreign marker and none are refused", async () => {
    const marker = releaseMarker({ stack: "shop.staging", artifact: { digest: "sha256:new" } as never });
    expect(marker.key).toBe(RELEASE_MARKER_KEY);
    const site = "https://d111.cloudfront.net";
    const serving = (content: string) => awsReleaseProof({ fetch: mockFetch({ [`${site}/${RELEASE_MARKER_KEY}`]: content }) });
    const ctx = context(marker.release, { kind: "static_site" });
    expect(await verdictOf(serving(marker.content), ctx, `${site}/index.html`, new Response("ok"))).toEqual({ kind: "proven", release: "sha256:new" });
    const old = releaseMarker({ stack: "shop.staging", artifact: { digest: "sha256:old" } as never });
    expect(await verdictOf(serving(old.content), ctx, `${site}/`, new Response("ok"))).toMatchObject({ kind: "other_release", release: "sha256:old" });
    const foreign = releaseMarker({ stack: "other.production", artifact: { digest: "sha256:new" } as never });
    expect(await verdictOf(serving(foreign.content), ctx, `${site}/`, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("another stack") });
    expect(await verdictOf(awsReleaseProof({ fetch: mockFetch({}) }), ctx, `${site}/`, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("HTTP 404") });
    expect(await verdictOf(serving("<html>parked</html>"), ctx, `${site}/`, new Response("ok"))).toMatchObject({ kind: "unproven" });
  });
});

describe("MOCKS Docker: the engine reports the stack's container holding the port", () => {
  const containerId = "c".repeat(64);
  const image = "shop-staging:latest";
  const inspection = (more: Partial<ContainerInspection> = {}): ContainerInspection => ({
    Id: containerId,
    Config: { Image: image },
    State: { Running: true },
    NetworkSettings: { Ports: { "3000/tcp": [{ HostPort: "8080" }] } },
    ...more,
  });
  const url = "http://127.0.0.1:8080/health";

  it("accepts the recorded container, running the release's image, publishing the URL's port", async () => {
    const asked: string[] = [];
    const identity = dockerReleaseProof(async (id) => (asked.push(id), inspection()));
    expect(await verdictOf(identity, context(containerId, { image }), url, new Response("ok"))).toEqual({ kind: "proven", release: containerId });
    expect(asked).toEqual([containerId]);
  });

  it("refuses a container from another image, a stopped or missing one, and one that does not publish the port", async () => {
    expect(await verdictOf(dockerReleaseProof(async () => inspection({ Config: { Image: "shop-staging@sha256:old" } })), context(containerId, { image }), url, new Response("ok"))).toMatchObject({ kind: "other_release" });
    expect(await verdictOf(dockerReleaseProof(async () => inspection({ State: { Running: false } })), context(containerId, { image }), url, new Response("ok"))).toMatchObject({ kind: "unproven" });
    expect(await verdictOf(dockerReleaseProof(async () => null), context(containerId, { image }), url, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("no longer exists") });
    expect(await verdictOf(dockerReleaseProof(async () => inspection()), context(containerId, { image }), "http://127.0.0.1:9090/", new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("port 9090") });
  });

  it("refuses a plain 2xx when the engine cannot be asked or the state records no container", async () => {
    const down = dockerReleaseProof(async () => {
      throw new Error("connect ENOENT");
    });
    expect(await verdictOf(down, context(containerId, { image }), url, new Response("ok"))).toMatchObject({ kind: "unproven" });
    expect(await verdictOf(dockerReleaseProof(async () => inspection()), context(null, {}), url, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("deploy it again") });
  });
});

describe("MOCKS Railway: the service's active deployment on its domain", () => {
  const proof = { serviceId: "svc-1", environmentId: "env-1" };
  const instance = (active: string[], latest: string | null, domain = "shop-production.up.railway.app"): ServiceInstanceAnswer => ({
    activeDeployments: active.map((id) => ({ id, status: "SUCCESS" })),
    latestDeployment: latest === null ? null : { id: latest, status: "SUCCESS" },
    domains: { serviceDomains: [{ domain }], customDomains: [] },
  });
  const url = "https://shop-production.up.railway.app/health";

  it("accepts the newest deployment when Railway reports it active on the URL's domain", async () => {
    const asked: string[] = [];
    const identity = railwayReleaseProof(async (serviceId, environmentId) => (asked.push(`${serviceId}/${environmentId}`), instance(["dep-new"], "dep-new")));
    expect(await verdictOf(identity, context(null, proof), url, new Response("ok"))).toEqual({ kind: "proven", release: "dep-new" });
    expect(asked).toEqual(["svc-1/env-1"]);
  });

  it("refuses an older deployment still active, or two at once, and a recorded deployment that no longer serves", async () => {
    expect(await verdictOf(railwayReleaseProof(async () => instance(["dep-old"], "dep-new")), context(null, proof), url, new Response("ok"))).toMatchObject({ kind: "other_release", release: "dep-old" });
    expect(await verdictOf(railwayReleaseProof(async () => instance(["dep-old", "dep-new"], "dep-new")), context(null, proof), url, new Response("ok"))).toMatchObject({ kind: "other_release" });
    expect(await verdictOf(railwayReleaseProof(async () => instance(["dep-new"], "dep-new")), context("dep-recorded", proof), url, new Response("ok"))).toMatchObject({ kind: "other_release", release: "dep-new" });
  });

  it("refuses a plain 2xx on a host that is not the service's, and when Railway cannot be asked", async () => {
    expect(await verdictOf(railwayReleaseProof(async () => instance(["dep-new"], "dep-new")), context(null, proof), "https://railway.com/project/p1/health", new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("not a domain") });
    const refused = railwayReleaseProof(async () => {
      throw new Error("Not Authorized");
    });
    expect(await verdictOf(refused, context(null, proof), url, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("Not Authorized") });
    expect(await verdictOf(RELEASE_IDENTITIES.railway, context(null, proof, {}), url, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("RAILWAY_API_TOKEN") });
  });
});

describe("MOCKS Railway: asked through the fake Railway API, which checks every request against Railway's schema", () => {
  let fake: FakeRailway;
  const token = "railway-account-token";
  beforeAll(async () => {
    fake = await startFakeRailway(token);
  });
  afterAll(async () => {
    expect(fake.faults).toEqual([]);
    await fake.close();
  });

  it("takes the active deployment on the service's domain, and refuses an older one still active", async () => {
    const project = fake.world.addProject("shop-production", FAKE_WORKSPACES.personal, ["production"]);
    const environmentId = project.environments[0]!.id;
    project.services.push({ id: "svc-app", name: "app", image: null, environmentIds: [environmentId], volumeMounts: {}, templateCode: null });
    const instance = { deployments: [{ id: "dep-new", status: "SUCCESS", active: true }], domains: ["app-production.up.railway.app"] };
    fake.world.instances.set(`${environmentId}/svc-app`, instance);
    const env = { RAILWAY_API_TOKEN: token, RAILWAY_API_URL: fake.url };
    const ctx = context(null, { serviceId: "svc-app", environmentId }, env);
    const url = "https://app-production.up.railway.app/health";
    expect(await verdictOf(RELEASE_IDENTITIES.railway, ctx, url, new Response("ok"))).toEqual({ kind: "proven", release: "dep-new" });
    instance.deployments = [{ id: "dep-old", status: "SUCCESS", active: true }, { id: "dep-new", status: "FAILED", active: false }];
    expect(await verdictOf(RELEASE_IDENTITIES.railway, ctx, url, new Response("ok"))).toMatchObject({ kind: "other_release", release: "dep-old" });
    expect(await verdictOf(RELEASE_IDENTITIES.railway, context(null, { serviceId: "svc-other", environmentId }, env), url, new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("Service not found") });
  });
});

describe("MOCKS every cloud target", () => {
  it("proves the release, never just the answer's status", () => {
    for (const target of ["vercel", "netlify", "docker", "railway", "aws", "gcp"] as const) expect(RELEASE_IDENTITIES[target].proves, target).toBe("release");
  });
});
