import { readdirSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { TARGETS } from "../../src/planner/spec";
import { RELEASE_IDENTITIES } from "../../src/components/release-identity";
import { rolloutInProgress, TARGET_RUNTIMES, type RolloutStatus } from "../../src/components/runtimes";

const AUTOMATION = path.resolve(__dirname, "..", "..", "src", "automation");

/** Every TypeScript file under `dir`. */
function sources(dir: string): string[] {
  return readdirSync(dir).flatMap((name) => {
    const file = path.join(dir, name);
    return statSync(file).isDirectory() ? sources(file) : file.endsWith(".ts") ? [file] : [];
  });
}

describe("target runtimes", () => {
  it("give every target its release proof, and only the targets that have them their hooks", () => {
    for (const target of TARGETS) expect(TARGET_RUNTIMES[target].identity, target).toBe(RELEASE_IDENTITIES[target]);
    const withHook = (hook: keyof (typeof TARGET_RUNTIMES)["local"]) => TARGETS.filter((target) => TARGET_RUNTIMES[target][hook] !== undefined);
    expect(withHook("steppedCanary")).toEqual(["gcp"]);
    expect(withHook("switchToWarmRelease")).toEqual(["local"]);
    expect(withHook("watchUpdate")).toEqual(["local"]);
    expect(withHook("needsBundle")).toEqual(["local"]);
    expect(withHook("preflight")).toEqual(["docker"]);
  });

  it("leave the automation layer without a branch on a target's name", () => {
    const branches = sources(AUTOMATION).flatMap((file) =>
      readFileSync(file, "utf8")
        .split("\n")
        .map((line, index) => ({ where: `${path.relative(AUTOMATION, file)}:${index + 1}`, line }))
        .filter(({ line }) => /\btarget\s*[!=]==\s*"|"(?:local|docker|vercel|netlify|railway|aws|gcp)"\s*[!=]==/.test(line)),
    );
    expect(branches).toEqual([]);
  });

  it("see a rollout in progress while it runs or is held, not once it ended", () => {
    const rollout = (status: RolloutStatus["status"]) => ({ status }) as RolloutStatus;
    expect(["running", "held", "completed", "aborted"].map((s) => rolloutInProgress(rollout(s as RolloutStatus["status"])))).toEqual([true, true, false, false]);
    expect(rolloutInProgress(null)).toBe(false);
  });

  it("refuse a Docker target whose engine does not answer, unless DOCKER_HOST names another", async () => {
    expect(await TARGET_RUNTIMES.docker.preflight!({ DOCKER_HOST: "tcp://127.0.0.1:1" })).toBeNull();
    const refused = await TARGET_RUNTIMES.docker.preflight!({});
    // This machine may run a Docker engine; where it does not, the check says which socket did not answer.
    if (refused !== null) expect(refused).toMatchObject({ stage: "env_setup", reason: expect.stringContaining("/var/run/docker.sock does not answer") });
  });
});
