import { failure } from "../../outcome";
import type { Decision, SecretSpec, ServiceSpec } from "../spec";
import { decided, ruled, type Intent, type RuleOutcome } from "./result";

/** The default reference of a secret: Vault KV v2, path = project id, key = variable name. */
export function defaultSecretRef(projectId: string, name: string): string {
  return `vault:${projectId}#${name}`;
}

/**
 * The secrets rule: every secret the stack needs — connection strings of external datastores, the catalog's secrets
 * of each technology, the request's own — as references (the request's, else the Vault default), each with what needs
 * it. A variable that is both plain and secret fails at stage `validation`.
 */
export function planSecrets(intent: Intent, services: readonly ServiceSpec[], env: Readonly<Record<string, string>>): RuleOutcome<SecretSpec[]> {
  const { request } = intent;
  const secrets: SecretSpec[] = [];
  const add = (name: string, requiredBy: string) => {
    const existing = secrets.find((s) => s.name === name);
    if (!existing) secrets.push({ name, ref: request.secrets?.[name] ?? defaultSecretRef(request.project_id, name), required_by: [requiredBy] });
    else if (!existing.required_by.includes(requiredBy)) existing.required_by.push(requiredBy);
  };
  for (const tech of intent.technologies) {
    const service = services.find((s) => s.id === tech.id);
    if (service?.provisioning === "external" && service.connection_env) add(service.connection_env, tech.id);
    for (const secret of tech.secrets ?? []) add(secret.name, tech.id);
  }
  for (const name of Object.keys(request.secrets ?? {})) add(name, "request");
  const both = Object.keys(env).find((name) => secrets.some((s) => s.name === name));
  if (both) return failure("validation", `env.${both}: is also a secret; a variable is either plain or secret`, `Remove ${both} from env and keep it in secrets.`);
  if (secrets.length === 0) return ruled(secrets);
  const decision = secretsDecision(request.project_id, secrets);
  return decided(secrets, decision.topic, decision.choice, decision.reason);
}

/** The `secrets` decision: every reference, and where unreferenced secrets are looked up. */
export function secretsDecision(projectId: string, secrets: readonly SecretSpec[]): Decision {
  return {
    topic: "secrets",
    choice: secrets.map((s) => `${s.name}=${s.ref}`).join(", "),
    reason: `references only; values are resolved at deploy time. Unreferenced secrets default to Vault path '${projectId}' (mount 'secret'), key = variable name`,
  };
}
