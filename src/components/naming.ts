import { createHash } from "node:crypto";

/** Naming limits of the providers' physical names. */
export interface NameRules {
  /** Longest name the provider accepts. */
  readonly maxLength: number;
  /** Characters allowed besides lower-case letters and digits. */
  readonly separator: "-" | "_";
  /** Must start with a letter. */
  readonly startWithLetter?: boolean;
}

/** Limits of the names this product gives to cloud resources. */
export const NAME_RULES = {
  vercelProject: { maxLength: 100, separator: "-" },
  s3Bucket: { maxLength: 63, separator: "-", startWithLetter: true },
  awsResource: { maxLength: 40, separator: "-", startWithLetter: true },
  rdsIdentifier: { maxLength: 63, separator: "-", startWithLetter: true },
  elasticache: { maxLength: 40, separator: "-", startWithLetter: true },
  gcpResource: { maxLength: 63, separator: "-", startWithLetter: true },
  gcpAccountId: { maxLength: 30, separator: "-", startWithLetter: true },
  dockerName: { maxLength: 128, separator: "-" },
} as const satisfies Record<string, NameRules>;

/**
 * A physical name derived from the parts (project, environment, role) that fits the provider's rules: lower case,
 * only letters, digits and the separator, and when too long, shortened with a hash of the full name so two long names
 * never collide.
 */
export function physicalName(parts: readonly string[], rules: NameRules): string {
  const full = parts
    .map((p) => p.toLowerCase().replace(/[^a-z0-9]+/g, rules.separator))
    .join(rules.separator)
    .replace(new RegExp(`\\${rules.separator}+`, "g"), rules.separator)
    .replace(new RegExp(`^\\${rules.separator}|\\${rules.separator}$`, "g"), "");
  let name = rules.startWithLetter && !/^[a-z]/.test(full) ? `p${rules.separator}${full}` : full;
  if (name.length > rules.maxLength) {
    const hash = createHash("sha256").update(parts.join("/")).digest("hex").slice(0, 8);
    name = `${name.slice(0, rules.maxLength - hash.length - 1).replace(new RegExp(`\\${rules.separator}+$`), "")}${rules.separator}${hash}`;
  }
  return name;
}

/** Tags (AWS) or labels (GCP) that say which project, environment and stack a resource belongs to. */
export function ownershipTags(spec: { project_id: string; environment: string; stack: string }): Record<string, string> {
  return { "deployment-planner:project": spec.project_id, "deployment-planner:environment": spec.environment, "deployment-planner:stack": spec.stack };
}

/** GCP label keys and values: lower case, letters, digits, `-` and `_`, at most 63 characters. */
export function gcpLabels(spec: { project_id: string; environment: string; stack: string }): Record<string, string> {
  const clean = (v: string) => v.toLowerCase().replace(/[^a-z0-9_-]/g, "_").slice(0, 63);
  return { "dp-project": clean(spec.project_id), "dp-environment": clean(spec.environment), "dp-stack": clean(spec.stack) };
}
