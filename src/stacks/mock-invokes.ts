/**
 * The provider functions (invokes) the components call, with what each returns under Pulumi's mocks. Both the offline
 * preview and the component tests answer invokes from this table and fail on any other, so a component that starts
 * calling a new function cannot pass with a made-up answer: the new invoke has to be added here, with a deliberate one.
 */

/** What a mocked invoke returns for its inputs. */
export type InvokeMock = (inputs: Readonly<Record<string, unknown>>) => Record<string, unknown>;

/** The invokes the components make, by token, with their mocked results: fixed, obviously fake values. */
export const KNOWN_INVOKES: Readonly<Record<string, InvokeMock>> = {
  // The AWS container services (ECS Express Mode, App Runner) push their image to ECR with a registry login.
  "aws:ecr/getAuthorizationToken:getAuthorizationToken": (inputs) => ({
    id: "mock-ecr-token",
    registryId: inputs.registryId,
    authorizationToken: "bW9jazptb2Nr",
    userName: "AWS",
    password: "mock-ecr-password",
    proxyEndpoint: "https://123456789012.dkr.ecr.mock.amazonaws.com",
    expiresAt: "2000-01-01T00:00:00Z",
  }),
  // The AWS static site serves a custom domain from the account's public Route 53 hosted zone of that domain.
  "aws:route53/getZone:getZone": (inputs) => ({
    id: "ZMOCKHOSTEDZONE",
    zoneId: "ZMOCKHOSTEDZONE",
    name: inputs.name,
    arn: "arn:aws:route53:::hostedzone/ZMOCKHOSTEDZONE",
    callerReference: "mock",
    comment: "",
    linkedServiceDescription: "",
    linkedServicePrincipal: "",
    nameServers: ["ns-mock.awsdns-00.com"],
    primaryNameServer: "ns-mock.awsdns-00.com",
    privateZone: false,
    resourceRecordSetCount: 2,
    tags: {},
  }),
  // The AWS network places the app and its datastores in the account's default VPC and its default subnets.
  "aws:ec2/getVpc:getVpc": () => ({
    id: "vpc-mock",
    arn: "arn:aws:ec2:mock:123456789012:vpc/vpc-mock",
    cidrBlock: "172.31.0.0/16",
    cidrBlockAssociations: [],
    default: true,
    dhcpOptionsId: "dopt-mock",
    enableDnsHostnames: true,
    enableDnsSupport: true,
    enableNetworkAddressUsageMetrics: false,
    instanceTenancy: "default",
    ipv6AssociationId: "",
    ipv6CidrBlock: "",
    mainRouteTableId: "rtb-mock",
    ownerId: "123456789012",
    region: "mock",
    state: "available",
    tags: {},
  }),
  "aws:ec2/getSubnets:getSubnets": (inputs) => ({ id: "mock-subnets", filters: inputs.filters, ids: ["subnet-mock-a", "subnet-mock-b", "subnet-mock-c"], region: "mock", tags: {} }),
  // CloudRunService pushes its image to Artifact Registry with the deploying identity's access token.
  "gcp:organizations/getClientConfig:getClientConfig": () => ({
    id: "mock-client-config",
    accessToken: "mock-gcp-access-token",
    project: "mock-project",
    region: "mock-region",
    zone: "mock-zone",
    defaultLabels: {},
  }),
  // VercelApp lists the bundle's files for its deployment; under mocks the directory is not read.
  "vercel:index/getProjectDirectory:getProjectDirectory": (inputs) => ({ id: inputs.path, path: inputs.path, files: {} }),
};

/** Raised for an invoke no mock answers. */
export class UnmockedInvokeError extends Error {
  readonly code = "UNMOCKED_INVOKE" as const;
  constructor(readonly token: string) {
    super(`unmocked invoke ${token}: no mock answers it (KNOWN_INVOKES)`);
    this.name = "UnmockedInvokeError";
  }
}

/** Answers an invoke from `invokes`, or throws `UnmockedInvokeError` for one it does not know. */
export function mockInvoke(token: string, inputs: Readonly<Record<string, unknown>>, invokes: Readonly<Record<string, InvokeMock>> = KNOWN_INVOKES): Record<string, unknown> {
  const mock = invokes[token];
  if (!mock) throw new UnmockedInvokeError(token);
  return mock(inputs);
}
