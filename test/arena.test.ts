import { describe, expect, test } from "vitest";
import { Arena } from "../src/engine/arena.js";
import { BASE, CEILING, Heap } from "../src/engine/heap.js";
import { instantiateKernels } from "../src/engine/kernels.js";
import { EstimationError, InternalError } from "../src/core/errors.js";

describe("the shared-memory arena", () => {
  test("a table that cannot fit under 4 GiB is an error saying how many rows and columns fit", () => {
    const arena = new Arena(new Heap());
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
    const arena = new Arena(new Heap());
    const mark = arena.mark();
    const a = arena.putF64([1, 2, 3]);
    const big = arena.allocF64(4_000_000, "a big buffer");
    arena.f64(big, 4_000_000).fill(7);
    expect(Array.from(arena.f64(a, 3))).toEqual([1, 2, 3]);
    expect(arena.f64(big, 4_000_000)[3_999_999]).toBe(7);
    arena.release(mark);
    expect(arena.putF64([5])).toBe(a);
  });

  test("arenas closed in any order give every block back: the top returns to its base", () => {
    const heap = new Heap();
    const [a, b, c] = [new Arena(heap), new Arena(heap), new Arena(heap)];
    const pa = a.allocF64(1000);
    const pb = b.allocF64(10);
    c.allocF64(5000);
    a.allocF64(3);
    // a's first block is free again only once a closes; b's memory stays b's until then.
    b.f64(pb, 10).fill(4);
    a.close();
    expect(heap.inUse).toBeGreaterThan(0);
    const d = new Arena(heap);
    expect(d.allocF64(1000)).toBe(pa);
    expect(Array.from(b.f64(pb, 10))).toEqual(new Array(10).fill(4));
    c.close();
    b.close();
    d.close();
    expect(heap.top).toBe(BASE);
    expect(heap.inUse).toBe(0);
    expect(heap.largestBlock).toBe(CEILING - BASE);
  });

  test("an arena cannot be used after its call ended", () => {
    const arena = new Arena(new Heap());
    arena.close();
    expect(() => arena.allocF64(1)).toThrow(InternalError);
  });

  test("addresses above 2 GiB are plain unsigned offsets, for views and kernels alike", () => {
    const heap = new Heap();
    const arena = new Arena(heap);
    const filler = arena.alloc(2.2 * 2 ** 30, "filler");
    expect(filler).toBe(BASE);
    const x = arena.putF64([1.5, 2.5, 3]);
    expect(x).toBeGreaterThan(2 ** 31);
    expect(x % 16).toBe(0);
    const k = instantiateKernels(heap.memory);
    expect(k.sum(3, x, 0)).toBe(7);
    const out = arena.allocF64(1);
    k.crossprod(3, 1, x, 0, arena.allocF64(4), out);
    expect(arena.f64(out, 1)[0]).toBe(1.5 * 1.5 + 2.5 * 2.5 + 9);
    arena.close();
    expect(heap.top).toBe(BASE);
    expect(heap.peak).toBeGreaterThan(2.2 * 2 ** 30);
  });

  test("a block past the 4 GiB ceiling is a memory error naming what it was for", () => {
    const arena = new Arena(new Heap());
    arena.alloc(3 * 2 ** 30, "filler");
    expect(() => arena.allocF64(2 ** 27, "the model matrix")).toThrow(/not enough WebAssembly memory for the model matrix: 1\.00 GiB more needed/);
    arena.close();
  });
});
