import { parse, validate } from "graphql";
import { describe, expect, it } from "vitest";
import { OPERATIONS } from "../../src/components/railway/operations";
import { FAKE_WORKSPACES } from "../fakes/railway-api";
import { checkRequest, executeChecked, railwaySchema } from "../fakes/railway/schema";
import { ACCOUNT_TOKEN, useFakeRailway } from "./railway-env";

// The FAKE Railway API holds itself to Railway's schema; these tests show it refuses what Railway would refuse and
// catches its own answers that the schema does not allow.

describe("the fake Railway API", () => {
  const fake = useFakeRailway();

  const post = async (body: unknown, headers: Record<string, string> = { authorization: `Bearer ${ACCOUNT_TOKEN}` }) => {
    const response = await fetch(fake().url, { method: "POST", headers: { "content-type": "application/json", ...headers }, body: JSON.stringify(body) });
    return { status: response.status, body: (await response.json()) as { data?: unknown; errors?: { message: string }[] } };
  };
  const messages = (answer: { body: { errors?: { message: string }[] } }) => answer.body.errors?.map((e) => e.message);

  it("refuses a document that is not valid GraphQL", async () => {
    const answer = await post({ query: "query project($id: String!) { project(id: $id) { id ", variables: { id: "p" } });
    expect(answer.status).toBe(400);
    expect(messages(answer)?.[0]).toMatch(/^Syntax Error/);
  });

  it("refuses a document that asks for what Railway's schema does not have", async () => {
    const answer = await post({ operationName: "project", query: "query project($id: String!) { project(id: $id) { id colour } }", variables: { id: "p" } });
    expect(answer.status).toBe(400);
    expect(messages(answer)).toEqual(['Cannot query field "colour" on type "Project".']);
  });

  it("refuses variables that do not coerce to the types the operation declares", async () => {
    const wrongType = await post({ operationName: "projectDelete", query: OPERATIONS.projectDelete.document, variables: { id: 42 } });
    expect(wrongType.status).toBe(400);
    expect(messages(wrongType)?.[0]).toMatch(/^Variable "\$id" got invalid value 42; String cannot represent a non string value/);
    const missing = await post({ operationName: "variableCollectionUpsert", query: OPERATIONS.variableCollectionUpsert.document, variables: { input: { projectId: "p", variables: {} } } });
    expect(messages(missing)?.[0]).toMatch(/Field "environmentId" of required type "String!" was not provided/);
    const unknownField = await post({ operationName: "serviceCreate", query: OPERATIONS.serviceCreate.document, variables: { input: { projectId: "p", region: "us-west2" } } });
    expect(messages(unknownField)?.[0]).toMatch(/Field "region" is not defined by type "ServiceCreateInput"/);
  });

  it("refuses a token in the wrong header, a missing token and an unknown project token, as Railway does", async () => {
    const request = { operationName: "projects", query: OPERATIONS.projects.document, variables: {} };
    const accountAsProjectToken = await post(request, { "project-access-token": ACCOUNT_TOKEN });
    expect(accountAsProjectToken.body).toMatchObject({ data: null, errors: [{ message: "Project Token not found" }] });
    expect(messages(await post(request, {}))).toEqual(["Not Authorized"]);

    const project = fake().world.addProject("token-scope", FAKE_WORKSPACES.personal, ["production"]);
    const projectToken = fake().mintProjectToken(project.id, project.environments[0]!.id);
    const scope = { operationName: "projectToken", query: OPERATIONS.projectToken.document };
    expect(messages(await post(scope, { authorization: `Bearer ${projectToken}` }))).toEqual(["Not Authorized"]);
    expect((await post(scope, { "project-access-token": projectToken })).body).toEqual({
      data: { projectToken: { projectId: project.id, environmentId: project.environments[0]!.id, project: { name: "token-scope" }, environment: { name: "production" } } },
    });
    // A project token is bound to its project: it can neither list projects nor create one.
    expect(messages(await post(request, { "project-access-token": projectToken }))).toEqual(["Not Authorized"]);
  });

  it("answers a missing project with Railway's error, never with a null project", async () => {
    const answer = await post({ operationName: "project", query: OPERATIONS.project.document, variables: { id: "no-such-project" } });
    expect(answer.status).toBe(200);
    expect(answer.body).toMatchObject({ data: null, errors: [{ message: "Project not found", path: ["project"] }] });
  });

  it("counts an answer of its own that the schema does not allow as a fault", async () => {
    const request = checkRequest({ operationName: "project", query: OPERATIONS.project.document, variables: { id: "p" } });
    if ("errors" in request) throw new Error(request.errors.join("; "));
    const nullProject = await executeChecked(request, { project: () => null }, { kind: "account" });
    expect(nullProject.faults).toEqual(["project: Cannot return null for non-nullable field Query.project."]);
    const nameless = await executeChecked(request, { project: () => ({ id: "p", name: null, environments: { edges: [] }, services: { edges: [] } }) }, {});
    expect(nameless.faults).toEqual(["project: Cannot return null for non-nullable field Project.name."]);
  });

  it("validates every document the Railway client sends against Railway's schema", () => {
    for (const [name, { document }] of Object.entries(OPERATIONS)) {
      expect(validate(railwaySchema(), parse(document)).map((e) => e.message), name).toEqual([]);
      expect(parse(document).definitions.map((d) => ("name" in d ? d.name?.value : undefined)), name).toEqual([name]);
    }
  });
});
