import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    testTimeout: 120_000,
    hookTimeout: 300_000,
    // End-to-end suites start real Pulumi engines and processes; two cores do not take more in parallel.
    maxWorkers: 2,
    reporters: ["default"],
  },
});
