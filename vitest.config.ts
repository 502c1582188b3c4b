import { configDefaults, defineConfig } from "vitest/config";

// CLI tests start real processes and fits read real files: allow them time on a 2-core machine.
export default defineConfig({
  test: {
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // test/distributed needs servers: npm run test:distributed.
    exclude: [...configDefaults.exclude, "test/distributed/**"],
  },
});
