import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { ResidentTableBuilder, placeF64, placeI32, residentRun } from "../src/engine/resident.js";
import { encodeColumn } from "../src/data/encode.js";
import { sharedEngine, withArenaSync } from "../src/engine/shared.js";
import { readFrame } from "../src/data/read.js";
import type { NumericColumn } from "../src/data/frame.js";
import { packageRoot } from "../src/core/package-root.js";

/** `columns` resident columns of `n` values, column c's value i `at(c, i)`, appended in chunks of 300 rows. */
function filledTable(columns: number, n: number, at: (c: number, i: number) => number, capacity = n): Float64Array[] {
  const builder = new ResidentTableBuilder(columns, capacity, "a test table");
  for (let from = 0; from < n; from += 300) {
    builder.append(Array.from({ length: columns }, (_, c) => Float64Array.from({ length: Math.min(300, n - from) }, (_, i) => at(c, from + i))));
  }
  return builder.finish();
}

/** A resident column of `n` values `at(i)`, appended in pieces of 300. */
function filled(n: number, at: (i: number) => number, capacity = n): Float64Array {
  return filledTable(1, n, (_, i) => at(i), capacity)[0];
}

describe("columns resident in the shared memory", () => {
  test("a resident column is read in place: placing it takes no block and the kernels see its values", () => {
    const column = filled(1000, (i) => i - 500.5);
    const heap = sharedEngine().heap;
    withArenaSync((arena, k) => {
      const before = heap.inUse;
      const at = placeF64(arena, column, "the column");
      expect(heap.inUse).toBe(before);
      expect(arena.f64(at, 1000)[999]).toBe(498.5);
      expect(k.sum(1000, at, 0)).toBe(column.reduce((s, x) => s + x, 0));
    });
  });

  test("any other array is copied into the arena, so the kernels never see (or write) the caller's memory", () => {
    const plain = Float64Array.from({ length: 10 }, (_, i) => i);
    const heap = sharedEngine().heap;
    withArenaSync((arena) => {
      const before = heap.inUse;
      const at = placeF64(arena, plain, "the column");
      expect(heap.inUse).toBeGreaterThan(before);
      arena.f64(at, 10)[0] = 99;
      expect(plain[0]).toBe(0);
    });
  });

  test("readFrame's numeric columns of a CSV are resident", async () => {
    const dir = mkdtempSync(join(tmpdir(), "absorb-resident-"));
    try {
      const csv = join(dir, "x.csv");
      writeFileSync(csv, "y,id\n1.5,1\n2.5,2\n,3\n");
      const frame = await readFrame(csv);
      const y = (frame.columns.get("y") as NumericColumn).values;
      const heap = sharedEngine().heap;
      withArenaSync((arena) => {
        const before = heap.inUse;
        const at = placeF64(arena, y, "y");
        expect(heap.inUse).toBe(before);
        expect(Array.from(arena.f64(at, 3))).toEqual([1.5, 2.5, NaN]);
      });
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test("a resident id column's whole-column encoding is resident too: later fits place its codes without a copy", () => {
    const ids = filled(5000, (i) => 1000 + (i % 37));
    const plain = Float64Array.from(ids);
    const heap = sharedEngine().heap;
    const before = heap.inUse;
    const encoding = encodeColumn({ kind: "numeric", values: ids }, null);
    // Its codes took a block of the heap (4 bytes a row) and are read where they lie.
    expect(heap.inUse - before).toBe(5000 * 4);
    withArenaSync((arena) => {
      const held = heap.inUse;
      placeI32(arena, encoding.codes, "codes");
      expect(heap.inUse).toBe(held);
    });
    expect(Array.from(encoding.codes.subarray(0, 3))).toEqual([0, 1, 2]);
    expect(encoding.levels.slice(0, 2)).toEqual([1000, 1001]);
    // An ordinary array's encoding stays an ordinary array: nothing of the heap is held after the call.
    const held = heap.inUse;
    const ordinary = encodeColumn({ kind: "numeric", values: plain }, null);
    expect(heap.inUse).toBe(held);
    expect(Array.from(ordinary.codes)).toEqual(Array.from(encoding.codes));
  });

  test("a resident table's block goes back to the heap once every one of its columns is collected", () => {
    // A child process with the collector exposed: nothing here can force a collection.
    const resident = pathToFileURL(join(packageRoot, "dist", "src", "engine", "resident.js")).href;
    const shared = pathToFileURL(join(packageRoot, "dist", "src", "engine", "shared.js")).href;
    const script = [
      `const { ResidentTableBuilder } = await import(${JSON.stringify(resident)});`,
      `const { sharedEngine } = await import(${JSON.stringify(shared)});`,
      "const heap = sharedEngine().heap;",
      "const table = () => { const b = new ResidentTableBuilder(2, 1_000_000, 'a table'); b.append([new Float64Array(1_000_000), new Float64Array(1_000_000)]); return b.finish(); };",
      "let columns = Array.from({ length: 4 }, table).flat();",
      "const held = heap.inUse;",
      // One column of a table still held keeps the whole block.
      "let one = columns[1]; columns = null;",
      "for (let i = 0; i < 5; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }",
      "const oneHeld = heap.inUse;",
      "one = null;",
      "for (let i = 0; i < 10 && heap.inUse > 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }",
      "console.log(JSON.stringify({ held, oneHeld, after: heap.inUse }));",
    ].join("\n");
    const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const { held, oneHeld, after } = JSON.parse(run.stdout);
    expect(held).toBeGreaterThanOrEqual(8 * 8_000_000);
    expect(oneHeld).toBe(2 * 8_000_000);
    expect(after).toBe(0);
  });
});

describe("resident columns being filled", () => {
  test("grows past its first capacity inside the heap and keeps every row, in order; the old blocks go back at once", () => {
    const heap = sharedEngine().heap;
    const before = heap.inUse;
    const column = filled(10_000, (i) => i * 0.5, 1000);
    expect(column.length).toBe(10_000);
    expect(column.every((x, i) => x === i * 0.5)).toBe(true);
    // Only the finished column's block is held (10,000 × 8 bytes, 16-aligned): no grown-out block is left.
    expect(heap.inUse - before).toBe(80_000);
    withArenaSync((arena, k) => expect(k.sum(10_000, placeF64(arena, column, "the column"), 0)).toBe(column.reduce((s, x) => s + x, 0)));
  });

  test("finish gives back the room past the last row", () => {
    const heap = sharedEngine().heap;
    const before = heap.inUse;
    const column = filled(1001, (i) => i, 1_000_000);
    expect(heap.inUse - before).toBe(8016);
    expect(column[1000]).toBe(1000);
  });

  test("discard gives every block back, also after growing; a spent builder refuses rows", () => {
    const heap = sharedEngine().heap;
    const before = heap.inUse;
    const builder = new ResidentTableBuilder(2, 100, "a test table");
    for (let i = 0; i < 10; i++) builder.append([new Float64Array(90), new Float64Array(90)]);
    expect(builder.length).toBe(900);
    builder.discard();
    expect(heap.inUse).toBe(before);
    expect(() => builder.append([new Float64Array(1), new Float64Array(1)])).toThrow(/finished or discarded/);
    expect(() => builder.finish()).toThrow(/finished twice or after being discarded/);
  });
});

describe("a resident table", () => {
  test("holds its columns side by side, a stride apart, in one block; residentRun finds runs of them in order only", () => {
    const heap = sharedEngine().heap;
    const before = heap.inUse;
    const [a, b, c] = filledTable(3, 1001, (col, i) => col * 10_000 + i, 1500);
    expect([a[1000], b[0], c[1000]]).toEqual([1000, 10_000, 21_000]);
    // Stride 1500 values (16-aligned); the block ends after the last column's rows.
    expect(heap.inUse - before).toBe((2 * 1500 + 1001) * 8 + 8);
    withArenaSync((arena) => {
      expect(placeF64(arena, b, "b") - placeF64(arena, a, "a")).toBe(1500 * 8);
      expect(residentRun([a, b, c])).toMatchObject({ ptr: placeF64(arena, a, "a"), stride: 1500 });
      expect(residentRun([b, c])).toMatchObject({ ptr: placeF64(arena, b, "b"), stride: 1500 });
    });
    expect(residentRun([a, c])).toBeUndefined();
    expect(residentRun([b, a])).toBeUndefined();
    expect(residentRun([a, filled(1001, (i) => i)])).toBeUndefined();
    expect(residentRun([a, Float64Array.from(b)])).toBeUndefined();
  });

  test("grows past its first capacity with every column's rows kept, in order; refuses a chunk of the wrong shape", () => {
    const [a, b] = filledTable(2, 10_000, (col, i) => (col === 0 ? i : -i), 700);
    expect(a.every((x, i) => x === i) && b.every((x, i) => x === -i)).toBe(true);
    const builder = new ResidentTableBuilder(2, 10, "a test table");
    expect(() => builder.append([new Float64Array(3), new Float64Array(4)])).toThrow(/wrong shape/);
    expect(() => builder.append([new Float64Array(3)])).toThrow(/wrong shape/);
    builder.discard();
  });
});
