import { afterAll, describe, expect, test } from "vitest";
import { runKernelLanes } from "../src/engine/kernel-lanes.js";
import type { KernelCall } from "../src/engine/kernel-task.js";
import { withArena } from "../src/engine/shared.js";
import { shutdownPool } from "../src/engine/pool.js";
import { Rng } from "../src/core/random.js";

afterAll(() => shutdownPool());

describe("lanes of kernel calls", () => {
  test("a worker's lane gives what the calling thread gives for the same calls, lane by lane", async () => {
    await withArena(async (arena, k) => {
      const n = 200_000;
      const rng = new Rng(4);
      const x = arena.putF64(Float64Array.from({ length: 4 * n }, () => rng.normal() * 1e3));
      const out = arena.allocF64(4 * 3);
      const lane = (c: number): KernelCall[] => [
        { name: "column_stats", args: [n, x + c * n * 8, 0, out + c * 24] },
        { name: "sum", args: [n, x + c * n * 8, 0] },
      ];
      const lanes = [[...lane(0), ...lane(2)], [...lane(1), ...lane(3)]];
      const split = await runKernelLanes(k, lanes, 2, "summing");
      const splitStats = Array.from(arena.f64(out, 12));
      const serial = await runKernelLanes(k, lanes, 1, "summing");
      expect(split).toEqual(serial);
      expect(Array.from(arena.f64(out, 12))).toEqual(splitStats);
      // Each lane's results in call order: the sums (the second call of each column) are the columns' own.
      expect(split[1][1]).toBe(k.sum(n, x + n * 8, 0));
      expect(split[0][3]).toBe(k.sum(n, x + 2 * n * 8, 0));
    });
  });

  test("a kernel that traps in the worker's lane rejects with an error naming the work, and the pool goes on", async () => {
    await withArena(async (arena, k) => {
      const x = arena.putF64(new Float64Array(1000).fill(1));
      const bad: KernelCall[] = [{ name: "sum", args: [1000, 0x7ffffff0, 0] }];
      const good: KernelCall[] = [{ name: "sum", args: [1000, x, 0] }];
      await expect(runKernelLanes(k, [good, bad], 2, "summing the test's columns")).rejects.toThrow(/a worker failed while summing the test's columns/);
      expect(await runKernelLanes(k, [good, good], 2, "summing")).toEqual([[1000], [1000]]);
    });
  });
});
