import { failure } from "../../outcome";
import type { Catalog } from "../catalog";
import { TARGETS, type BuildKind, type Target } from "../spec";
import { mapRegion } from "./region";
import { decided, type Intent, type RuleOutcome } from "./result";

/** The targets that can host a build kind, in catalog order. */
export function hostsFor(kind: BuildKind, catalog: Catalog): Target[] {
  return TARGETS.filter((t) => catalog.targets[t].hosts.includes(kind));
}

/**
 * The target rule: an explicit `target` when it can host the build kind (else stage `plan`, naming those that can);
 * otherwise the first of: local/Docker for local and development, Railway (or AWS outside Railway's regions) for
 * containers, Netlify for static sites, Railway for full-stack apps with a database, Vercel for SaaS and SSR, then
 * Netlify for other static front ends and Railway for other Node.js services.
 */
export function chooseTarget(intent: Intent, kind: BuildKind): RuleOutcome<Target> {
  const { request, technologies, tier, catalog } = intent;
  const pick = (target: Target, reason: string) => decided(target, "target", target, reason);
  if (request.target) {
    const entry = catalog.targets[request.target];
    if (!entry.hosts.includes(kind)) {
      return failure(
        "plan",
        `target: ${entry.name} cannot host a ${kind} app (it hosts ${entry.hosts.join(", ")})`,
        `Use one of ${hostsFor(kind, catalog).join(", ")}, or change the stack so it builds to ${entry.hosts.join(" or ")}.`,
      );
    }
    return pick(request.target, "named by the request, and it can host this stack");
  }
  if (request.deployment_type === "local" || tier === "development") {
    const why = request.deployment_type === "local" ? "deployment_type local" : "development environments run locally";
    return kind === "container" ? pick("docker", `${why}; a container needs Docker`) : pick("local", `${why} on this machine`);
  }
  const region = request.environment.REGION;
  if (kind === "container") {
    // Railway's region list is short; a container asked for elsewhere goes where that region exists.
    const onRailway = mapRegion(catalog, "railway", region).kind;
    if (region !== undefined && (onRailway === "unmatched" || onRailway === "local")) {
      return pick("aws", `a container in ${region}, where Railway has no region, runs on AWS`);
    }
    return pick("railway", "Railway runs containers with managed datastores and no infrastructure to own");
  }
  if (request.deployment_type === "static_site" && kind === "static") return pick("netlify", "static sites go to Netlify's CDN");
  const engines = technologies.filter((t) => t.kind === "datastore" && t.engine && t.engine !== "sqlite").map((t) => t.engine!);
  if (request.deployment_type === "fullstack" && engines.length > 0) {
    return pick("railway", `a full-stack app with ${engines.join(", ")} goes to Railway, which hosts the app and its databases together`);
  }
  if (request.deployment_type === "cloud_saas" || technologies.some((t) => t.ssr)) {
    return pick("vercel", "SaaS and SSR front ends go to Vercel");
  }
  if (kind === "static") return pick("netlify", "static front ends go to Netlify's CDN");
  return pick("railway", "Node.js services and APIs go to Railway");
}
