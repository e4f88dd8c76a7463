import { mkdir, mkdtemp, readFile, rm, writeFile } from "node:fs/promises";
import net from "node:net";
import os from "node:os";
import path from "node:path";
import { pathToFileURL } from "node:url";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import {
  SERVICE_STATE_FILE,
  ServiceStateUnreachableError,
  backendStateRecord,
  recordServiceState,
  serviceStateBackend,
  type ServiceStateRecord,
} from "../../src/automation/backend/service-state";
import { freeLoopbackPort } from "../../src/ports";

const TABLE = "deployment_planner_pulumi_state";

describe("the state a workspace's deployment service keeps", () => {
  let root = "";
  let workspace = { dir: "", dataDir: "", backendUrl: "" };

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-service-state-"));
    const dir = path.join(root, "workspace");
    workspace = { dir, dataDir: path.join(dir, ".deployment-planner"), backendUrl: `postgres://127.0.0.1:5432/postgres?table=${TABLE}` };
    await mkdir(workspace.dataDir, { recursive: true });
  });
  afterAll(async () => {
    await rm(root, { recursive: true, force: true });
  });

  async function failureOf(record: ServiceStateRecord, env: NodeJS.ProcessEnv = {}): Promise<ServiceStateUnreachableError> {
    await recordServiceState(workspace, record);
    const error = await serviceStateBackend(workspace.dataDir, env).then(
      () => null,
      (caught: unknown) => caught,
    );
    expect(error).toBeInstanceOf(ServiceStateUnreachableError);
    return error as ServiceStateUnreachableError;
  }

  it("is not used where no service ran: the workspace keeps its own backend", async () => {
    expect(await serviceStateBackend(path.join(root, "elsewhere"), {})).toBeNull();
  });

  it("in a DATABASE_URL database: reached with the same DATABASE_URL, and otherwise named with how to reach it", async () => {
    const record: ServiceStateRecord = { kind: "database_url", location: "postgres://db.internal:5432/planner", table: TABLE };
    const unset = await failureOf(record);
    expect(unset.message).toBe(`this workspace's stacks are kept by its deployment service in PostgreSQL at postgres://db.internal:5432/planner (table ${TABLE}), and DATABASE_URL is not set here`);
    expect(unset.fixSuggestion).toContain("Set DATABASE_URL to that database");
    expect(unset.code).toBe("SERVICE_STATE_UNREACHABLE");
    expect((await failureOf(record, { DATABASE_URL: "postgres://planner:pw@other.internal:5432/planner" })).message).toContain("DATABASE_URL names another database");
    expect(await serviceStateBackend(workspace.dataDir, { DATABASE_URL: "postgresql://planner:s3cret@db.internal:5432/planner" })).toBe(
      `postgres://planner:s3cret@db.internal:5432/planner?table=${TABLE}`,
    );
  });

  it("in the embedded database: reached while it runs, and named as not running otherwise", async () => {
    const portFile = path.join(workspace.dataDir, "postgres.port");
    const passwordFile = path.join(root, "cluster.secret");
    const record: ServiceStateRecord = { kind: "embedded", directory: path.join(root, "cluster"), port_file: portFile, password_file: passwordFile, user: "deployment_planner", database: "postgres", table: TABLE };
    await writeFile(passwordFile, "embedded-password\n", { mode: 0o600 });
    const port = await freeLoopbackPort();
    await writeFile(portFile, String(port));

    const stopped = await failureOf(record);
    expect(stopped.message).toBe(`this workspace's stacks are kept by its deployment service in an embedded PostgreSQL (data in ${path.join(root, "cluster")}), which is not running`);
    expect(stopped.fixSuggestion).toMatch(/^Start `deployment-planner serve` in this workspace \(it runs that database\) and run the command again, or pass --backend/);

    const server = net.createServer((socket) => socket.destroy());
    await new Promise<void>((resolve) => server.listen(port, "127.0.0.1", resolve));
    try {
      expect(await serviceStateBackend(workspace.dataDir, {})).toBe(`postgres://deployment_planner:embedded-password@127.0.0.1:${port}/postgres?sslmode=disable&table=${TABLE}`);
    } finally {
      await new Promise((resolve) => server.close(resolve));
    }
  });

  it("in a backend given to the service: used as recorded, and its credentials are never written down", async () => {
    const plain = backendStateRecord("s3://state-bucket/planner");
    await recordServiceState(workspace, plain);
    expect(await serviceStateBackend(workspace.dataDir, {})).toBe("s3://state-bucket/planner");

    const withPassword = backendStateRecord("postgres://planner:hunter2-secret@db.internal:5432/planner?table=state");
    const error = await failureOf(withPassword);
    expect(error.message).toContain("postgres://planner@db.internal:5432/planner?table=state");
    expect(await readFile(path.join(workspace.dataDir, SERVICE_STATE_FILE), "utf8")).not.toContain("hunter2-secret");
  });

  it("names the stacks the workspace's own file backend still holds, which commands there no longer see", async () => {
    const stacksDir = path.join(workspace.dir, ".pulumi-state", ".pulumi", "stacks", "deployment-planner");
    await mkdir(stacksDir, { recursive: true });
    await writeFile(path.join(stacksDir, "shop.development.json"), "{}");
    await writeFile(path.join(stacksDir, "shop.development.json.bak"), "{}");
    const record = backendStateRecord("s3://state-bucket/planner");
    expect(await recordServiceState(workspace, record)).toEqual(["shop.development"]);
    expect(await recordServiceState({ ...workspace, backendUrl: pathToFileURL(path.join(workspace.dir, ".pulumi-state")).href }, record)).toEqual([]);
  });
});
