import { readdirSync, readFileSync } from "node:fs";
import path from "node:path";
import * as pulumi from "@pulumi/pulumi";
import type { BuildContext } from "../../src/components/types";
import { parseRequestText } from "../../src/planner/input";
import { loadCatalog } from "../../src/planner/catalog";
import { plan } from "../../src/planner/plan";
import { stackSpecSchema, type StackSpec, type Target } from "../../src/planner/spec";

/** A valid local-target spec for tests that start below the planner; override any field. */
export function localSpec(overrides: Partial<StackSpec> & Pick<StackSpec, "project_id">): StackSpec {
  const environment = overrides.environment ?? "development";
  return stackSpecSchema.parse({
    spec_version: 1,
    environment,
    tier: "development",
    stack: `${overrides.project_id}.${environment}`,
    deployment_type: "static_site",
    target: "local",
    region: "local",
    request_region: null,
    tech_stack: ["html"],
    build: {
      kind: "static",
      framework: null,
      source: null,
      install_command: null,
      build_command: null,
      output_dir: null,
      start_command: null,
      port: 8080,
      health_check_path: "/",
    },
    services: [],
    env: {},
    secrets: [],
    webhooks: [],
    resources: { memory_mb: 256, cpu: 0.25, min_instances: 1, max_instances: 1 },
    rollout: { strategy: "all_at_once" },
    domain: null,
    public: true,
    protect: false,
    ttl_hours: null,
    version_name: null,
    deployer_id: null,
    user_id: null,
    artifact: null,
    decisions: [],
    next_steps: [],
    ...overrides,
  });
}

const ROOT = path.resolve(__dirname, "..", "..");
const REQUESTS = path.join(ROOT, "examples", "requests");

/** A placeholder bundle: the example Node.js server, under a fixed digest. */
export const EXAMPLE_BUNDLE = { digest: `sha256:${"a".repeat(64)}`, path: path.join(ROOT, "examples", "apps", "node-server") } as const;

/** Plans a request object (or document text) with the shipped catalog; throws unless it plans to a spec. */
export function plannedSpec(request: unknown, overrides: Partial<StackSpec> = {}): StackSpec {
  const result = plan(request, { baseDir: REQUESTS });
  if (result.status !== "planned") throw new Error(`the request did not plan: ${JSON.stringify(result)}`);
  return { ...result.spec, ...overrides };
}

/** Plans one of `examples/requests`; override any field of the spec. */
export function exampleSpec(file: string, overrides: Partial<StackSpec> = {}): StackSpec {
  const parsed = parseRequestText(readFileSync(path.join(REQUESTS, file), "utf8"));
  if (!parsed.ok) throw new Error(parsed.failure.reason);
  return plannedSpec(parsed.request, overrides);
}

/** The names of `examples/requests` that plan to a deployment (the redeploy example is resolved against a stack). */
export function exampleRequestFiles(): string[] {
  return readdirSync(REQUESTS)
    .filter((file) => file !== "brief-redeploy.json")
    .sort();
}

/** What the program hands a builder: each secret as a Pulumi secret with a fixed value, and the spec's bundle. */
export function buildContextFor(spec: StackSpec): BuildContext {
  return {
    secrets: Object.fromEntries(spec.secrets.map((s) => [s.name, pulumi.secret(`value-of-${s.name}`)])),
    baseName: `${spec.project_id}-${spec.environment}`,
    bundleDir: spec.artifact?.path ?? null,
  };
}

/** One way a request can name a region, and the target's own code it must become. */
export interface RegionSpelling {
  /** What the request's `environment.REGION` says; null when the request names none. */
  readonly requested: string | null;
  /** How a test name shows it. */
  readonly label: string;
  /** The target's own region code the spec must carry. */
  readonly expected: string;
}

/**
 * Every spelling of every region in a target's `regions:` map of the catalog: no region (the default), each generic
 * key, and each of the target's own codes, once each.
 */
export function regionSpellings(target: Target): RegionSpelling[] {
  const regions = loadCatalog().targets[target].regions;
  const spellings = new Map<string, string>();
  for (const [key, code] of Object.entries(regions)) if (key !== "default") spellings.set(key, code);
  for (const code of Object.values(regions)) if (!spellings.has(code)) spellings.set(code, code);
  return [
    { requested: null, label: "no region", expected: regions.default! },
    ...[...spellings].map(([requested, expected]) => ({ requested, label: requested === expected ? `its own ${requested}` : requested, expected })),
  ];
}

/** A request for `target` in the region spelt `requested` (none when null); the rest of the request as given. */
export function requestIn(target: Target, requested: string | null, rest: Record<string, unknown>): Record<string, unknown> {
  return { project_id: "regions", target, environment: { ENV: "staging", ...(requested ? { REGION: requested } : {}) }, ...rest };
}
