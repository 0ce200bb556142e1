import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts", "functions/**/*.test.ts", "apis/**/*.test.ts"],
    // CRD schemas are large; compiling them once per worker is the slow part, so fewer workers win on 2 cores.
    pool: "threads",
    maxWorkers: 2,
    testTimeout: 60_000,
    globalSetup: ["test/support/global-setup.ts"],
  },
});
