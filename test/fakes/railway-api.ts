import { randomUUID } from "node:crypto";
import http from "node:http";
import { answerInjected, FailureQueue, serveFake, type FakeControls } from "./failures";

/**
 * A FAKE of the documented subset of Railway's public GraphQL API (projects, environments, services, variables), kept
 * in memory on loopback. It stands in for Railway, which cannot be reached from the test machine; it checks the bearer
 * token, answers by operation name and can answer the next calls with an injected HTTP status or not at all, before
 * or after carrying them out; `failNext` selects the calls whose operation name equals its `match`.
 */
export interface FakeRailway extends FakeControls {
  readonly url: string;
  readonly projects: Map<string, { id: string; name: string; description: string | null; environments: { id: string; name: string }[]; services: { id: string; name: string; image?: string }[]; variables: Record<string, Record<string, string>> }>;
  readonly calls: string[];
}

/** Starts the fake on a free loopback port; it accepts only `token`. */
export async function startFakeRailway(token: string): Promise<FakeRailway> {
  const projects: FakeRailway["projects"] = new Map();
  const calls: string[] = [];
  const failures = new FailureQueue((operation, call) => operation === call);
  const server = http.createServer(async (req, res) => {
    const chunks: Buffer[] = [];
    for await (const chunk of req) chunks.push(chunk as Buffer);
    const { operationName, variables } = JSON.parse(Buffer.concat(chunks).toString() || "{}") as { operationName: string; variables: any };
    calls.push(operationName);
    const failure = failures.take(operationName);
    const injected = { errors: [{ message: "injected failure" }] };
    const plan = failure && failure.answer === 429 ? { ...failure, headers: { "retry-after": "0", ...failure.headers } } : failure;
    if (plan && !plan.afterActing) return answerInjected(res, plan, injected);
    // After acting, the operation below does its work and the injected answer takes the place of its own.
    const send = (status: number, payload: unknown) => {
      if (plan) return answerInjected(res, plan, injected);
      res.writeHead(status, { "content-type": "application/json" });
      res.end(JSON.stringify(payload));
    };
    const view = (p: NonNullable<ReturnType<typeof projects.get>>) => ({
      id: p.id,
      name: p.name,
      description: p.description,
      environments: { edges: p.environments.map((node) => ({ node })) },
      services: { edges: p.services.map(({ id, name }) => ({ node: { id, name } })) },
    });
    if (req.headers.authorization !== `Bearer ${token}`) return send(401, { errors: [{ message: "Not Authorized" }] });
    const input = variables?.input ?? {};
    switch (operationName) {
      case "projectCreate": {
        const project = {
          id: randomUUID(),
          name: input.name,
          description: input.description ?? null,
          environments: [{ id: randomUUID(), name: "production" }],
          services: [],
          variables: {},
        };
        projects.set(project.id, project);
        return send(200, { data: { projectCreate: view(project) } });
      }
      case "project": {
        const project = projects.get(variables.id);
        return send(200, { data: { project: project ? view(project) : null } });
      }
      case "projects": {
        // A cursor is the index of the next project, so paging can be checked with a small `first`.
        const all = [...projects.values()];
        const start = Number(variables.after ?? 0);
        const end = start + Number(variables.first ?? all.length);
        const pageInfo = { hasNextPage: end < all.length, endCursor: String(end) };
        return send(200, { data: { projects: { edges: all.slice(start, end).map((p) => ({ node: view(p) })), pageInfo } } });
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
  const { origin, controls } = await serveFake(server, failures);
  return { url: `${origin}/graphql/v2`, projects, calls, ...controls };
}
