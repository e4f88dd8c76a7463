import { randomUUID } from "node:crypto";
import http from "node:http";
import type { AddressInfo } from "node:net";

/**
 * A FAKE of the documented subset of Railway's public GraphQL API (projects, environments, services, variables), kept
 * in memory on loopback. It stands in for Railway, which cannot be reached from the test machine; it checks the bearer
 * token, answers by operation name and can answer the next calls with an injected HTTP status.
 */
export interface FakeRailway {
  readonly url: string;
  readonly projects: Map<string, { id: string; name: string; environments: { id: string; name: string }[]; services: { id: string; name: string; image?: string }[]; variables: Record<string, Record<string, string>> }>;
  readonly calls: string[];
  failNext(status: number, count?: number, operation?: string): void;
  close(): Promise<void>;
}

export async function startFakeRailway(token: string): Promise<FakeRailway> {
  const projects: FakeRailway["projects"] = new Map();
  const calls: string[] = [];
  const failures: { status: number; remaining: number; operation?: string }[] = [];
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { operationName, variables } = JSON.parse(Buffer.concat(chunks).toString() || "{}") as { operationName: string; variables: any };
    calls.push(operationName);
    const send = (status: number, payload: unknown) => {
      res.writeHead(status, { "content-type": "application/json", ...(status === 429 ? { "retry-after": "0" } : {}) });
      res.end(JSON.stringify(payload));
    };
    const failure = failures.find((f) => f.remaining > 0 && (!f.operation || f.operation === operationName));
    if (failure) {
      failure.remaining -= 1;
      return send(failure.status, { errors: [{ message: "injected failure" }] });
    }
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { errors: [{ message: "Not Authorized" }] });
    const input = variables?.input ?? {};
    switch (operationName) {
      case "projectCreate": {
        const project = { id: randomUUID(), name: input.name, environments: [{ id: randomUUID(), name: "production" }], services: [], variables: {} };
        projects.set(project.id, project);
        return send(200, { data: { projectCreate: { id: project.id, name: project.name, environments: { edges: project.environments.map((node) => ({ node })) } } } });
      }
      case "project": {
        const project = projects.get(variables.id);
        return send(200, project ? { data: { project: { id: project.id, name: project.name } } } : { data: { project: null }, errors: undefined });
      }
      case "projectDelete":
        return send(200, { data: { projectDelete: projects.delete(variables.id) } });
      case "environmentCreate": {
        const project = projects.get(input.projectId);
        if (!project) return send(200, { errors: [{ message: "Project not found" }] });
        const environment = { id: randomUUID(), name: input.name };
        project.environments.push(environment);
        return send(200, { data: { environmentCreate: environment } });
      }
      case "serviceCreate": {
        const project = projects.get(input.projectId);
        if (!project) return send(200, { errors: [{ message: "Project not found" }] });
        const service = { id: randomUUID(), name: input.name, image: input.source?.image };
        project.services.push(service);
        return send(200, { data: { serviceCreate: { id: service.id, name: service.name } } });
      }
      case "variableCollectionUpsert": {
        const project = projects.get(input.projectId);
        if (!project) return send(200, { errors: [{ message: "Project not found" }] });
        project.variables[input.serviceId] = { ...(project.variables[input.serviceId] ?? {}), ...input.variables };
        return send(200, { data: { variableCollectionUpsert: true } });
      }
      default:
        return send(400, { errors: [{ message: `unknown operation ${operationName}` }] });
    }
  });
  await new Promise<void>((resolve) => server.listen(0, "127.0.0.1", resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}/graphql/v2`,
    projects,
    calls,
    failNext(status, count = 1, operation) {
      failures.push({ status, remaining: count, operation });
    },
    close: () => new Promise((resolve) => server.close(() => resolve())),
  };
}
