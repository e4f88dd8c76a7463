import { describe, expect, it } from "vitest";
import { builderUnderMocks, installMocks } from "../support/mocks";
import { EXAMPLE_BUNDLE, exampleSpec } from "../support/specs";
import { KNOWN_INVOKES, mockInvoke, UnmockedInvokeError } from "../../src/stacks/mock-invokes";

// Mocks that answer no invoke at all: the AWS container service's registry login is then one nobody mocked.
const mocks = installMocks({ invokes: {} });
const build = builderUnderMocks(mocks, (await import("../../src/components/aws/index")).buildAws);

/**
 * Runs `run` with the process's unhandled rejections collected instead of reported: a failed invoke also rejects
 * promises inside the SDK that nothing awaits, and here that failure is the expected outcome.
 */
async function collectingRejections(run: () => Promise<void>): Promise<unknown[]> {
  const listeners = process.listeners("unhandledRejection");
  const rejections: unknown[] = [];
  const collect = (reason: unknown) => void rejections.push(reason);
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  try {
    await run();
    // The SDK's follow-on rejections arrive on later turns.
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    process.off("unhandledRejection", collect);
    for (const listener of listeners) process.on("unhandledRejection", listener);
  }
  return rejections;
}

describe("an invoke nobody mocked", () => {
  it("fails the component test, naming the invoke", async () => {
    // Without datastores there is no network to look up, so the registry login is the stack's only invoke.
    const spec = exampleSpec("aws-container-api.json", { artifact: EXAMPLE_BUNDLE, services: [] });
    await collectingRejections(async () => {
      await expect(build(spec)).rejects.toThrow(new UnmockedInvokeError("aws:ecr/getAuthorizationToken:getAuthorizationToken"));
    });
    expect(mocks.invokes.map((i) => i.token)).toEqual(["aws:ecr/getAuthorizationToken:getAuthorizationToken"]);
  });

  it("is refused by the shared table the offline preview answers from, while the known ones are answered", () => {
    expect(() => mockInvoke("aws:index/getCallerIdentity:getCallerIdentity", {})).toThrow(UnmockedInvokeError);
    for (const token of Object.keys(KNOWN_INVOKES)) expect(mockInvoke(token, { path: "/bundle" }), token).toBeTypeOf("object");
  });
});
