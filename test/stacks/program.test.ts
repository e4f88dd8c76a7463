import * as pulumi from "@pulumi/pulumi";
import { describe, expect, it } from "vitest";
import { installMocks } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec } from "../support/specs";
import type { StackSpec } from "../../src/planner/spec";

// The program runs in this process under Pulumi's mocks, imported only once the mocks are in place.
const mocks = installMocks();
const { programFor } = await import("../../src/stacks/program");

/** Runs the program for a spec in a stack, recording every resource it creates with the options the SDK settled on. */
async function runProgram(spec: StackSpec): Promise<Map<string, pulumi.Resource>> {
  const created = new Map<string, pulumi.Resource>();
  const secrets = Object.fromEntries(spec.secrets.map((s) => [s.name, `value-of-${s.name}`]));
  await pulumi.runtime.runInPulumiStack(async () => {
    pulumi.runtime.registerStackTransformation((args) => {
      created.set(args.name, args.resource);
      return undefined;
    });
    return programFor(spec, { resolvedSecrets: secrets })();
  });
  await mocks.settle();
  return created;
}

/** The protect flag the SDK computed for a resource (its own option, else its parent's). */
const isProtected = (resource: pulumi.Resource | undefined) => (resource as unknown as { __protect?: boolean } | undefined)?.__protect === true;

describe("the program's resource options", () => {
  it("protects every resource of a protected stack through its components, except what each release replaces", async () => {
    const created = await runProgram(exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE }));
    const released = ["app-image", ...[...created.keys()].filter((name) => name.endsWith("-value"))];
    for (const [name, resource] of created) {
      if (resource instanceof pulumi.ProviderResource || name.startsWith("deployment-planner-")) continue;
      expect(isProtected(resource), name).toBe(!released.includes(name));
    }
    expect(isProtected(created.get("db-postgresql-db"))).toBe(true);
    expect(isProtected(created.get("app-repository"))).toBe(true);
    // The provider is the stack's, not a resource to keep: destroying the stack must be able to remove it.
    expect(isProtected(created.get("aws"))).toBe(false);
  });

  it("protects nothing in a stack that is not protected", async () => {
    mocks.reset();
    const created = await runProgram(exampleSpec("docker-fullstack.yaml", { artifact: EXAMPLE_BUNDLE }));
    expect(created.size).toBeGreaterThan(5);
    for (const [name, resource] of created) expect(isProtected(resource), name).toBe(false);
  });
});
