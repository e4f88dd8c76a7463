import { stackSpecSchema, type StackSpec } from "../../src/planner/spec";

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
