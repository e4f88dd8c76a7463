import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import * as docker from "@pulumi/docker";
import * as pulumi from "@pulumi/pulumi";
import * as random from "@pulumi/random";

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
  /** Directory of the bundle: the build context. */
  readonly bundlePath: string;
  /** How the bundle runs; a Node.js bundle without a Dockerfile gets a generated one. */
  readonly buildKind: "static" | "node" | "container";
  /** The app is a Node.js server even when it is packaged as a container (a generated Dockerfile can run it). @default false */
  readonly nodeRuntime?: boolean;
  /** Start command for a generated Dockerfile. @default "npm start" */
  readonly startCommand?: string | null;
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
 * A Dockerfile for a bundle that has none, written outside the bundle (which is content-addressed and must not change),
 * at a path derived from its content so repeated runs see the same input.
 */
export function generatedDockerfile(buildKind: "static" | "node", port: number, startCommand: string): string {
  const text =
    buildKind === "static"
      ? ["FROM nginx:1.27-alpine", "COPY . /usr/share/nginx/html", `RUN sed -i 's/listen  *80;/listen ${port};/' /etc/nginx/conf.d/default.conf`, `EXPOSE ${port}`, ""].join("\n")
      : [
          "FROM node:20-alpine",
          "WORKDIR /app",
          "COPY . .",
          "RUN if [ -f package-lock.json ]; then npm ci --omit=dev; elif [ -f package.json ]; then npm install --omit=dev; fi",
          "ENV NODE_ENV=production",
          `ENV PORT=${port}`,
          `EXPOSE ${port}`,
          `CMD ["/bin/sh", "-c", ${JSON.stringify(startCommand)}]`,
          "",
        ].join("\n");
  const dir = path.join(os.tmpdir(), "deployment-planner-dockerfiles");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${createHash("sha256").update(text).digest("hex").slice(0, 16)}.Dockerfile`);
  if (!existsSync(file)) writeFileSync(file, text);
  return file;
}

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

  constructor(name: string, args: DockerAppArgs, opts?: pulumi.ComponentResourceOptions) {
    super(DOCKER_APP_TYPE, name, {}, opts);
    const port = args.port;
    const hostPort = args.hostPort ?? port;
    const network = new docker.Network(`${name}-network`, { name: `${args.baseName}-net`, internal: false }, { parent: this });
    const datastoreEnv = (args.datastores ?? []).map((store) => this.createDatastore(name, args, store, network));
    const image = this.createImage(name, args);

    const plainEnv = Object.entries(args.env ?? {}).map(([k, v]) => `${k}=${v}`);
    const secretEnv = Object.entries(args.secrets ?? {}).map(([k, v]) => pulumi.secret(pulumi.interpolate`${k}=${v}`));
    const container = new docker.Container(
      `${name}-container`,
      {
        name: `${args.baseName}-app`,
        image: image.repoDigest.apply((digest) => digest || `${args.baseName}:latest`),
        envs: [...plainEnv, ...secretEnv, ...datastoreEnv, `PORT=${port}`],
        ports: [{ internal: port, external: hostPort }],
        networksAdvanced: [{ name: network.name, aliases: ["app"] }],
        restart: "unless-stopped",
        healthcheck: {
          tests: ["CMD-SHELL", `wget -q -O /dev/null http://127.0.0.1:${port}${args.healthCheckPath ?? "/"} || exit 1`],
          interval: "10s",
          timeout: "3s",
          retries: 3,
          startPeriod: "10s",
        },
      },
      // Every release runs a new image in a new container; protecting it would block the next deploy.
      { parent: this, additionalSecretOutputs: ["envs"], protect: false },
    );

    this.url = pulumi.output(`http://127.0.0.1:${hostPort}`);
    this.containerName = container.name;
    this.registerOutputs({ url: this.url, containerName: this.containerName });
  }

  private createImage(name: string, args: DockerAppArgs) {
    const hasDockerfile = existsSync(path.join(args.bundlePath, "Dockerfile"));
    // A bundle's own Dockerfile wins; Node.js and static bundles without one get a generated one. Other container
    // builds must bring their own, and Docker's error says so at build time.
    const dockerfile =
      hasDockerfile || (args.buildKind === "container" && !args.nodeRuntime)
        ? path.join(args.bundlePath, "Dockerfile")
        : generatedDockerfile(args.buildKind === "static" ? "static" : "node", args.port, args.startCommand ?? "npm start");
    return new docker.Image(
      `${name}-image`,
      { imageName: `${args.baseName}:latest`, build: { context: args.bundlePath, dockerfile }, skipPush: true },
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
