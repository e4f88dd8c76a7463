import { createHash } from "node:crypto";
import * as pulumi from "@pulumi/pulumi";
import { afterEach, beforeEach } from "vitest";
import type { TargetBuilder, TargetOutputs } from "../../src/components/types";
import type { StackSpec } from "../../src/planner/spec";
import { buildContextFor } from "./specs";
import { KNOWN_INVOKES, UnmockedInvokeError, type InvokeMock } from "../../src/stacks/mock-invokes";

/** A secret input as a resource received it: Pulumi's secret marking, unwrapped so tests can see both. */
export class MockSecret {
  constructor(readonly value: unknown) {}
}

/** One resource the code under test registered, as the engine would have seen it. */
export interface RecordedResource {
  readonly type: string;
  readonly name: string;
  /** Whether a provider creates it (false for components). */
  readonly custom: boolean;
  /** Inputs as sent; secret values appear as `MockSecret`. */
  readonly inputs: Record<string, unknown>;
  /** The explicit provider it goes through, or null for the engine's default provider of its package. */
  readonly provider: RecordedResource | null;
  /** Logical names of the resources it waits for through `dependsOn` (besides those its inputs come from). */
  readonly dependsOn: readonly string[];
}

/** One provider function the code under test called. */
export interface RecordedInvoke {
  readonly token: string;
  readonly inputs: Record<string, unknown>;
  /** The explicit provider it was called through, or null for the default provider. */
  readonly provider: RecordedResource | null;
}

/** Options of `installMocks`. */
export interface MockOptions {
  /** Invokes answered, by token; any other throws `UnmockedInvokeError`. @default the components' known invokes */
  readonly invokes?: Readonly<Record<string, InvokeMock>>;
  /** Run as a preview (outputs of other resources unknown). @default false: every output known */
  readonly preview?: boolean;
}

/** What `installMocks` records, and how a test waits for it. */
export interface Mocks {
  /** Every resource registered since the last `reset`, in order. */
  readonly resources: readonly RecordedResource[];
  /** Every invoke called since the last `reset`, in order. */
  readonly invokes: readonly RecordedInvoke[];
  /** The resources of a type (e.g. "aws:s3/bucket:Bucket"), in order. */
  ofType(type: string): RecordedResource[];
  /** The one resource with that logical name; throws when there is none or more than one. */
  named(name: string): RecordedResource;
  /** Forgets what was recorded, to build another stack in the same file. */
  reset(): void;
  /**
   * Waits until every registration and invoke started so far has finished, then throws `UnmockedInvokeError` if any
   * invoke had no mock (its error may otherwise surface nowhere).
   */
  settle(): Promise<void>;
}

/** Pulumi's wire marking of a secret value. */
const SECRET_SIG = "4dabf18193072939515e22adb298388d";
const SECRET_VALUE = "1b47061264138c4ac30d75fd1eb44270";

function unwrapSecrets(value: unknown): unknown {
  // An asset stays itself, so a test can read the file it names.
  if (value instanceof pulumi.asset.Asset || value instanceof pulumi.asset.Archive) return value;
  if (Array.isArray(value)) return value.map(unwrapSecrets);
  if (value !== null && typeof value === "object") {
    const record = value as Record<string, unknown>;
    if (record[SECRET_SIG] === SECRET_VALUE) return new MockSecret(unwrapSecrets(record.value));
    return Object.fromEntries(Object.entries(record).map(([k, v]) => [k, unwrapSecrets(v)]));
  }
  return value;
}

/**
 * Outputs only the cloud assigns, which the components read: fixed values so what depends on them resolves. AWS
 * resources are referred to by ARN; a Vercel deployment's URL becomes the app's URL.
 */
function computedOutputs(type: string, name: string, inputs: Record<string, unknown>): Record<string, unknown> {
  // A certificate validated by DNS asks for one CNAME per domain; a distribution gets its own domain and alias zone.
  if (type === "aws:acm/certificate:Certificate") {
    const challenge = { domainName: inputs.domainName, resourceRecordName: `_mock.${String(inputs.domainName)}.`, resourceRecordType: "CNAME", resourceRecordValue: "_mock.acm-validations.aws." };
    return { arn: `arn:aws:mock::123456789012:${name}`, domainValidationOptions: [challenge] };
  }
  if (type === "aws:cloudfront/distribution:Distribution") return { arn: `arn:aws:mock::123456789012:${name}`, domainName: `${name}.mock.cloudfront.net`, hostedZoneId: "ZMOCKCLOUDFRONT" };
  // An image pushed to ECR is deployed by digest; the container services report where they serve.
  if (type === "aws:ecr/repository:Repository") return { arn: `arn:aws:mock::123456789012:${name}`, repositoryUrl: `123456789012.dkr.ecr.mock.amazonaws.com/${String(inputs.name)}` };
  if (type === "docker:index/image:Image") return { repoDigest: `${String(inputs.imageName).replace(/:[^:/]+$/, "")}@sha256:${"d".repeat(64)}` };
  if (type === "aws:ecs/expressGatewayService:ExpressGatewayService") {
    return { serviceArn: `arn:aws:mock::123456789012:${name}`, ingressPaths: [{ accessType: "PUBLIC", endpoint: `${String(inputs.serviceName)}.ecs.mock.on.aws` }] };
  }
  if (type === "aws:apprunner/service:Service") return { arn: `arn:aws:mock::123456789012:${name}`, serviceUrl: `${String(inputs.serviceName)}.mock.awsapprunner.com` };
  if (type.startsWith("aws:")) return { arn: `arn:aws:mock::123456789012:${name}` };
  if (type === "vercel:index/deployment:Deployment") return { url: `${name}.vercel.app` };
  // A generated password; Secret Manager numbers each new value as a new version (here named by the value's hash).
  if (type === "random:index/randomPassword:RandomPassword") return { result: `mock-password-${name}` };
  if (type === "gcp:secretmanager/secretVersion:SecretVersion") return { version: createHash("sha256").update(JSON.stringify(inputs.secretData ?? null)).digest("hex").slice(0, 8) };
  // Cloud SQL's connection name; Memorystore joins the project's default network unless told another.
  if (type === "gcp:sql/databaseInstance:DatabaseInstance") return { connectionName: `mock-project:${String(inputs.region)}:${String(inputs.name)}` };
  if (type === "gcp:redis/instance:Instance") return { authorizedNetwork: inputs.authorizedNetwork ?? "projects/mock-project/global/networks/default" };
  if (type === "gcp:serviceaccount/account:Account") return { email: `${String(inputs.accountId)}@mock-project.iam.gserviceaccount.com` };
  if (type === "gcp:cloudrunv2/service:Service") return { uri: `https://${String(inputs.name)}-mock-uc.a.run.app` };
  return {};
}

/** `<type>::<name>` of a provider reference (`<urn>::<id>`, the URN ending in `::<type>::<name>`). */
function providerKey(reference: string | undefined): string | null {
  if (!reference) return null;
  const parts = reference.split("::");
  return parts.length >= 3 ? `${parts[parts.length - 3]}::${parts[parts.length - 2]}` : null;
}

/** What the mocked monitor receives for a registration (the engine's request), as far as dependencies go. */
interface RegistrationRequest {
  getType(): string;
  getName(): string;
  getDependenciesList(): string[];
  getPropertydependenciesMap(): { forEach(visit: (dependencies: { getUrnsList(): string[] }) => void): void };
}

/**
 * Records, by `<type>::<name>`, the logical names of what each registration waits for through `dependsOn`: the
 * request's direct dependencies less those of its inputs. Pulumi's mocks hand `newResource` no dependencies, so they
 * are read from the request on its way to the mocked monitor.
 */
function recordExplicitDependencies(into: Map<string, string[]>): void {
  const monitor = pulumi.runtime.getMonitor() as unknown as { registerResource(req: RegistrationRequest, callback: unknown): unknown };
  const register = monitor.registerResource.bind(monitor);
  monitor.registerResource = (req, callback) => {
    const fromInputs = new Set<string>();
    req.getPropertydependenciesMap().forEach((dependencies) => dependencies.getUrnsList().forEach((urn) => fromInputs.add(urn)));
    const names = req.getDependenciesList().filter((urn) => !fromInputs.has(urn)).map((urn) => urn.split("::").pop()!);
    into.set(`${req.getType()}::${req.getName()}`, names);
    return register(req, callback);
  };
}

/**
 * Replaces the Pulumi engine with mocks for this process (vitest runs each test file in its own): every resource is
 * recorded with its inputs and provider, known invokes get their fixed answers and any other invoke throws. Import the
 * code under test after this call, so the SDKs see the mocked runtime.
 */
export function installMocks(options: MockOptions = {}): Mocks {
  const resources: RecordedResource[] = [];
  const invokes: RecordedInvoke[] = [];
  const unmocked: string[] = [];
  let onUnmocked: (() => void) | undefined;
  const byKey = new Map<string, RecordedResource>();
  const explicitDependencies = new Map<string, string[]>();
  const providerOf = (reference: string | undefined): RecordedResource | null => {
    const key = providerKey(reference);
    return key ? (byKey.get(key) ?? null) : null;
  };
  pulumi.runtime.setMocks(
    {
      newResource(args) {
        const record: RecordedResource = {
          type: args.type,
          name: args.name,
          custom: args.custom !== false,
          inputs: unwrapSecrets(args.inputs) as Record<string, unknown>,
          provider: providerOf(args.provider),
          dependsOn: explicitDependencies.get(`${args.type}::${args.name}`) ?? [],
        };
        resources.push(record);
        byKey.set(`${args.type}::${args.name}`, record);
        return { id: `${args.name}-id`, state: { ...args.inputs, ...computedOutputs(args.type, args.name, args.inputs as Record<string, unknown>) } };
      },
      call(args) {
        invokes.push({ token: args.token, inputs: unwrapSecrets(args.inputs) as Record<string, unknown>, provider: providerOf(args.provider) });
        const mock = (options.invokes ?? KNOWN_INVOKES)[args.token];
        if (!mock) {
          unmocked.push(args.token);
          onUnmocked?.();
          throw new UnmockedInvokeError(args.token);
        }
        return mock(args.inputs);
      },
    },
    "deployment-planner",
    "test",
    options.preview ?? false,
  );
  recordExplicitDependencies(explicitDependencies);
  return {
    resources,
    invokes,
    ofType: (type) => resources.filter((r) => r.type === type),
    named(name) {
      const found = resources.filter((r) => r.name === name);
      if (found.length !== 1) throw new Error(`expected one resource named ${name}, found ${found.length}`);
      return found[0]!;
    },
    reset() {
      resources.length = 0;
      invokes.length = 0;
      unmocked.length = 0;
      byKey.clear();
      explicitDependencies.clear();
    },
    async settle() {
      // A failed invoke leaves the SDK's count of work in flight above zero for good, so the drain below would never
      // end: the first unmocked invoke ends the wait instead.
      const unmockedInvoke = new Promise<never>((_, reject) => {
        onUnmocked = () => reject(new UnmockedInvokeError(unmocked[0]!));
        if (unmocked.length > 0) onUnmocked();
      });
      try {
        // The SDK counts every registration and invoke in flight; its drain is what `pulumi up` waits for at exit.
        await Promise.race([(pulumi.runtime as unknown as { waitForRPCs(): Promise<void> }).waitForRPCs(), unmockedInvoke]);
      } finally {
        onUnmocked = undefined;
      }
      if (unmocked.length > 0) throw new UnmockedInvokeError(unmocked[0]!);
    },
  };
}

/** The value of an output, once known; rejects if it never becomes known (a preview's unknown value). */
export function valueOf<T>(input: pulumi.Input<T>): Promise<T> {
  const output = pulumi.output(input) as pulumi.Output<T>;
  return new Promise<T>((resolve, reject) => {
    output.apply((value) => resolve(value as T));
    // An unknown output never runs its apply; the SDK's own promise settles either way.
    (output as unknown as { promise(): Promise<unknown> })
      .promise()
      .then(() => setTimeout(() => reject(new Error("output is unknown")), 0), reject);
  });
}

/**
 * A target's builder run as the program runs it (the spec's secrets as Pulumi secrets, `protect` from the spec),
 * resolving once every registration has finished; starts from an empty record.
 */
export function builderUnderMocks(mocks: Mocks, builder: TargetBuilder): (spec: StackSpec) => Promise<TargetOutputs> {
  return async (spec) => {
    mocks.reset();
    const outputs = builder(spec, buildContextFor(spec), { protect: spec.protect });
    await mocks.settle();
    return outputs;
  };
}

/**
 * Unsets the deploying environment's variables `names` before each test of the file and puts them back after it, so
 * a test sets only what it means to and the machine's own settings never leak in.
 */
export function isolateEnvironment(names: readonly string[]): void {
  const saved = Object.fromEntries(names.map((name) => [name, process.env[name]]));
  beforeEach(() => {
    for (const name of names) delete process.env[name];
  });
  afterEach(() => {
    for (const [name, value] of Object.entries(saved)) {
      if (value === undefined) delete process.env[name];
      else process.env[name] = value;
    }
  });
}
