import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feols, shutdown } from "../src/index.js";
import { warmUpFit, worthWarmingUp } from "../src/cli/warm-up.js";
import { sharedEngine } from "../src/engine/shared.js";

afterAll(() => shutdown());

describe("the CLI's warm-up fit", () => {
  test("runs only for a single file big enough to hide it", () => {
    const dir = mkdtempSync(join(tmpdir(), "absorb-warm-"));
    try {
      const small = join(dir, "small.csv");
      writeFileSync(small, "y,x\n1,2\n");
      const big = join(dir, "big.csv");
      writeFileSync(big, "");
      truncateSync(big, 64 * 2 ** 20);
      expect(worthWarmingUp(small)).toBe(false);
      expect(worthWarmingUp(big)).toBe(true);
      expect(worthWarmingUp({ glob: join(dir, "*.csv") })).toBe(false);
      expect(worthWarmingUp(join(dir, "missing.csv"))).toBe(false);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("fits, gives back all its memory, and leaves the next fit's result as it would be", async () => {
    const data = { y: Float64Array.from([1, 3, 2, 5, 4, 7, 6, 9]), x: Float64Array.from([1, 2, 2, 4, 3, 6, 5, 8]), g: Float64Array.from([1, 1, 2, 2, 3, 3, 4, 4]) };
    const before = await feols(data, "y ~ x | g", { threads: 2 });
    const top = sharedEngine().heap.top;
    await warmUpFit(feols, 2);
    expect(sharedEngine().heap.top).toBe(top);
    const after = await feols(data, "y ~ x | g", { threads: 2 });
    expect(after.coefficients).toEqual(before.coefficients);
  });

  test("a failing fit inside it is not an error of the run", async () => {
    const failing = (async () => {
      throw new Error("boom");
    }) as unknown as typeof feols;
    await expect(warmUpFit(failing, 2)).resolves.toBeUndefined();
  });
});
