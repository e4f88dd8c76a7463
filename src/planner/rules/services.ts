import type { Technology } from "../catalog";
import type { ServiceSpec, WebhookSpec } from "../spec";
import { decided, ruled, type RuleResult, type TargetedIntent } from "./result";

/**
 * The services rule, for one technology: how the target provides a datastore (embedded SQLite, the target's own
 * managed or container datastore, or an external one reached through a connection secret), or a third-party
 * integration; null for technologies that are not services.
 */
export function planService(tech: Technology, intent: TargetedIntent): RuleResult<ServiceSpec | null> {
  if (tech.kind === "service") {
    return ruled({ id: tech.id, name: tech.name, kind: "integration", provisioning: "external", engine: null, connection_env: null });
  }
  if (tech.kind !== "datastore" || !tech.engine) return ruled(null);
  const entry = intent.catalog.targets[intent.target];
  const base = { id: tech.id, name: tech.name, kind: "datastore" as const, engine: tech.engine, connection_env: tech.connection_env ?? null };
  const topic = `service:${tech.id}`;
  if (tech.engine === "sqlite") {
    const warnings = entry.embedded_datastores.includes("sqlite") ? [] : [`SQLite on ${entry.name} does not keep its file across deploys`];
    return decided({ ...base, provisioning: "embedded" }, topic, "embedded", "SQLite lives in a file beside the app", { warnings });
  }
  if (entry.datastores.includes(tech.engine)) {
    const provisioning = entry.datastore_provisioning ?? "managed";
    const reason = provisioning === "container" ? `${entry.name} runs ${tech.name} from its official image beside the app` : `${entry.name} provides ${tech.name} as a managed service`;
    return decided({ ...base, provisioning }, topic, provisioning, reason);
  }
  const reason = `${entry.name} cannot host ${tech.name}; the app connects to one the user provides through ${tech.connection_env}`;
  const nextSteps = [`Provision a ${tech.name} ${tech.engine === "mongodb" ? "cluster" : "instance"} and store ${tech.connection_env} in Vault under '${intent.request.project_id}'`];
  return decided({ ...base, provisioning: "external" }, topic, "external", reason, { nextSteps });
}

/** The webhooks a technology needs registered against the deployed URL, and the catalog's next steps for it. */
export function serviceHooks(tech: Technology): RuleResult<WebhookSpec[]> {
  const webhooks = (tech.webhooks ?? []).map((hook) => ({ service: tech.id, path: hook.path, events: hook.events, secret_env: hook.secret_env ?? null }));
  return ruled(webhooks, { nextSteps: tech.next_steps ?? [] });
}
