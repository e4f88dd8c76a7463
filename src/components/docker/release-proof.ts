import http from "node:http";
import type { IdentityContext, IdentityVerdict, ReleaseIdentity } from "../release-identity-types";
import { errorText, platformProof, proofValue, unrecorded } from "../release-proof";

/** The fields of the Docker Engine API's container inspection the proof reads. */
export interface ContainerInspection {
  readonly Id?: string;
  readonly Config?: { readonly Image?: string };
  readonly State?: { readonly Running?: boolean };
  readonly NetworkSettings?: { readonly Ports?: Record<string, { readonly HostPort?: string }[] | null> | null };
}

/** Asks the engine about one container: its inspection, or null when the engine has no such container. */
export type InspectContainer = (containerId: string) => Promise<ContainerInspection | null>;

/** Time allowed for one question to the engine. */
const ENGINE_TIMEOUT_MS = 5_000;

/**
 * `GET /containers/{id}/json` of the Docker Engine API, on the engine the stack deploys to: `DOCKER_HOST` (unix:// or
 * tcp://, without TLS), else the local socket.
 */
export function engineInspector(env: NodeJS.ProcessEnv = process.env): InspectContainer {
  return (containerId) =>
    new Promise((resolve, reject) => {
      const host = env.DOCKER_HOST || "unix:///var/run/docker.sock";
      if (env.DOCKER_TLS_VERIFY) return reject(new Error("a Docker engine behind TLS (DOCKER_TLS_VERIFY) cannot be asked which container serves"));
      const where = host.startsWith("unix://") ? { socketPath: host.slice("unix://".length) } : host.startsWith("tcp://") ? { host: new URL(host).hostname, port: Number(new URL(host).port || 2375) } : null;
      if (!where) return reject(new Error(`DOCKER_HOST ${host} is neither unix:// nor tcp://`));
      const request = http.get({ ...where, path: `/containers/${encodeURIComponent(containerId)}/json`, timeout: ENGINE_TIMEOUT_MS }, (response) => {
        const chunks: Buffer[] = [];
        response.on("data", (chunk: Buffer) => chunks.push(chunk));
        response.on("end", () => {
          if (response.statusCode === 404) return resolve(null);
          if (response.statusCode !== 200) return reject(new Error(`the Docker engine answered HTTP ${response.statusCode}`));
          try {
            resolve(JSON.parse(Buffer.concat(chunks).toString("utf8")) as ContainerInspection);
          } catch {
            reject(new Error("the Docker engine answered something that is not JSON"));
          }
        });
        response.on("error", reject);
      });
      request.on("timeout", () => request.destroy(new Error(`the Docker engine did not answer within ${ENGINE_TIMEOUT_MS / 1000} s`)));
      request.on("error", reject);
    });
}

/**
 * Whether the container the stack recorded serves `url`: the engine reports it running, from the image the release
 * built (the reference the program gave it), and publishing the URL's port. Another container or process on the port,
 * or the stack's container gone or replaced, is refused.
 */
export async function dockerServingContainer(context: IdentityContext, url: string, inspect: InspectContainer): Promise<IdentityVerdict> {
  const expected = context.expectedRelease || null;
  const image = proofValue(context, "image");
  if (expected === null || image === null) return unrecorded("container id and image");
  const port = new URL(url).port;
  let container: ContainerInspection | null;
  try {
    container = await inspect(expected);
  } catch (error) {
    return { kind: "unproven", reason: `the Docker engine could not be asked about container ${expected.slice(0, 12)}: ${errorText(error)}` };
  }
  const short = expected.slice(0, 12);
  if (container === null || container.Id !== expected) return { kind: "unproven", reason: `the stack's container ${short} no longer exists: something else answers on port ${port}` };
  if (container.State?.Running !== true) return { kind: "unproven", reason: `the stack's container ${short} is not running: something else answers on port ${port}` };
  if (container.Config?.Image !== image) {
    return { kind: "other_release", release: expected, reason: `the stack's container ${short} runs image ${container.Config?.Image ?? "unknown"}, not ${image} that the release built` };
  }
  const published = Object.values(container.NetworkSettings?.Ports ?? {}).flatMap((bindings) => (bindings ?? []).map((binding) => binding.HostPort));
  if (!published.includes(port)) return { kind: "unproven", reason: `the stack's container ${short} does not publish port ${port}: another program answers there` };
  return { kind: "proven", release: expected };
}

/** The Docker target's proof, asking the engine through `inspect` (default: the stack's engine). */
export function dockerReleaseProof(inspect?: InspectContainer): ReleaseIdentity {
  return platformProof({
    method: "the Docker engine reports the stack's recorded container running the release's image and publishing the URL's port",
    ask: (context, url) => dockerServingContainer(context, url, inspect ?? engineInspector(context.env)),
  });
}

/** The Docker target's proof, asking the stack's engine. */
export const DOCKER_RELEASE_PROOF = dockerReleaseProof();
