import { createHash } from "node:crypto";
import { expect } from "vitest";
import type { SecretResolution } from "../../src/secrets/types";

/**
 * Asserts two secret values are equal by comparing digests and lengths, so a failing assertion never prints a value.
 */
export function expectSameSecret(actual: string | undefined, expected: string): void {
  const digest = (text: string | undefined) => (text === undefined ? "undefined" : `${text.length}:${createHash("sha256").update(text).digest("hex")}`);
  expect(digest(actual)).toBe(digest(expected));
}

/** The resolution narrowed to success (fails the test with the failure object otherwise — it holds no values). */
export function expectResolved(resolution: SecretResolution): Extract<SecretResolution, { ok: true }> {
  if (!resolution.ok) expect.fail(`expected the secrets to resolve, got ${JSON.stringify(resolution.failure)}`);
  return resolution;
}

/** The resolution narrowed to failure (fails the test, printing only names and provenance, otherwise). */
export function expectFailed(resolution: SecretResolution): Extract<SecretResolution, { ok: false }> {
  if (resolution.ok) expect.fail(`expected a failure, got provenance ${JSON.stringify(resolution.provenance)}`);
  return resolution;
}

/** Secret spec entries for tests. */
export function secret(name: string, ref: string) {
  return { name, ref, required_by: ["request"] };
}
