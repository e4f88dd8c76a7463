import { mkdir, mkdtemp, rm, stat, writeFile } from "node:fs/promises";
import { createRequire } from "node:module";
import os from "node:os";
import path from "node:path";
import { afterEach, beforeEach, describe, expect, it } from "vitest";
import { RELEASE_IDENTITIES } from "../../src/components/release-identity";
import { CHALLENGE_HEADER, PROOF_HEADER, RELEASE_HEADER, checkProof, expectedProof, readIdentityKey } from "../../src/components/local/release-proof";

/** The supervisor's half, loaded as the supervisor loads it (plain CommonJS). */
const supervisorIdentity = createRequire(__filename)("../../src/components/local/supervisor-identity.cjs") as {
  loadOrCreateKey(stateDir: string): Buffer;
  identityHeaders(key: Buffer, challenge: string, releaseId: string | null, port: number): Record<string, string>;
  validChallenge(value: unknown): string | null;
};

const headersOf = (record: Record<string, string>) => new Headers(record);

describe("the local supervisor's proof of identity", () => {
  let dir = "";

  beforeEach(async () => {
    dir = await mkdtemp(path.join(os.tmpdir(), "dp-proof-"));
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  it("creates the stack's key once, readable by its owner only, and reads the same key back", async () => {
    const key = supervisorIdentity.loadOrCreateKey(dir);
    expect(key.length).toBe(32);
    expect((await stat(path.join(dir, "identity.key"))).mode & 0o777).toBe(0o600);
    expect(supervisorIdentity.loadOrCreateKey(dir).equals(key)).toBe(true);
    expect((await readIdentityKey(dir))?.equals(key)).toBe(true);
  });

  it("narrows a key file with a wider mode", async () => {
    await writeFile(path.join(dir, "identity.key"), `${"ab".repeat(32)}\n`, { mode: 0o644 });
    supervisorIdentity.loadOrCreateKey(dir);
    expect((await stat(path.join(dir, "identity.key"))).mode & 0o777).toBe(0o600);
  });

  it("is checked by the same formula the supervisor signs with, for the challenge, release and port it was made for only", async () => {
    const key = supervisorIdentity.loadOrCreateKey(dir);
    const challenge = "c".repeat(32);
    const answer = headersOf(supervisorIdentity.identityHeaders(key, challenge, "rabc123", 4100));
    expect(answer.get(PROOF_HEADER)).toBe(expectedProof(key, challenge, "rabc123", 4100));
    expect(checkProof(key, challenge, 4100, answer)).toEqual({ proven: true, release: "rabc123" });
    // Replayed for another challenge, relayed from another port, or checked with another stack's key: refused.
    expect(checkProof(key, "d".repeat(32), 4100, answer)).toMatchObject({ proven: false });
    expect(checkProof(key, challenge, 4101, answer)).toMatchObject({ proven: false });
    expect(checkProof(Buffer.alloc(32, 7), challenge, 4100, answer)).toMatchObject({ proven: false });
    // Another release named with the proof of the first: refused.
    expect(checkProof(key, challenge, 4100, headersOf({ [RELEASE_HEADER]: "rother", [PROOF_HEADER]: answer.get(PROOF_HEADER)! }))).toMatchObject({ proven: false });
    // A supervisor that runs no release says so, provably.
    expect(checkProof(key, challenge, 4100, headersOf(supervisorIdentity.identityHeaders(key, challenge, null, 4100)))).toEqual({ proven: true, release: null });
  });

  it("refuses an answer without identity headers, and an unverifiable one when the key is missing", async () => {
    const key = supervisorIdentity.loadOrCreateKey(dir);
    expect(checkProof(key, "c".repeat(32), 4100, headersOf({}))).toMatchObject({ proven: false, reason: expect.stringContaining("did not prove") });
    expect(checkProof(null, "c".repeat(32), 4100, headersOf(supervisorIdentity.identityHeaders(key, "c".repeat(32), "r1", 4100)))).toMatchObject({ proven: false });
  });

  it("accepts only URL-safe challenges of 16 to 128 characters", () => {
    expect(supervisorIdentity.validChallenge("a".repeat(16))).toBe("a".repeat(16));
    expect(supervisorIdentity.validChallenge("a".repeat(15))).toBeNull();
    expect(supervisorIdentity.validChallenge("a".repeat(129))).toBeNull();
    expect(supervisorIdentity.validChallenge("a".repeat(20) + "\r\nx: y")).toBeNull();
    expect(supervisorIdentity.validChallenge(["a".repeat(20)])).toBeNull();
  });
});

describe("each target's release identity", () => {
  const context = { stack: "p.development", workspaceDir: os.tmpdir(), expectedRelease: null };

  it("takes a platform's answer only with the platform's own header, and never without a recorded deployment", async () => {
    const vercel = await RELEASE_IDENTITIES.vercel.probe(context, "https://p.vercel.app/");
    // The header shows Vercel answered, not which deployment: the cloud targets' own proofs are in cloud-release-proof.mocks.test.ts.
    expect(vercel.check(new Response("ok", { headers: { "x-vercel-id": "iad1::abc" } }))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("deploy it again") });
    expect(vercel.check(new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("x-vercel-id") });
    const netlify = await RELEASE_IDENTITIES.netlify.probe(context, "https://p.netlify.app/");
    expect(netlify.check(new Response("ok"))).toMatchObject({ kind: "unproven" });
  });

  it("sends the local target a fresh challenge per request, and takes only the release the state records", async () => {
    const dir = await mkdtemp(path.join(os.tmpdir(), "dp-identity-"));
    try {
      const stateDir = path.join(dir, ".deployment-planner", "local", "p.development");
      await mkdir(stateDir, { recursive: true });
      const key = supervisorIdentity.loadOrCreateKey(stateDir);
      const local = { ...context, workspaceDir: dir, expectedRelease: "rrecorded" };
      const first = await RELEASE_IDENTITIES.local.probe(local, "http://127.0.0.1:4100/");
      const second = await RELEASE_IDENTITIES.local.probe(local, "http://127.0.0.1:4100/");
      const challenge = first.headers[CHALLENGE_HEADER]!;
      expect(challenge).not.toBe(second.headers[CHALLENGE_HEADER]);
      const answer = (release: string | null) => new Response("ok", { headers: supervisorIdentity.identityHeaders(key, challenge, release, 4100) });
      expect(first.check(answer("rrecorded"))).toEqual({ kind: "proven", release: "rrecorded" });
      expect(first.check(answer("rolder"))).toMatchObject({ kind: "other_release", release: "rolder" });
      expect(first.check(answer(null))).toMatchObject({ kind: "other_release", release: null });
      expect(first.check(new Response("ok"))).toMatchObject({ kind: "unproven", reason: expect.stringContaining("another process may hold the stack's port") });
    } finally {
      await rm(dir, { recursive: true, force: true });
    }
  });

  it("says for every target how its release is identified", () => {
    for (const [target, identity] of Object.entries(RELEASE_IDENTITIES)) {
      expect(identity.method.length, target).toBeGreaterThan(20);
      expect(["release", "platform", "nothing"]).toContain(identity.proves);
    }
    expect(RELEASE_IDENTITIES.local.proves).toBe("release");
  });
});
