import { failure, isFailure, type FailureResult } from "../outcome";
import { loadCatalog, type Catalog } from "./catalog";
import { explainSpec } from "./explain-spec";
import type { DeploymentRequest } from "./request";
import { planAwsContainer } from "./rules/aws-container";
import { planCloudRunSize } from "./rules/gcp-container";
import { planLifecycle, planResources } from "./rules/resources";
import { RuleLog, type TargetedIntent } from "./rules/result";
import { chooseRollout } from "./rules/rollout";
import { decisionConflict, topicRank } from "./spec-check";
import { ENVIRONMENT_TIERS, stackNameFor, type Decision, type EnvironmentTier, type StackSpec } from "./spec";

/** What a promotion takes from the source environment's current update. */
export interface PromotionSource {
  /** The spec the source's current update deployed. */
  readonly spec: StackSpec;
  /** Its update number. */
  readonly version: number;
}

/** Options of `planPromotion`. */
export interface PromotionOptions {
  /** The environment that receives the version, e.g. `production`. */
  readonly environment: string;
  /** Who promotes; recorded as the deployer (default: the source's deployer). */
  readonly actor?: string | null;
  /** A catalog other than the shipped one (tests). */
  readonly catalog?: Catalog;
}

/** A promoted spec and the warnings raised planning the target environment's own settings. */
export interface PlannedPromotion {
  readonly spec: StackSpec;
  readonly warnings: readonly string[];
}

/** Settings a promotion takes from the target environment: its own file's, or for a new one its tier's. */
const OWN_TOPICS = new Set(["region", "secrets", "resources", "container_service", "compute_size", "rollout", "ttl", "protection", "auto_rollback"]);

/** Topics that record what happened to a spec rather than explain a field. */
const EVENT_TOPICS = new Set(["promotion", "rollback", "redeploy"]);

/** The tier an environment name belongs to: the name itself, or its prefix before a suffix (`preview-pr-42`). */
export function tierOfEnvironment(environment: string): EnvironmentTier {
  const prefix = environment.split("-")[0] as EnvironmentTier;
  return (ENVIRONMENT_TIERS as readonly string[]).includes(prefix) ? prefix : "development";
}

/**
 * Plans a promotion: the source's app (artifact, build, services, technologies, plain settings, target) on the
 * target environment's own settings (tier, region and placement, resources, domain, protection, secret references,
 * time to live, automatic rollback, rollout). A target environment with a stack file keeps that file's settings and
 * their decisions; a new one gets its tier's defaults from the planner's own rules (sizes rounded as its target runs
 * them), with the decisions those rules record. Every decision of the result agrees with the field beside it, and the
 * domain's next steps are the target's. Fails at stage `plan` when the environment runs on another target than the
 * source, or when its tier's settings cannot run there.
 */
export function planPromotion(source: PromotionSource, current: StackSpec | null, options: PromotionOptions): PlannedPromotion | FailureResult {
  const catalog = options.catalog ?? loadCatalog();
  const { environment } = options;
  const app = source.spec;
  if (current && current.target !== app.target) {
    // The environment's region, placement and services belong to its own target: the app would land on neither.
    return failure(
      "plan",
      `cannot promote ${app.stack} to ${current.stack}: ${app.stack} runs on ${app.target} and ${current.stack} on ${current.target}`,
      `Promote between environments on one target, or deploy ${current.stack} from its deployment request.`,
    );
  }
  const own = current ? { spec: current, warnings: [] } : newEnvironment(app, environment, catalog);
  if (isFailure(own)) return own;
  const promoted: StackSpec = {
    ...app,
    stack: stackNameFor(app.project_id, environment),
    environment: own.spec.environment,
    tier: own.spec.tier,
    region: own.spec.region,
    request_region: own.spec.request_region,
    target_settings: own.spec.target_settings,
    resources: own.spec.resources,
    domain: own.spec.domain,
    protect: own.spec.protect,
    ttl_hours: own.spec.ttl_hours,
    auto_rollback: own.spec.auto_rollback,
    rollout: own.spec.rollout,
    secrets: own.spec.secrets,
    deployer_id: options.actor ?? app.deployer_id,
  };
  const appDecisions = app.decisions.filter((d) => !EVENT_TOPICS.has(d.topic) && !OWN_TOPICS.has(d.topic) && topicRank(d.topic) >= 0);
  // The target's reason may be the source tier's ("development environments run locally"): the promotion is the reason.
  const target = appDecisions.find((d) => d.topic === "target");
  const targetReason: Decision = { topic: "target", choice: app.target, reason: `the promoted app runs on ${app.target}, where ${app.stack} update ${source.version} was verified` };
  const decisions = [
    ...appDecisions.map((d) => (d === target && decisionConflict({ ...promoted, decisions: [] }, d, [], catalog) !== null ? targetReason : d)),
    ...own.spec.decisions.filter((d) => OWN_TOPICS.has(d.topic)),
    { topic: "promotion", choice: `${app.stack} update ${source.version}`, reason: `promoted: the app of ${app.stack} update ${source.version} on ${environment}'s own settings` },
  ];
  return { spec: explainSpec({ ...promoted, decisions }, catalog), warnings: own.warnings };
}

/**
 * The settings of an environment never deployed: what the planner's rules give its tier for this app, on the app's
 * target, region and placement, as if the request had asked for nothing beyond them.
 */
function newEnvironment(app: StackSpec, environment: string, catalog: Catalog): { spec: StackSpec; warnings: readonly string[] } | FailureResult {
  const tier = tierOfEnvironment(environment);
  const request = {
    project_id: app.project_id,
    deployment_type: app.deployment_type,
    tech_stack: app.tech_stack,
    environment: { ENV: tier, ...(app.request_region ? { REGION: app.request_region } : {}) },
    ...(app.target_settings.aws_container_service ? { target_settings: { aws_container_service: app.target_settings.aws_container_service } } : {}),
  } satisfies DeploymentRequest;
  const intent: TargetedIntent = { request, catalog, technologies: [], tier, environment, target: app.target };
  const log = new RuleLog();
  const asked = planResources(intent);
  if (isFailure(asked)) return asked;
  const sized = planAwsContainer(intent, app.build.kind, app.region, log.take(asked), app.services);
  if (isFailure(sized)) return sized;
  const cloudRunSized = planCloudRunSize(intent, app.build.kind, log.take(sized));
  if (isFailure(cloudRunSized)) return cloudRunSized;
  const resources = log.take(cloudRunSized);
  const rollout = chooseRollout(intent, app.build.kind);
  if (isFailure(rollout)) return rollout;
  const rolloutSpec = log.take(rollout);
  const lifecycle = log.take(planLifecycle(intent));
  const kept = app.decisions.filter((d) => d.topic === "region" || d.topic === "secrets");
  const spec: StackSpec = { ...app, environment, tier, resources, rollout: rolloutSpec, domain: null, ...lifecycle, decisions: [...kept, ...log.decisions] };
  return { spec, warnings: log.warnings };
}
