import { mkdirSync, mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks, isolateEnvironment, MockSecret, valueOf } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec, plannedSpec, regionSpellings, requestIn } from "../support/specs";
import type { StackSpec } from "../../src/planner/spec";

// The components run in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const build = builderUnderMocks(mocks, (await import("../../src/components/docker/index")).buildDocker);
isolateEnvironment(["DOCKER_HOST"]);

const dockerResources = () => mocks.resources.filter((r) => r.custom && r.type.startsWith("docker:"));
const fullstack = (overrides: Partial<StackSpec> = {}) => exampleSpec("docker-fullstack.yaml", { artifact: EXAMPLE_BUNDLE, ...overrides });
const HOST = (host: string | null) => ({ gcp_project: null, vercel_team: null, docker_host: host });

describe("Docker target: one explicit provider", () => {
  it("puts every Docker resource through one provider on the spec's engine", async () => {
    await build(fullstack({ target_settings: HOST("ssh://deploy@build-host") }));
    expect(mocks.ofType("pulumi:providers:docker")).toHaveLength(1);
    for (const resource of dockerResources()) expect(resource.provider?.inputs.host, resource.name).toBe("ssh://deploy@build-host");
  });

  it("takes the engine from DOCKER_HOST when the spec names none, and leaves it unset (the local socket) otherwise", async () => {
    process.env.DOCKER_HOST = "tcp://docker.internal:2376";
    await build(fullstack());
    expect(mocks.ofType("pulumi:providers:docker")[0]?.inputs.host).toBe("tcp://docker.internal:2376");
    delete process.env.DOCKER_HOST;
    await build(fullstack());
    expect(mocks.ofType("pulumi:providers:docker")[0]?.inputs.host).toBeUndefined();
  });
});

describe("Docker target: containers", () => {
  it("builds the image from the bundle and runs it with a health check, published port and its env", async () => {
    const outputs = await build(fullstack());
    expect(mocks.ofType("docker:index/image:Image")[0]?.inputs).toMatchObject({ imageName: "shop-api-staging:latest", skipPush: true });
    const app = mocks.named("app-container");
    expect(app.inputs.healthcheck).toMatchObject({ tests: ["CMD-SHELL", "wget -q -O /dev/null http://127.0.0.1:3000/ || exit 1"] });
    expect(app.inputs.ports).toEqual([{ internal: 3000, external: 3000 }]);
    // The datastores' connection strings hold their passwords, so the variables are secret.
    expect(app.inputs.envs).toBeInstanceOf(MockSecret);
    expect(await valueOf(outputs.url)).toBe("http://127.0.0.1:3000");
  });

  it("runs each datastore from its official image on the private network with a volume", async () => {
    await build(fullstack());
    expect(mocks.ofType("docker:index/remoteImage:RemoteImage").map((i) => i.inputs.name)).toEqual(["postgres:16-alpine", "redis:7-alpine"]);
    expect(mocks.ofType("docker:index/volume:Volume")).toHaveLength(2);
    expect(mocks.ofType("docker:index/network:Network")).toHaveLength(1);
    expect(mocks.named("app-postgres-container").inputs.volumes).toEqual([{ volumeName: "shop-api-staging-postgres-data", containerPath: "/var/lib/postgresql/data" }]);
  });
});

describe("Docker target: images", () => {
  const imageBuild = () => mocks.ofType("docker:index/image:Image")[0]!.inputs.build as { context: string; dockerfile: string };

  it("publishes only a static build's output directory, as the other targets do, not the source tree", async () => {
    const spec = fullstack();
    await build({ ...spec, build: { ...spec.build, kind: "static", output_dir: "dist", start_command: null } });
    const dockerfile = readFileSync(imageBuild().dockerfile, "utf8");
    expect(dockerfile).toContain("COPY dist/ /usr/share/nginx/html");
    expect(dockerfile).not.toMatch(/^COPY \. /m);
  });

  it("generates a Node.js Dockerfile for a node bundle without one and checks it with the wget its base image has", async () => {
    await build(fullstack());
    expect(imageBuild().context).toBe(EXAMPLE_BUNDLE.path);
    expect(readFileSync(imageBuild().dockerfile, "utf8")).toMatch(/^FROM node:20-alpine$/m);
    expect(mocks.named("app-container").inputs.healthcheck).toBeDefined();
  });

  it("builds a bundle's own Dockerfile and adds no container health check that its image may not be able to run", async () => {
    const bundle = mkdtempSync(path.join(os.tmpdir(), "dp-docker-own-"));
    mkdirSync(path.join(bundle, "app"));
    writeFileSync(path.join(bundle, "Dockerfile"), "FROM scratch\nCOPY app /app\n");
    await build(fullstack({ artifact: { digest: EXAMPLE_BUNDLE.digest, path: bundle } }));
    expect(imageBuild().dockerfile).toBe(path.join(bundle, "Dockerfile"));
    expect(mocks.named("app-container").inputs.healthcheck).toBeUndefined();
  });
});

describe("Docker target: regions", () => {
  it.each(regionSpellings("docker"))("plans a request naming $label to $expected and builds it on the spec's engine", async ({ requested, expected }) => {
    const spec = plannedSpec(
      requestIn("docker", requested, { deployment_type: "container", tech_stack: ["Express", "PostgreSQL"], target_settings: { docker_host: "unix:///var/run/docker.sock" } }),
      { artifact: EXAMPLE_BUNDLE },
    );
    expect(spec.region).toBe(expected);
    await build(spec);
    for (const resource of dockerResources()) expect(resource.provider?.inputs.host, resource.name).toBe("unix:///var/run/docker.sock");
  });
});
