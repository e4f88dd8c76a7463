import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** Arguments of `serviceSecrets`. */
export interface ServiceSecretsArgs {
  /** Prefix of the secrets' names in Secrets Manager (`<prefix>/<VARIABLE>`). */
  readonly namePrefix: string;
  /** Secret variables, by name; each value is stored as a secret and never passed on as plain text. */
  readonly secrets: Readonly<Record<string, pulumi.Input<string>>>;
  /** Keep a deleted secret recoverable for 30 days (production). @default false: deleted at once */
  readonly deletionProtection?: boolean;
  /** Tags put on every secret. */
  readonly tags: Readonly<Record<string, string>>;
}

/** The secrets `serviceSecrets` declares. */
export interface ServiceSecrets {
  /** Each secret's ARN, by the variable it is exposed as. */
  readonly arns: Readonly<Record<string, pulumi.Output<string>>>;
  /** The secrets' current versions, holding the values. */
  readonly versions: readonly aws.secretsmanager.SecretVersion[];
}

/**
 * Declares, under `parent`, one Secrets Manager secret per variable with its value as the current version (children
 * `${name}-secret-<variable>` and `${name}-secret-<variable>-value`). The container service reads each value by the
 * secret's ARN, so it never appears in the service's configuration; it must depend on the versions, so no task starts
 * before its values are stored.
 */
export function serviceSecrets(parent: pulumi.Resource, name: string, args: ServiceSecretsArgs): ServiceSecrets {
  const arns: Record<string, pulumi.Output<string>> = {};
  const versions: aws.secretsmanager.SecretVersion[] = [];
  for (const [key, value] of Object.entries(args.secrets)) {
    const secret = new aws.secretsmanager.Secret(
      `${name}-secret-${key.toLowerCase()}`,
      { name: `${args.namePrefix}/${key}`, recoveryWindowInDays: args.deletionProtection ? 30 : 0, tags: { ...args.tags } },
      { parent },
    );
    // A changed value replaces the version; protecting it would block that deploy.
    versions.push(
      new aws.secretsmanager.SecretVersion(`${name}-secret-${key.toLowerCase()}-value`, { secretId: secret.id, secretString: pulumi.secret(value) }, { parent, protect: false }),
    );
    arns[key] = secret.arn;
  }
  return { arns, versions };
}
