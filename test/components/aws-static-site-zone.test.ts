import { describe, expect, it } from "vitest";
import { KNOWN_INVOKES } from "../../src/stacks/mock-invokes";
import { installMocks, valueOf } from "../support/mocks";

// Mocks of an account without the domain's hosted zone: the lookup fails, as the AWS provider's does.
installMocks({
  invokes: {
    ...KNOWN_INVOKES,
    "aws:route53/getZone:getZone": () => {
      throw new Error("no matching Route 53 Hosted Zone found");
    },
  },
});
const { hostedZoneId } = await import("../../src/components/aws/site-domain");

/** Runs `run` with unhandled rejections collected: a failed output also rejects SDK promises nothing awaits. */
async function collectingRejections(run: () => Promise<void>): Promise<unknown[]> {
  const listeners = process.listeners("unhandledRejection");
  const rejections: unknown[] = [];
  const collect = (reason: unknown) => void rejections.push(reason);
  process.removeAllListeners("unhandledRejection");
  process.on("unhandledRejection", collect);
  try {
    await run();
    await new Promise((resolve) => setTimeout(resolve, 100));
  } finally {
    process.off("unhandledRejection", collect);
    for (const listener of listeners) process.on("unhandledRejection", listener);
  }
  return rejections;
}

describe("AWS static site: a custom domain outside the account's Route 53", () => {
  it("fails naming the hosted zone the account must hold and what to do", async () => {
    const expected = /^domain: www\.example\.com is served from the Route 53 hosted zone example\.com, which the deploying AWS account must hold as a public zone .* Create the hosted zone example\.com and delegate the domain to its name servers, or deploy without a domain\.$/;
    const rejections = await collectingRejections(async () => {
      await expect(valueOf(hostedZoneId("www.example.com", "example.com", {}))).rejects.toThrow(expected);
    });
    for (const rejection of rejections) expect((rejection as Error).message).toMatch(expected);
  });
});
