/**
 * The planner's rules, one module each, and `planDeployment`, which runs them in order over a validated request.
 * Each rule returns its value with the decisions, warnings and next steps it adds (`RuleResult`), or a failure
 * result; the composer records their notes in the order the rules run, so `plan --explain` reads top to bottom.
 */
import { isFailure, type FailureResult } from "../../outcome";
import type { Catalog } from "../catalog";
import type { DeploymentRequest } from "../request";
import { STACK_SPEC_VERSION, stackNameFor, stackSpecSchema, type ServiceSpec, type StackSpec, type WebhookSpec } from "../spec";
import { planAwsContainer } from "./aws-container";
import { chooseBuild } from "./build";
import { planEnv, technologyEnv } from "./env";
import { planCloudRunSize } from "./gcp-container";
import { resolveIntent } from "./intent";
import { afterLaunch, planDomain } from "./launch";
import { chooseRegion } from "./region";
import { planLifecycle, planResources } from "./resources";
import { RuleLog, type TargetedIntent } from "./result";
import { chooseRollout } from "./rollout";
import { planSecrets } from "./secrets";
import { planService, serviceHooks } from "./services";
import { chooseTarget } from "./target";

export { defaultSecretRef } from "./secrets";
export type { RuleOutcome, RuleResult } from "./result";

/** A planned spec and the warnings raised on the way. */
export interface PlannedDeployment {
  readonly spec: StackSpec;
  readonly warnings: readonly string[];
}

/** Plans a validated deployment request against the catalog: resolve its names, then run every rule in order. */
export function planDeployment(request: DeploymentRequest, catalog: Catalog, baseDir: string): PlannedDeployment | FailureResult {
  const resolved = resolveIntent(request, catalog);
  if (isFailure(resolved)) return resolved;
  const log = new RuleLog();
  const build = log.take(chooseBuild(resolved, baseDir));
  const chosen = chooseTarget(resolved, build.kind);
  if (isFailure(chosen)) return chosen;
  const intent: TargetedIntent = { ...resolved, target: log.take(chosen) };
  const region = chooseRegion(intent);
  if (isFailure(region)) return region;
  const regionCode = log.take(region);

  // Per technology, in request order, so each one's next steps stay together.
  const services: ServiceSpec[] = [];
  const webhooks: WebhookSpec[] = [];
  const envDefaults: Record<string, string> = {};
  for (const tech of intent.technologies) {
    const service = log.take(planService(tech, intent));
    if (service) services.push(service);
    Object.assign(envDefaults, log.take(technologyEnv(tech, request)));
    webhooks.push(...log.take(serviceHooks(tech)));
  }
  const env = log.take(planEnv(envDefaults, request));
  // A failing rule ends the plan, so each result is taken as soon as it is known not to fail.
  const secrets = planSecrets(intent, services, env);
  if (isFailure(secrets)) return secrets;
  const secretSpecs = log.take(secrets);
  const resources = planResources(intent);
  if (isFailure(resources)) return resources;
  const sized = planAwsContainer(intent, build.kind, regionCode, log.take(resources), services);
  if (isFailure(sized)) return sized;
  const cloudRunSized = planCloudRunSize(intent, build.kind, log.take(sized));
  if (isFailure(cloudRunSized)) return cloudRunSized;
  const resourcesSpec = log.take(cloudRunSized);
  const rollout = chooseRollout(intent, build.kind);
  if (isFailure(rollout)) return rollout;
  const rolloutSpec = log.take(rollout);
  const domain = planDomain(intent);
  if (isFailure(domain)) return domain;
  // The domain's DNS comes first: until it points at the target, nothing else about the domain works.
  log.take(domain, "lead");
  const lifecycle = log.take(planLifecycle(intent));
  log.take(afterLaunch(intent, webhooks));

  const spec: StackSpec = {
    spec_version: STACK_SPEC_VERSION,
    project_id: request.project_id,
    environment: intent.environment,
    tier: intent.tier,
    stack: stackNameFor(request.project_id, intent.environment),
    deployment_type: request.deployment_type,
    target: intent.target,
    region: regionCode,
    target_settings: {
      gcp_project: request.target_settings?.gcp_project ?? null,
      vercel_team: request.target_settings?.vercel_team ?? null,
      docker_host: request.target_settings?.docker_host ?? null,
      // Absent unless asked for, so the specs and stack files of every other request stay as they were.
      ...(request.target_settings?.aws_container_service ? { aws_container_service: request.target_settings.aws_container_service } : {}),
    },
    request_region: request.environment.REGION ?? null,
    tech_stack: intent.technologies.map((t) => t.id),
    build,
    services,
    env,
    secrets: secretSpecs,
    webhooks,
    resources: resourcesSpec,
    rollout: rolloutSpec,
    domain: request.domain ?? null,
    public: request.public ?? true,
    protect: lifecycle.protect,
    auto_rollback: lifecycle.auto_rollback,
    ttl_hours: lifecycle.ttl_hours,
    version_name: request.version_name ?? null,
    deployer_id: request.deployer_id ?? null,
    user_id: request.user_id ?? null,
    artifact: null,
    decisions: log.decisions,
    next_steps: [...new Set(log.nextSteps)],
  };
  // The spec schema is the contract with the program; a spec that breaks it is a planner bug.
  return { spec: stackSpecSchema.parse(spec), warnings: log.warnings };
}
