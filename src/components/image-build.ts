import { createHash } from "node:crypto";
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import os from "node:os";
import path from "node:path";
import { loadCatalog } from "../planner/catalog";
import type { StackSpec } from "../planner/spec";

/** How an image is built from a bundle: the build context and the Dockerfile, the bundle's own or a generated one. */
export interface ImageBuild {
  /** The build context: the bundle directory. */
  readonly context: string;
  /** Absolute path of the Dockerfile. */
  readonly dockerfile: string;
  /** Whether this product wrote the Dockerfile (its image then has `wget` for a container health check). */
  readonly generated: boolean;
}

/** Whether the spec's app runs as a Node.js server (a node build, or a framework the catalog says runs on Node.js). */
export function runsOnNode(spec: Pick<StackSpec, "build">): boolean {
  if (spec.build.kind === "node") return true;
  const framework = spec.build.framework ? loadCatalog().find(spec.build.framework) : undefined;
  return framework?.runs_as === "node";
}

/** The text of a generated Dockerfile: nginx serving the published directory, or Node.js running the start command. */
export function dockerfileText(kind: "static" | "node", port: number, startCommand: string, publishDir: string | null): string {
  if (kind === "static") {
    // Only the build's output is published, as on every other target; the source tree stays out of the image.
    const from = publishDir ? `${publishDir.replace(/\/+$/, "")}/` : ".";
    return ["FROM nginx:1.27-alpine", `COPY ${from} /usr/share/nginx/html`, `RUN sed -i 's/listen  *80;/listen ${port};/' /etc/nginx/conf.d/default.conf`, `EXPOSE ${port}`, ""].join("\n");
  }
  return [
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
}

/**
 * Writes a generated Dockerfile outside the bundle (which is content-addressed and must not change), at a path
 * derived from its content so repeated runs see the same input, and returns that path.
 */
export function writeGeneratedDockerfile(text: string): string {
  const dir = path.join(os.tmpdir(), "deployment-planner-dockerfiles");
  mkdirSync(dir, { recursive: true });
  const file = path.join(dir, `${createHash("sha256").update(text).digest("hex").slice(0, 16)}.Dockerfile`);
  if (!existsSync(file)) writeFileSync(file, text);
  return file;
}

/**
 * How to build the spec's image from the bundle at `bundlePath`, the same on every target that builds one (Docker,
 * AWS, GCP). A bundle's own Dockerfile wins; a static or Node.js app without one gets a generated Dockerfile; any
 * other container build must bring its own, and the image build's error says so.
 */
export function imageBuildFor(spec: Pick<StackSpec, "build" | "stack">, bundlePath: string): ImageBuild {
  const own = path.join(bundlePath, "Dockerfile");
  if (existsSync(own)) return { context: bundlePath, dockerfile: own, generated: false };
  if (spec.build.kind === "container" && !runsOnNode(spec)) return { context: bundlePath, dockerfile: own, generated: false };
  const kind = spec.build.kind === "static" ? "static" : "node";
  const text = dockerfileText(kind, spec.build.port, spec.build.start_command ?? "npm start", spec.build.output_dir);
  return { context: bundlePath, dockerfile: writeGeneratedDockerfile(text), generated: true };
}
