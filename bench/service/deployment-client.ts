import http from "node:http";
import { sleep } from "../support/stats";
import { request } from "./http-load";

/** A deployment's record as `GET /v1/deployments/{id}` answers it (the fields the bench reads). */
export interface DeploymentRecord {
  readonly status?: unknown;
  readonly created_at?: unknown;
  readonly finished_at?: unknown;
  readonly result?: unknown;
}

/** Submits deployments of the static example through the service's API and follows them until they finish. */
export class DeploymentClient {
  private readonly agent = new http.Agent({ keepAlive: true, maxSockets: 16 });
  /** The bearer header every call sends. */
  readonly authorized: Record<string, string>;

  constructor(
    readonly base: URL,
    token: string,
    /** Told the stack of every accepted deployment, so the caller can destroy it later. */
    private readonly onStack: (stack: string) => void,
  ) {
    this.authorized = { authorization: `Bearer ${token}` };
  }

  /** `POST /v1/deployments` of `sources/site-<release>` to `projectId`'s development stack; the deployment's id. */
  async submit(projectId: string, release: number): Promise<string> {
    const body = JSON.stringify({
      project_id: projectId,
      deployment_type: "static_site",
      tech_stack: ["HTML"],
      target: "local",
      environment: { ENV: "development" },
      source: `site-${release}`,
      version_name: `r${release}`,
    });
    const answer = await request(this.agent, new URL("/v1/deployments", this.base), "POST", { ...this.authorized, "content-type": "application/json" }, body);
    if (answer.status !== 202) throw new Error(`POST /v1/deployments answered ${answer.status}: ${answer.body.slice(0, 500)}`);
    this.onStack(`${projectId}.development`);
    return (JSON.parse(answer.body) as { id: string }).id;
  }

  /** Polls until every deployment has succeeded or failed, at most `timeoutMs`; their records, in the order given. */
  async awaitAll(ids: readonly string[], timeoutMs: number): Promise<DeploymentRecord[]> {
    const done = new Map<string, DeploymentRecord>();
    const deadline = Date.now() + timeoutMs;
    while (done.size < ids.length) {
      if (Date.now() > deadline) throw new Error(`${ids.length - done.size} of ${ids.length} deployment(s) did not finish within ${timeoutMs / 1000} s`);
      for (const id of ids.filter((candidate) => !done.has(candidate))) {
        const answer = await request(this.agent, new URL(`/v1/deployments/${id}`, this.base), "GET", this.authorized);
        const record = JSON.parse(answer.body) as DeploymentRecord;
        if (record.status === "succeeded" || record.status === "failed") done.set(id, record);
      }
      if (done.size < ids.length) await sleep(500);
    }
    return ids.map((id) => done.get(id)!);
  }

  /** Closes the kept-alive connections. */
  close(): void {
    this.agent.destroy();
  }
}
