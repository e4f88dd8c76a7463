import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";
import type { ImageBuild } from "../image-build";

/** Type token of the component. */
export const DOCKER_APP_TYPE = "planner:docker:DockerApp";

/** A datastore run as a container beside the app. */
export interface DockerDatastore {
  /** Engine: postgres, mysql, mongodb or redis. */
  readonly engine: "postgres" | "mysql" | "mongodb" | "redis";
  /** Variable the app reads the connection string from, e.g. "DATABASE_URL". */
  readonly connectionEnv: string;
}

/** Arguments of `DockerApp`. */
export interface DockerAppArgs {
  /** Prefix of every container, network and volume name, e.g. "shop-api-staging". */
  readonly baseName: string;
  /** How the image is built: the bundle as context and its own or a generated Dockerfile (see `imageBuildFor`). */
  readonly image: ImageBuild;
  /** Port the app listens on inside the container. */
  readonly port: number;
  /** Port published on the host. @default the app's port */
  readonly hostPort?: number;
  /** Path that answers 2xx when the app is healthy. @default "/" */
  readonly healthCheckPath?: string;
  /** Plain variables. @default none */
  readonly env?: Readonly<Record<string, string>>;
  /** Secret variables; passed to the container as secret inputs. @default none */
  readonly secrets?: Readonly<Record<string, pulumi.Input<string>>>;
  /** Datastores run from official images on the app's private network. @default none */
  readonly datastores?: readonly DockerDatastore[];
}

const DATASTORE_IMAGES: Record<DockerDatastore["engine"], { image: string; port: number; dataPath: string }> = {
  postgres: { image: "postgres:16-alpine", port: 5432, dataPath: "/var/lib/postgresql/data" },
  mysql: { image: "mysql:8.4", port: 3306, dataPath: "/var/lib/mysql" },
  mongodb: { image: "mongo:7", port: 27017, dataPath: "/data/db" },
  redis: { image: "redis:7-alpine", port: 6379, dataPath: "/data" },
};

/**
 * The app as a container built from its bundle, with datastore containers on a private network. Resource options
 * (`protect`, the Docker provider and its host) reach every child; the app's image and container are never protected,
 * because every release replaces them.
 */
export class DockerApp extends pulumi.ComponentResource {
  /** The app's URL on the Docker host. */
  public readonly url: pulumi.Output<string>;
  /** Name of the app's container. */
  public readonly containerName: pulumi.Output<string>;
  /** The engine's id of the container this release runs in (every release runs a new container). */
  public readonly containerId: pulumi.Output<string>;
  /** The image reference the container was given: the built image's digest, else its local name. */
  public readonly image: pulumi.Output<string>;

  constructor(name: string, args: DockerAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DOCKER_APP_TYPE, name, {}, opts);
    const port = args.port;
    const hostPort = args.hostPort ?? port;
    const network = new docker.Network(`${name}-network`, { name: `${args.baseName}-net`, internal: false }, { parent: this });
    const datastoreEnv = (args.datastores ?? []).map((store) => this.createDatastore(name, args, store, network));
    const image = this.createImage(name, args);
    const imageRef = image.repoDigest.apply((digest) => digest || `${args.baseName}:latest`);

    const plainEnv = Object.entries(args.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const secretEnv = Object.entries(args.secrets ?? {}).map(([k, v]) => pulumi.secret(pulumi.interpolate`${k}=${v}`));
    const container = new docker.Container(
      `${name}-container`,
      {
        name: `${args.baseName}-app`,
        image: imageRef,
        envs: [...plainEnv, ...secretEnv, ...datastoreEnv, `PORT=${port}`],
        ports: [{ internal: port, external: hostPort }],
        networksAdvanced: [{ name: network.name, aliases: ["app"] }],
        restart: "unless-stopped",
        // Only an image this product generated is known to have `wget`; a bundle's own image may lack it and would
        // then show as unhealthy forever. The deployment's HTTP check verifies every image after the update anyway.
        healthcheck: args.image.generated
          ? {
              tests: ["CMD-SHELL", `wget -q -O /dev/null http://127.0.0.1:${port}${args.healthCheckPath ?? "/"} || exit 1`],
              interval: "10s",
              timeout: "3s",
              retries: 3,
              startPeriod: "10s",
            }
          : undefined,
      },
      // Every release runs a new image in a new container; protecting it would block the next deploy.
      { parent: this, additionalSecretOutputs: ["envs"], protect: false },
    );

    this.url = pulumi.output(`http://127.0.0.1:${hostPort}`);
    this.containerName = container.name;
    this.containerId = container.id;
    this.image = imageRef;
    this.registerOutputs({ url: this.url, containerName: this.containerName, containerId: this.containerId, image: this.image });
  }

  private createImage(name: string, args: DockerAppArgs) {
    return new docker.Image(
      `${name}-image`,
      { imageName: `${args.baseName}:latest`, build: { context: args.image.context, dockerfile: args.image.dockerfile }, skipPush: true },
      { parent: this, protect: false },
    );
  }

  /** Runs one datastore and returns the app's connection-string variable (a secret: it holds the password). */
  private createDatastore(name: string, args: DockerAppArgs, store: DockerDatastore, network: docker.Network): pulumi.Output<string> {
    const spec = DATASTORE_IMAGES[store.engine];
    const role = `${name}-${store.engine}`;
    const password = new random.RandomPassword(`${role}-password`, { length: 24, special: false }, { parent: this });
    const volume = new docker.Volume(`${role}-data`, { name: `${args.baseName}-${store.engine}-data` }, { parent: this });
    const envs: pulumi.Input<string>[] =
      store.engine === "postgres"
        ? ["POSTGRES_USER=app", "POSTGRES_DB=app", pulumi.interpolate`POSTGRES_PASSWORD=${password.result}`]
        : store.engine === "mysql"
          ? ["MYSQL_USER=app", "MYSQL_DATABASE=app", pulumi.interpolate`MYSQL_PASSWORD=${password.result}`, pulumi.interpolate`MYSQL_ROOT_PASSWORD=${password.result}`]
          : store.engine === "mongodb"
            ? ["MONGO_INITDB_ROOT_USERNAME=app", pulumi.interpolate`MONGO_INITDB_ROOT_PASSWORD=${password.result}`]
            : [];
    const image = new docker.RemoteImage(`${role}-image`, { name: spec.image, keepLocally: true }, { parent: this });
    new docker.Container(
      `${role}-container`,
      {
        name: `${args.baseName}-${store.engine}`,
        image: image.imageId,
        envs,
        command: store.engine === "redis" ? ["redis-server", "--requirepass", password.result] : undefined,
        networksAdvanced: [{ name: network.name, aliases: [store.engine] }],
        volumes: [{ volumeName: volume.name, containerPath: spec.dataPath }],
        restart: "unless-stopped",
      },
      { parent: this, additionalSecretOutputs: ["envs", "command"] },
    );
    const url =
      store.engine === "postgres"
        ? pulumi.interpolate`postgres://app:${password.result}@postgres:${spec.port}/app`
        : store.engine === "mysql"
          ? pulumi.interpolate`mysql://app:${password.result}@mysql:${spec.port}/app`
          : store.engine === "mongodb"
            ? pulumi.interpolate`mongodb://app:${password.result}@mongodb:${spec.port}/?authSource=admin`
            : pulumi.interpolate`redis://:${password.result}@redis:${spec.port}`;
    return pulumi.secret(pulumi.interpolate`${store.connectionEnv}=${url}`);
  }
}
