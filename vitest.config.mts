import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    // The package is compiled, and the engine's toolchain and the Vault-compatible server are found or built, once before any test runs.
    globalSetup: ["test/setup/build.ts", "test/setup/pulumi.ts", "test/setup/openbao.ts"],
    testTimeout: 180_000,
    hookTimeout: 600_000,
    // End-to-end suites start real Pulumi engines and processes; two cores do not take more in parallel.
    maxWorkers: 2,
  },
});
