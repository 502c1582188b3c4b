import { describe, expect, test } from "vitest";
import { Arena } from "../src/engine/arena.js";
import { EstimationError } from "../src/errors.js";

describe("the shared-memory arena", () => {
  test("a table that cannot fit under 4 GiB is an error saying how many rows and columns fit", () => {
    const arena = new Arena();
    let err: unknown;
    try {
      arena.ensureTable(80_000_000, 9);
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(EstimationError);
    expect((err as EstimationError).kind).toBe("memory");
    expect((err as Error).message).toMatch(/80,000,000 rows × 9 columns need 5\.36 GiB.*at most 59,\d{3},\d{3} rows of 9 columns fit, or 6 columns of 80,000,000 rows/);
  });

  test("memory grows on demand, views made after growth see the new memory, and release reuses it", () => {
    const arena = new Arena();
    const mark = arena.mark();
    const a = arena.putF64([1, 2, 3]);
    const big = arena.allocF64(4_000_000, "a big buffer");
    arena.f64(big, 4_000_000).fill(7);
    expect(Array.from(arena.f64(a, 3))).toEqual([1, 2, 3]);
    expect(arena.f64(big, 4_000_000)[3_999_999]).toBe(7);
    arena.release(mark);
    expect(arena.putF64([5])).toBe(a);
  });
});
