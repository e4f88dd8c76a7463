import http from "node:http";
import { failure } from "../../outcome";
import type { TargetRuntime } from "../runtime-types";
import { DOCKER_RELEASE_PROOF } from "./release-proof";

/** Where the local Docker engine listens when DOCKER_HOST names none. */
const DEFAULT_DOCKER_SOCKET = "/var/run/docker.sock";

/** True when a Docker engine answers on its socket; a fuller check than the presence of the socket file. */
export function dockerEngineAnswers(socketPath = DEFAULT_DOCKER_SOCKET, timeoutMs = 2000): Promise<boolean> {
  return new Promise((resolve) => {
    const req = http.get({ socketPath, path: "/_ping", timeout: timeoutMs }, (res) => {
      res.resume();
      resolve(res.statusCode === 200);
    });
    req.on("timeout", () => req.destroy());
    req.on("error", () => resolve(false));
  });
}

/** Docker's runtime: a socket file is not an engine, so the local engine is asked to answer before planning on it. */
export const dockerRuntime = {
  identity: DOCKER_RELEASE_PROOF,
  async preflight(env) {
    if (env.DOCKER_HOST || (await dockerEngineAnswers())) return null;
    return failure(
      "env_setup",
      `Missing credentials for docker: the Docker engine at ${DEFAULT_DOCKER_SOCKET} does not answer`,
      "Start the Docker engine, or set DOCKER_HOST to a reachable one.",
    );
  },
} satisfies TargetRuntime;
