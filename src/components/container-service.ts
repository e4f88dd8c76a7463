import type * as pulumi from "@pulumi/pulumi";
import type { ServiceSpec, StackSpec } from "../planner/spec";

/** Arguments every cloud container service takes (ECS Express Mode, App Runner, Cloud Run): the image, its size and its variables. */
export interface ContainerServiceArgs {
  /** Service name, also the image repository's name; each cloud's length limit applies. */
  readonly serviceName: string;
  /** Directory of the bundle: the image's build context (it must hold a Dockerfile). */
  readonly bundlePath: string;
  /** Port the server listens on inside the container. */
  readonly port: number;
  /** vCPUs per instance; each cloud rounds up to its sizes. */
  readonly cpu: number;
  /** Memory per instance in MiB; each cloud rounds up to its sizes (512 MiB at the least). */
  readonly memoryMb: number;
  /** Instances kept running. */
  readonly minInstances: number;
  /** Upper bound when scaling out. */
  readonly maxInstances: number;
  /** Plain variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables: each stored in the cloud's secret store and read by reference, never passed as a plain value. @default none */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** The cloud's own deletion protection and a recovery window for its secrets (production). @default false: deleted at once */
  readonly deletionProtection?: boolean;
}

/** The parts of a container service's arguments that come straight from the spec, for a given service name. */
export function containerServiceArgs(
  spec: StackSpec,
  serviceName: string,
  bundlePath: string,
  secrets: Readonly<Record<string, pulumi.Input<string>>>,
): ContainerServiceArgs {
  return {
    serviceName,
    bundlePath,
    port: spec.build.port,
    cpu: spec.resources.cpu,
    memoryMb: spec.resources.memory_mb,
    minInstances: spec.resources.min_instances,
    maxInstances: spec.resources.max_instances,
    env: spec.env,
    secrets,
    deletionProtection: spec.protect,
  };
}

/** A managed datastore the cloud provides for one of the spec's services: its connection string is a secret. */
export interface ManagedDatastore {
  readonly connectionString: pulumi.Output<string>;
  /** A Cloud SQL instance's connection name (`project:region:instance`), whose socket the app mounts. @default none: not Cloud SQL */
  readonly sqlInstance?: pulumi.Output<string>;
  /** The VPC network the datastore answers on only, which the app must send its private traffic into. @default none: no VPC needed */
  readonly privateNetwork?: pulumi.Output<string>;
}

/** A service the cloud target itself hosts: a managed datastore whose connection string the app reads from a variable. */
export type ManagedService = ServiceSpec & { readonly engine: string; readonly connection_env: string };

/** The spec's services the target provisions (managed, with an engine and a variable for the connection string). */
export function managedServices(spec: StackSpec): ManagedService[] {
  return spec.services.filter((s): s is ManagedService => s.provisioning === "managed" && !!s.engine && s.engine !== "sqlite" && !!s.connection_env);
}
