import { spawn } from "node:child_process";
import { mkdtemp, rm } from "node:fs/promises";
import os from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { ServiceDatabase } from "../../src/service/database";
import { SERVICE_SCHEMA } from "../../src/service/migrations";
import { allows, createToken, listTokens, revokeToken, verifyToken } from "../../src/service/tokens";
import { closeTestDatabase, openTestDatabase } from "../support/database";

const BIN = path.join(__dirname, "..", "..", "bin", "deployment-planner.cjs");

/** API tokens on a real PostgreSQL: the workspace's embedded server, started by the test and stopped after it. */
describe("the service's API tokens", () => {
  let root = "";
  let workspaceDir = "";
  let database: ServiceDatabase;

  beforeAll(async () => {
    root = await mkdtemp(path.join(os.tmpdir(), "dp-tokens-"));
    workspaceDir = path.join(root, "workspace");
    database = await openTestDatabase(path.join(workspaceDir, ".deployment-planner"));
  }, 120_000);

  afterAll(async () => {
    await closeTestDatabase(database);
    await rm(root, { recursive: true, force: true });
  });

  function cli(...args: string[]): Promise<{ code: number | null; stdout: string; stderr: string }> {
    return new Promise((resolve) => {
      const child = spawn(process.execPath, [BIN, "tokens", ...args, "--workspace", workspaceDir], { env: { ...process.env, DATABASE_URL: "" }, stdio: ["ignore", "pipe", "pipe"] });
      let stdout = "";
      let stderr = "";
      child.stdout.on("data", (chunk: Buffer) => (stdout += chunk.toString()));
      child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
      child.on("close", (code) => resolve({ code, stdout, stderr }));
    });
  }

  it("stores only a hash of a token's secret, and checks a token's scope and projects", async () => {
    expect(database.embedded).toBe(true);
    const created = await createToken(database.pool, ["shop", "blog"], "deploy", "ci-shop");
    expect(created.token).toMatch(/^dp_[0-9a-f]{16}_[A-Za-z0-9_-]{43}$/);
    const secret = created.token.split("_").slice(2).join("_");
    const stored = JSON.stringify((await database.pool.query(`select * from ${SERVICE_SCHEMA}.api_tokens`)).rows);
    expect(stored).toContain(created.id);
    expect(stored).not.toContain(secret);

    const principal = await verifyToken(database.pool, created.token);
    expect(principal).toEqual({ id: created.id, name: "ci-shop", projects: ["shop", "blog"], scope: "deploy" });
    expect(allows(principal!, "shop", "read")).toBe(true);
    expect(allows(principal!, "shop", "deploy")).toBe(true);
    expect(allows(principal!, "shop", "admin")).toBe(false);
    expect(allows(principal!, "other", "read")).toBe(false);

    // A wrong secret for a real id, a malformed token and an unknown id are all refused.
    expect(await verifyToken(database.pool, `dp_${created.id}_${"A".repeat(43)}`)).toBeNull();
    expect(await verifyToken(database.pool, "Bearer nonsense")).toBeNull();
    expect(await verifyToken(database.pool, `dp_${"0".repeat(16)}_${secret}`)).toBeNull();

    expect(await revokeToken(database.pool, created.id)).toBe(true);
    expect(await revokeToken(database.pool, created.id)).toBe(false);
    expect(await verifyToken(database.pool, created.token)).toBeNull();
    expect((await listTokens(database.pool)).find((t) => t.id === created.id)?.revoked_at).not.toBeNull();
  });

  it("creates (shown once), lists and revokes tokens from the CLI, joining the workspace's running server", async () => {
    const created = await cli("create", "--name", "shop-admin", "--project", "shop", "--scope", "admin", "--json");
    expect(created.code, created.stderr).toBe(0);
    const { token } = JSON.parse(created.stdout) as { token: string };
    expect(Object.keys(JSON.parse(created.stdout))).toEqual(["token"]);
    expect(await verifyToken(database.pool, token)).toMatchObject({ projects: ["shop"], scope: "admin" });

    const listed = await cli("list", "--json");
    expect(listed.code, listed.stderr).toBe(0);
    // The secret is base64url, so it may itself hold "_": everything after the id is the secret.
    expect(listed.stdout).not.toContain(token.split("_").slice(2).join("_"));
    const id = token.split("_")[1]!;
    expect(JSON.parse(listed.stdout).tokens).toContainEqual(expect.objectContaining({ id, name: "shop-admin", projects: ["shop"], scope: "admin", revoked_at: null }));
    const table = await cli("list");
    expect(table.stdout).toMatch(new RegExp(`${id}\\s+shop-admin\\s+admin`));

    expect((await cli("revoke", id)).code).toBe(0);
    expect(await verifyToken(database.pool, token)).toBeNull();
    // The CLI joined the server this process runs; it is still up.
    expect((await database.pool.query("select 1 as up")).rows[0]).toEqual({ up: 1 });

    const bad = await cli("create", "--project", "../etc", "--scope", "admin", "--json");
    expect(bad.code).toBe(2);
    expect(JSON.parse(bad.stdout)).toMatchObject({ status: "error", stage: "validation" });
    expect((await cli("create", "--name", "x", "--project", "shop", "--scope", "root", "--json")).code).toBe(2);
  });

  it("names every token: required on the command line, bounded, unique among the live tokens of each project", async () => {
    const unnamed = await cli("create", "--project", "shop", "--scope", "read", "--json");
    expect(unnamed.code).toBe(2);
    expect(JSON.parse(unnamed.stdout)).toMatchObject({ status: "error", stage: "validation", reason: "--name: required" });
    for (const bad of ["CI", "a b", "x".repeat(65), "../etc", "name;drop"]) {
      const refused = await cli("create", "--name", bad, "--project", "shop", "--scope", "read", "--json");
      expect(refused.code, bad).toBe(2);
      expect(JSON.parse(refused.stdout).reason).toMatch(/^--name: /);
    }
    const first = await cli("create", "--name", "ci-shop.v1", "--project", "shop,blog", "--scope", "deploy", "--json");
    expect(first.code, first.stderr).toBe(0);
    // The same name on a project it shares (or on every project) is refused; on another project it is free.
    const clash = await cli("create", "--name", "ci-shop.v1", "--project", "blog", "--scope", "read", "--json");
    expect(clash.code).toBe(2);
    expect(JSON.parse(clash.stdout).reason).toMatch(/already named 'ci-shop.v1'/);
    expect((await cli("create", "--name", "ci-shop.v1", "--project", "*", "--scope", "read", "--json")).code).toBe(2);
    expect((await cli("create", "--name", "ci-shop.v1", "--project", "wiki", "--scope", "read", "--json")).code).toBe(0);
    // Once the first is revoked its name is free again.
    const firstId = (JSON.parse(first.stdout) as { token: string }).token.split("_")[1]!;
    expect((await cli("revoke", firstId)).code).toBe(0);
    expect((await cli("create", "--name", "ci-shop.v1", "--project", "blog", "--scope", "read", "--json")).code).toBe(0);

    // A program may leave the name out: the token is named after its id, as tokens made before names were.
    const programmatic = await createToken(database.pool, ["shop"], "read");
    expect(programmatic.name).toBe(`token-${programmatic.id}`);
    // The database refuses a name outside the bounds whoever writes it.
    await expect(database.pool.query(`update ${SERVICE_SCHEMA}.api_tokens set name = 'Not A Name' where id = $1`, [programmatic.id])).rejects.toThrow(/api_tokens_name/);
  });
});
