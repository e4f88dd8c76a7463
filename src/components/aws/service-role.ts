import * as aws from "@pulumi/aws";
import * as pulumi from "@pulumi/pulumi";

/** How long a new role and its policies are given to reach every IAM endpoint before a service assumes the role. */
export const IAM_PROPAGATION_SECONDS = 15;

/** Arguments of `serviceRole`. */
export interface ServiceRoleArgs {
  /** The AWS service that assumes the role, e.g. "ecs-tasks.amazonaws.com". */
  readonly principal: string;
  /** ARNs of the AWS managed policies attached to the role. @default none */
  readonly managedPolicyArns?: readonly string[];
  /** ARNs of the Secrets Manager secrets the role may read. @default none */
  readonly readableSecrets?: readonly pulumi.Input<string>[];
  /** Tags put on the role. */
  readonly tags: Readonly<Record<string, string>>;
}

/** What `serviceRole` declares: the role, and what grants it permissions (for a service's `dependsOn`). */
export interface ServiceRole {
  readonly role: aws.iam.Role;
  /** The policy attachments and the inline policy: a service using the role must be created after them. */
  readonly grants: readonly pulumi.Resource[];
}

/** The last part of a policy ARN, for a child's name. */
function policyName(arn: string): string {
  return arn.slice(arn.lastIndexOf("/") + 1).toLowerCase();
}

/**
 * Declares, under `parent`, a role the `principal` service assumes (child `${name}-role`), each managed policy as its
 * own attachment (`${name}-role-<policy>`) and, when there are secrets to read, an inline policy allowing
 * `secretsmanager:GetSecretValue` on exactly those (`${name}-role-read-secrets`). Attachments are separate resources,
 * rather than the role's `managedPolicyArns`, so a service can depend on each of them and a deletion waits for it.
 */
export function serviceRole(parent: pulumi.Resource, name: string, args: ServiceRoleArgs): ServiceRole {
  const role = new aws.iam.Role(
    `${name}-role`,
    {
      assumeRolePolicy: JSON.stringify({
        Version: "2012-10-17",
        Statement: [{ Effect: "Allow", Principal: { Service: args.principal }, Action: "sts:AssumeRole" }],
      }),
      tags: { ...args.tags },
    },
    { parent },
  );
  const grants: pulumi.Resource[] = (args.managedPolicyArns ?? []).map(
    (policyArn) => new aws.iam.RolePolicyAttachment(`${name}-role-${policyName(policyArn)}`, { role: role.name, policyArn }, { parent }),
  );
  const secrets = args.readableSecrets ?? [];
  if (secrets.length > 0) {
    grants.push(
      new aws.iam.RolePolicy(
        `${name}-role-read-secrets`,
        {
          role: role.id,
          policy: pulumi.jsonStringify({
            Version: "2012-10-17",
            Statement: [{ Effect: "Allow", Action: ["secretsmanager:GetSecretValue"], Resource: secrets }],
          }),
        },
        { parent },
      ),
    );
  }
  return { role, grants };
}

/**
 * Waits, once, after new roles are created: IAM is eventually consistent, and a service created right after its role
 * fails to assume it ("Error in assuming access role" from App Runner). The provider behind `aws.apprunner.Service`
 * retries only on its instance role (the one behind `aws.ecs.ExpressGatewayService` retries on assume-role errors, but
 * both services get the same wait), and no sleep resource is installed here (no `time` provider), so this small
 * dynamic resource sleeps `IAM_PROPAGATION_SECONDS` when it is created, and again only when the roles are replaced.
 */
export class IamPropagationWait extends pulumi.dynamic.Resource {
  constructor(name: string, roleArns: readonly pulumi.Input<string>[], opts: pulumi.CustomResourceOptions) {
    super(iamPropagationProvider, name, { roleArns, seconds: IAM_PROPAGATION_SECONDS }, opts, "aws", "IamPropagationWait");
  }
}

// Serialized into the state with the resource: it captures nothing but globals, so the state is the same on every machine.
const iamPropagationProvider: pulumi.dynamic.ResourceProvider = {
  async create(inputs) {
    await new Promise((resolve) => setTimeout(resolve, Number(inputs.seconds) * 1000));
    return { id: "iam-propagation", outs: inputs };
  },
  async diff(_id, olds, news) {
    const replaced = JSON.stringify(olds.roleArns) !== JSON.stringify(news.roleArns);
    return { changes: replaced, replaces: replaced ? ["roleArns"] : [], deleteBeforeReplace: true };
  },
};
