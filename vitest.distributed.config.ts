import { defineConfig } from "vitest/config";

// The distributed tests start their own ClickHouse servers (test/distributed/clickhouse-cluster.ts).
export default defineConfig({
  test: {
    include: ["test/distributed/*.test.ts"],
    testTimeout: 300_000,
    hookTimeout: 300_000,
    fileParallelism: false,
  },
});
