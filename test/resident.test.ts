import { describe, expect, test } from "vitest";
import { spawnSync } from "node:child_process";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { pathToFileURL } from "node:url";
import { placeF64, residentF64 } from "../src/engine/resident.js";
import { sharedEngine, withArenaSync } from "../src/engine/shared.js";
import { readFrame } from "../src/data/read.js";
import type { NumericColumn } from "../src/data/frame.js";
import { packageRoot } from "../src/core/package-root.js";

describe("columns resident in the shared memory", () => {
  test("a resident column is read in place: placing it takes no block and the kernels see its values", () => {
    const column = residentF64(1000, "a test column");
    column.forEach((_, i) => (column[i] = i - 500.5));
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

  test("a resident column's block goes back to the heap once the column is collected", () => {
    // A child process with the collector exposed: nothing here can force a collection.
    const resident = pathToFileURL(join(packageRoot, "dist", "src", "engine", "resident.js")).href;
    const shared = pathToFileURL(join(packageRoot, "dist", "src", "engine", "shared.js")).href;
    const script = [
      `const { residentF64 } = await import(${JSON.stringify(resident)});`,
      `const { sharedEngine } = await import(${JSON.stringify(shared)});`,
      "const heap = sharedEngine().heap;",
      "let columns = Array.from({ length: 8 }, () => residentF64(1_000_000, 'a column'));",
      "const held = heap.inUse;",
      "columns = null;",
      "for (let i = 0; i < 10 && heap.inUse > 0; i++) { globalThis.gc(); await new Promise((r) => setTimeout(r, 10)); }",
      "console.log(JSON.stringify({ held, after: heap.inUse }));",
    ].join("\n");
    const run = spawnSync(process.execPath, ["--expose-gc", "--input-type=module", "-e", script], { encoding: "utf8" });
    expect(run.status, run.stderr).toBe(0);
    const { held, after } = JSON.parse(run.stdout);
    expect(held).toBeGreaterThanOrEqual(8 * 8_000_000);
    expect(after).toBe(0);
  });
});
