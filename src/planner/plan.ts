import path from "node:path";
import { failure, type FailureResult } from "../outcome";
import { loadCatalog, type Catalog, type Technology } from "./catalog";
import { parseRequestText } from "./input";
import {
  deploymentRequestSchema,
  describeIssues,
  isRedeployShape,
  redeployRequestSchema,
  type DeploymentRequest,
} from "./request";
import {
  STACK_SPEC_VERSION,
  TARGETS,
  stackNameFor,
  stackSpecSchema,
  type BuildKind,
  type BuildSpec,
  type Decision,
  type EnvironmentTier,
  type ResourcesSpec,
  type RolloutSpec,
  type SecretSpec,
  type ServiceSpec,
  type StackSpec,
  type Target,
  type WebhookSpec,
} from "./spec";

/** A redeploy request, resolved by the engine against the stack's history. */
export interface RedeployIntent {
  readonly project_id: string;
  /** Environment name (the stack is `<project_id>.<environment>`). */
  readonly environment: string;
  readonly version_name: string;
  readonly deployer_id: string;
}

/** A planned deployment. */
export interface PlannedResult {
  readonly status: "planned";
  readonly spec: StackSpec;
  readonly warnings: readonly string[];
}

/** A redeploy request: what to redeploy, to be resolved against the stack history. */
export interface RedeployResult {
  readonly status: "redeploy";
  readonly intent: RedeployIntent;
  /** Says in words what will happen. */
  readonly summary: string;
  readonly warnings: readonly string[];
}

/** Result of `plan`: a spec, a redeploy intent, or the brief's error object (stage `validation` or `plan`). */
export type PlanResult = PlannedResult | RedeployResult | FailureResult;

/** Options of `plan`. */
export interface PlanOptions {
  /** Directory a relative `source` is resolved against; default the current directory. */
  readonly baseDir?: string;
  /** A catalog other than the shipped one (tests). */
  readonly catalog?: Catalog;
}

const VALIDATION_FIX = "Fix the fields named in the reason; every field and value is documented in docs/planner.md.";

/** Default compute per environment tier. */
export const TIER_DEFAULTS: Readonly<Record<EnvironmentTier, ResourcesSpec & { ttl_hours: number | null; protect: boolean }>> = {
  development: { memory_mb: 256, cpu: 0.25, min_instances: 1, max_instances: 1, ttl_hours: null, protect: false },
  preview: { memory_mb: 256, cpu: 0.25, min_instances: 1, max_instances: 1, ttl_hours: 72, protect: false },
  staging: { memory_mb: 512, cpu: 0.5, min_instances: 1, max_instances: 2, ttl_hours: null, protect: false },
  production: { memory_mb: 1024, cpu: 1, min_instances: 2, max_instances: 10, ttl_hours: null, protect: true },
};

const DEFAULT_CANARY_STEPS = [10, 50, 100];

/**
 * Plans a deployment request: parse (either shape of the brief, an object or a JSON/YAML document) → normalize →
 * rules over the catalog → a `StackSpec` with every decision and its reason. Never throws for bad input.
 */
export function plan(request: unknown, options: PlanOptions = {}): PlanResult {
  let document = request;
  if (typeof request === "string") {
    const parsed = parseRequestText(request);
    if (!parsed.ok) return parsed.failure;
    document = parsed.request;
  }
  if (document === null || typeof document !== "object" || Array.isArray(document)) {
    return failure("validation", `request: expected an object but got ${document === null ? "null" : Array.isArray(document) ? "an array" : typeof document}`, VALIDATION_FIX);
  }

  if (isRedeployShape(document)) {
    const parsed = redeployRequestSchema.safeParse(document);
    if (!parsed.success) return validationFailure(describeIssues(parsed.error.issues, document));
    const intent: RedeployIntent = {
      project_id: parsed.data.project_id,
      environment: parsed.data.target_env,
      version_name: parsed.data.version_name,
      deployer_id: parsed.data.deployer_id,
    };
    return {
      status: "redeploy",
      intent,
      summary: `redeploy ${stackNameFor(intent.project_id, intent.environment)} as ${intent.version_name} for ${intent.deployer_id}: the spec of the stack's latest successful update is applied again`,
      warnings: [],
    };
  }

  const parsed = deploymentRequestSchema.safeParse(document);
  if (!parsed.success) return validationFailure(describeIssues(parsed.error.issues, document));
  return planDeployment(parsed.data, options.catalog ?? loadCatalog(), options.baseDir ?? process.cwd());
}

function validationFailure(problems: string[]): FailureResult {
  return failure("validation", problems[0] ?? "request is invalid", VALIDATION_FIX, { problems });
}

/** What the rules work on: the request with its technologies resolved against the catalog. */
interface Intent {
  readonly request: DeploymentRequest;
  readonly technologies: readonly Technology[];
  readonly tier: EnvironmentTier;
  readonly environment: string;
}

function planDeployment(request: DeploymentRequest, catalog: Catalog, baseDir: string): PlanResult {
  const problems: string[] = [];
  const technologies: Technology[] = [];
  request.tech_stack.forEach((name, index) => {
    const tech = catalog.find(name);
    if (tech) {
      if (!technologies.includes(tech)) technologies.push(tech);
      return;
    }
    const suggestions = catalog.suggest(name);
    problems.push(
      `tech_stack.${index}: unknown technology '${name}'${suggestions.length > 0 ? `; did you mean ${suggestions.map((s) => `'${s}'`).join(" or ")}?` : ""}`,
    );
  });
  if (problems.length > 0) {
    return failure("validation", problems[0]!, "Use a technology from the catalog (src/planner/catalog.yaml); names match ignoring case and punctuation.", { problems });
  }
  const tier = request.environment.ENV;
  const environment = request.environment.NAME ? `${tier}-${request.environment.NAME}` : tier;
  if (environment.length > 63) return validationFailure([`environment.NAME: the environment name '${environment}' is over 63 characters`]);
  const intent: Intent = { request, technologies, tier, environment };

  const decisions: Decision[] = [];
  const warnings: string[] = [];
  const nextSteps: string[] = [];

  const build = chooseBuild(intent, baseDir, decisions, warnings);
  const target = chooseTarget(intent, build.kind, catalog, decisions);
  if ("status" in target) return target;
  const targetEntry = catalog.targets[target.target];
  const region = chooseRegion(intent, target.target, catalog, decisions, warnings);

  const services: ServiceSpec[] = [];
  const secrets: SecretSpec[] = [];
  const env: Record<string, string> = {};
  const webhooks: WebhookSpec[] = [];
  const addSecret = (name: string, requiredBy: string) => {
    const existing = secrets.find((s) => s.name === name);
    if (existing) {
      if (!existing.required_by.includes(requiredBy)) existing.required_by.push(requiredBy);
      return;
    }
    secrets.push({ name, ref: request.secrets?.[name] ?? defaultSecretRef(request.project_id, name), required_by: [requiredBy] });
  };

  for (const tech of technologies) {
    if (tech.kind === "datastore" && tech.engine) {
      const service = planDatastore(tech, target.target, catalog, request.project_id, decisions, warnings, nextSteps);
      services.push(service);
      if (service.provisioning === "external" && service.connection_env) addSecret(service.connection_env, tech.id);
    } else if (tech.kind === "service") {
      services.push({ id: tech.id, name: tech.name, kind: "integration", provisioning: "external", engine: null, connection_env: null });
    }
    for (const secret of tech.secrets ?? []) addSecret(secret.name, tech.id);
    for (const variable of tech.env ?? []) {
      if (request.env?.[variable.name] !== undefined) continue;
      if (variable.default !== undefined) env[variable.name] = variable.default;
      else nextSteps.push(`Set ${variable.name} (${variable.description}) in the request's env`);
    }
    for (const hook of tech.webhooks ?? []) {
      webhooks.push({ service: tech.id, path: hook.path, events: hook.events, secret_env: hook.secret_env ?? null });
    }
    for (const step of tech.next_steps ?? []) nextSteps.push(step);
  }
  for (const [name, value] of Object.entries(request.env ?? {})) env[name] = value;
  for (const name of Object.keys(request.secrets ?? {})) addSecret(name, "request");
  for (const name of Object.keys(env)) {
    if (secrets.some((s) => s.name === name)) {
      return failure("validation", `env.${name}: is also a secret; a variable is either plain or secret`, `Remove ${name} from env and keep it in secrets.`);
    }
  }
  if (secrets.length > 0) {
    decisions.push({
      topic: "secrets",
      choice: secrets.map((s) => `${s.name}=${s.ref}`).join(", "),
      reason: `references only; values are resolved at deploy time. Unreferenced secrets default to Vault path '${request.project_id}' (mount 'secret'), key = variable name`,
    });
  }

  const defaults = TIER_DEFAULTS[tier];
  const resources: ResourcesSpec = {
    memory_mb: request.resources?.memory_mb ?? defaults.memory_mb,
    cpu: request.resources?.cpu ?? defaults.cpu,
    min_instances: request.resources?.instances ?? request.resources?.min_instances ?? defaults.min_instances,
    max_instances: request.resources?.instances ?? request.resources?.max_instances ?? Math.max(defaults.max_instances, request.resources?.min_instances ?? 0),
  };
  if (resources.min_instances > resources.max_instances) {
    return validationFailure([`resources.min_instances: ${resources.min_instances} is more than max_instances ${resources.max_instances}`]);
  }
  if (target.target === "local" && (resources.max_instances > 1 || resources.min_instances > 1)) {
    warnings.push("the local target runs one instance; resources.instances is ignored");
  }
  decisions.push({
    topic: "resources",
    choice: `${resources.memory_mb} MiB, ${resources.cpu} vCPU, ${resources.min_instances}-${resources.max_instances} instances`,
    reason: request.resources ? "as requested, defaults of the tier for the rest" : `defaults for ${tier}`,
  });

  const rollout = chooseRollout(request, target.target, catalog, decisions);
  if ("status" in rollout) return rollout;

  if (request.domain && !targetEntry.custom_domains) {
    return failure(
      "plan",
      `domain: ${targetEntry.name} cannot serve the custom domain '${request.domain}'`,
      `Choose a target with custom domains (${TARGETS.filter((t) => catalog.targets[t].custom_domains).join(", ")}) or drop 'domain'.`,
    );
  }
  if (request.domain) nextSteps.unshift(`Point the DNS of ${request.domain} at ${targetEntry.name} and wait for its certificate`);
  else if (tier === "production" && targetEntry.custom_domains) nextSteps.unshift("Connect domain");
  if (["cloud_saas", "fullstack"].includes(request.deployment_type)) nextSteps.push("Create admin user");
  for (const hook of webhooks) {
    nextSteps.push(`Register the ${hook.service} webhook at <deployed URL>${hook.path} for ${hook.events.join(", ")}`);
  }

  const ttl = request.ttl_hours ?? defaults.ttl_hours;
  if (ttl !== null) decisions.push({ topic: "ttl", choice: `${ttl} hours`, reason: request.ttl_hours ? "as requested" : `${tier} environments are temporary` });
  decisions.push({
    topic: "protection",
    choice: defaults.protect ? "protected" : "unprotected",
    reason: defaults.protect ? "production is protected from accidental destroy (destroy needs --force)" : `${tier} may be destroyed freely`,
  });

  const spec: StackSpec = {
    spec_version: STACK_SPEC_VERSION,
    project_id: request.project_id,
    environment,
    tier,
    stack: stackNameFor(request.project_id, environment),
    deployment_type: request.deployment_type,
    target: target.target,
    region,
    target_settings: {
      gcp_project: request.target_settings?.gcp_project ?? null,
      vercel_team: request.target_settings?.vercel_team ?? null,
      docker_host: request.target_settings?.docker_host ?? null,
    },
    request_region: request.environment.REGION ?? null,
    tech_stack: technologies.map((t) => t.id),
    build,
    services,
    env,
    secrets,
    webhooks,
    resources,
    rollout,
    domain: request.domain ?? null,
    public: request.public ?? true,
    protect: defaults.protect,
    ttl_hours: ttl,
    version_name: request.version_name ?? null,
    deployer_id: request.deployer_id ?? null,
    user_id: request.user_id ?? null,
    artifact: null,
    decisions,
    next_steps: [...new Set(nextSteps)],
  };
  // The spec schema is the contract with the program; a spec that breaks it is a planner bug.
  return { status: "planned", spec: stackSpecSchema.parse(spec), warnings };
}

/** The default reference of a secret: Vault KV v2, path = project id, key = variable name. */
export function defaultSecretRef(projectId: string, name: string): string {
  return `vault:${projectId}#${name}`;
}

function primaryTechnology(technologies: readonly Technology[]): Technology | undefined {
  return (
    technologies.find((t) => t.kind === "frontend" && t.ssr) ??
    technologies.find((t) => t.kind === "backend" || t.kind === "runtime") ??
    technologies.find((t) => t.kind === "frontend")
  );
}

function chooseBuild(intent: Intent, baseDir: string, decisions: Decision[], warnings: string[]): BuildSpec {
  const { request, technologies } = intent;
  const primary = primaryTechnology(technologies);
  let kind: BuildKind;
  let reason: string;
  if (request.deployment_type === "container" || technologies.some((t) => t.runs_as === "container")) {
    kind = "container";
    reason = request.deployment_type === "container" ? "the request asks for a container" : `${technologies.find((t) => t.runs_as === "container")!.name} runs in a container`;
  } else if (request.deployment_type === "static_site") {
    kind = "static";
    reason = primary?.ssr ? `static_site: ${primary.name} is exported to static files` : "static_site: files are served as they are";
  } else if (technologies.some((t) => t.runs_as === "node")) {
    kind = "node";
    reason = `${technologies.find((t) => t.runs_as === "node")!.name} runs as a Node.js server`;
  } else if (technologies.some((t) => t.runs_as === "static")) {
    kind = "static";
    reason = `${technologies.find((t) => t.runs_as === "static")!.name} builds to static files`;
  } else {
    kind = "node";
    reason = "the tech stack names no framework or runtime";
    warnings.push(`tech_stack names no framework or runtime; planning a ${kind} app`);
  }
  decisions.push({ topic: "build", choice: `${kind}${primary ? ` (${primary.name})` : ""}`, reason });
  const steps = primary?.build ?? {};
  const staticExport = kind === "static" && primary?.ssr;
  return {
    kind,
    framework: primary?.id ?? null,
    source: request.source ? path.resolve(baseDir, request.source) : null,
    install_command: steps.install ?? null,
    build_command: steps.build ?? null,
    output_dir: kind === "static" ? (staticExport ? "out" : (steps.output_dir ?? null)) : null,
    start_command: kind === "static" ? null : (steps.start ?? "npm start"),
    port: steps.port ?? (kind === "static" ? 8080 : kind === "node" ? 3000 : 8080),
    health_check_path: steps.health_check_path ?? "/",
  };
}

function hostsFor(kind: BuildKind, catalog: Catalog): Target[] {
  return TARGETS.filter((t) => catalog.targets[t].hosts.includes(kind));
}

function chooseTarget(intent: Intent, kind: BuildKind, catalog: Catalog, decisions: Decision[]): { target: Target } | FailureResult {
  const { request, technologies, tier } = intent;
  const engines = technologies.filter((t) => t.kind === "datastore" && t.engine && t.engine !== "sqlite").map((t) => t.engine!);
  if (request.target) {
    const entry = catalog.targets[request.target];
    if (!entry.hosts.includes(kind)) {
      const alternatives = hostsFor(kind, catalog);
      return failure(
        "plan",
        `target: ${entry.name} cannot host a ${kind} app (it hosts ${entry.hosts.join(", ")})`,
        `Use one of ${alternatives.join(", ")}, or change the stack so it builds to ${entry.hosts.join(" or ")}.`,
      );
    }
    decisions.push({ topic: "target", choice: request.target, reason: "named by the request, and it can host this stack" });
    return { target: request.target };
  }
  const pick = (target: Target, reason: string) => {
    decisions.push({ topic: "target", choice: target, reason });
    return { target };
  };
  if (request.deployment_type === "local" || tier === "development") {
    const why = request.deployment_type === "local" ? "deployment_type local" : "development environments run locally";
    return kind === "container" ? pick("docker", `${why}; a container needs Docker`) : pick("local", `${why} on this machine`);
  }
  if (kind === "container") {
    if (request.environment.REGION && !catalog.targets.railway.regions[request.environment.REGION]) {
      return pick("aws", `a container in ${request.environment.REGION}, where Railway has no region, runs on AWS`);
    }
    return pick("railway", "Railway runs containers with managed datastores and no infrastructure to own");
  }
  if (request.deployment_type === "static_site" && kind === "static") return pick("netlify", "static sites go to Netlify's CDN");
  if (request.deployment_type === "fullstack" && engines.length > 0) {
    return pick("railway", `a full-stack app with ${engines.join(", ")} goes to Railway, which hosts the app and its databases together`);
  }
  if (request.deployment_type === "cloud_saas" || technologies.some((t) => t.ssr)) {
    return pick("vercel", "SaaS and SSR front ends go to Vercel");
  }
  if (kind === "static") return pick("netlify", "static front ends go to Netlify's CDN");
  return pick("railway", "Node.js services and APIs go to Railway");
}

function chooseRegion(intent: Intent, target: Target, catalog: Catalog, decisions: Decision[], warnings: string[]): string {
  const requested = intent.request.environment.REGION;
  const regions = catalog.targets[target].regions;
  const fallback = regions.default ?? "default";
  if (!requested || requested === "local") {
    decisions.push({ topic: "region", choice: fallback, reason: requested ? "local region" : `no REGION given; ${catalog.targets[target].name}'s default` });
    return fallback;
  }
  const mapped = regions[requested];
  if (mapped) {
    decisions.push({ topic: "region", choice: mapped, reason: `${requested} maps to ${catalog.targets[target].name}'s ${mapped}` });
    return mapped;
  }
  warnings.push(`${catalog.targets[target].name} has no region matching ${requested}; using ${fallback}`);
  decisions.push({ topic: "region", choice: fallback, reason: `${catalog.targets[target].name} has no region matching ${requested}` });
  return fallback;
}

function planDatastore(
  tech: Technology,
  target: Target,
  catalog: Catalog,
  projectId: string,
  decisions: Decision[],
  warnings: string[],
  nextSteps: string[],
): ServiceSpec {
  const entry = catalog.targets[target];
  const base = { id: tech.id, name: tech.name, kind: "datastore" as const, engine: tech.engine!, connection_env: tech.connection_env ?? null };
  if (tech.engine === "sqlite") {
    if (!entry.embedded_datastores.includes("sqlite")) warnings.push(`SQLite on ${entry.name} does not keep its file across deploys`);
    decisions.push({ topic: `service:${tech.id}`, choice: "embedded", reason: "SQLite lives in a file beside the app" });
    return { ...base, provisioning: "embedded" };
  }
  if (entry.datastores.includes(tech.engine!)) {
    const provisioning = entry.datastore_provisioning ?? "managed";
    decisions.push({
      topic: `service:${tech.id}`,
      choice: provisioning,
      reason: provisioning === "container" ? `${entry.name} runs ${tech.name} from its official image beside the app` : `${entry.name} provides ${tech.name} as a managed service`,
    });
    return { ...base, provisioning };
  }
  decisions.push({
    topic: `service:${tech.id}`,
    choice: "external",
    reason: `${entry.name} cannot host ${tech.name}; the app connects to one the user provides through ${tech.connection_env}`,
  });
  nextSteps.push(`Provision a ${tech.name} ${tech.engine === "mongodb" ? "cluster" : "instance"} and store ${tech.connection_env} in Vault under '${projectId}'`);
  return { ...base, provisioning: "external" };
}

function chooseRollout(request: DeploymentRequest, target: Target, catalog: Catalog, decisions: Decision[]): RolloutSpec | FailureResult {
  const asked = request.rollout;
  let rollout: RolloutSpec;
  if (asked === undefined || asked === "all_at_once" || (typeof asked === "object" && asked.strategy === "all_at_once")) {
    rollout = { strategy: "all_at_once" };
  } else {
    const steps = asked === "canary" ? DEFAULT_CANARY_STEPS : (asked.steps ?? DEFAULT_CANARY_STEPS);
    const interval = asked === "canary" ? 300 : (asked.step_interval_seconds ?? 300);
    rollout = { strategy: "canary", steps, step_interval_seconds: interval };
    if (!catalog.targets[target].canary) {
      return failure(
        "plan",
        `rollout: ${catalog.targets[target].name} does not support canary rollouts`,
        `Use all_at_once, or a target with canary support (${TARGETS.filter((t) => catalog.targets[t].canary).join(", ")}).`,
      );
    }
  }
  decisions.push({
    topic: "rollout",
    choice: rollout.strategy === "canary" ? `canary ${rollout.steps.join("% → ")}%` : "all at once",
    reason: asked === undefined ? "default: the new release takes all traffic once healthy" : "as requested",
  });
  return rollout;
}
