import { describe, expect, test } from "vitest";
import { Rng } from "../src/core/random.js";
import { withArenaSync } from "../src/engine/shared.js";
import type { Column, Frame } from "../src/data/frame.js";
import { codeIntegerColumns, compact, encodeColumn, encodeInteraction, interact } from "../src/data/encode.js";
import { buildSample } from "../src/fit/sample.js";

// Sample building runs in wasm (assembly/sample.ts); these pin what it must give, case by case.

const numeric = (values: number[]): Column => ({ kind: "numeric", values: Float64Array.from(values) });
const frameOf = (columns: Record<string, Column>): Frame => {
  const cols = new Map(Object.entries(columns));
  const first = cols.values().next().value!;
  return { nrows: first.kind === "numeric" ? first.values.length : first.codes.length, columns: cols };
};

describe("factor encodings", () => {
  test("integer ids in a compact range: sorted levels, -1 for missing", () => {
    const enc = encodeColumn(numeric([2003, 2001, NaN, 2003, 2002]), null);
    expect([...enc.codes]).toEqual([2, 0, -1, 2, 1]);
    expect(enc.levels).toEqual([2001, 2002, 2003]);
    expect(enc.size).toBe(3);
  });

  test("ids spread too wide to index, and non-integers, are sorted the same way", () => {
    expect(encodeColumn(numeric([1e12, 5, 1e12, -3]), null)).toMatchObject({ levels: [-3, 5, 1e12], size: 3 });
    expect([...encodeColumn(numeric([0.5, -1, 0.5]), null).codes]).toEqual([1, 0, 1]);
  });

  test("text levels in code-point order, whatever their order in the file", () => {
    const enc = encodeColumn({ kind: "categorical", codes: Int32Array.from([0, 1, -1, 0, 2]), levels: ["b", "a", "B"] }, null);
    expect(enc.levels).toEqual(["B", "a", "b"]);
    expect([...enc.codes]).toEqual([2, 1, -1, 2, 0]);
  });

  test("at a subset of rows the levels that do not occur go (dense) or stay (for a later compact)", () => {
    const col = numeric([10, 20, 30, 20, 10]);
    const rows = Int32Array.from([1, 2, 3]);
    const dense = encodeColumn(col, rows);
    expect([...dense.codes]).toEqual([0, 1, 0]);
    expect(dense.levels).toEqual([20, 30]);
    const whole = encodeColumn(col, rows, { dense: false });
    expect([...whole.codes]).toEqual([1, 2, 1]);
    expect(whole.size).toBe(3);
    const kept = compact(whole, Uint8Array.from([0, 1, 1]));
    expect([...kept.codes]).toEqual([1, 0]);
    expect(kept.levels).toEqual([20, 30]);
  });

  test("without reuse, integer ids are coded over the rows directly: dense either way, and no whole-column encoding is kept", () => {
    const col = numeric([10, 20, 30, 20, 10]);
    const rows = Int32Array.from([1, 2, 3]);
    for (const dense of [true, false]) {
      const enc = encodeColumn(col, rows, { dense, reuse: false });
      expect([...enc.codes]).toEqual([0, 1, 0]);
      expect(enc.levels).toEqual([20, 30]);
    }
    // The interaction of two id columns, combined in one arena, is the interaction of their encodings.
    const other = numeric([1, 1, 2, 2, 1]);
    const direct = encodeInteraction([col, other], rows, { reuse: false });
    expect(direct).toEqual(interact([encodeColumn(col, rows), encodeColumn(other, rows)]));
    expect(direct.levels).toEqual(["20_1", "30_2", "20_2"].sort());
    // A column coded once is reused by the interactions after it (the same codes, not coded again).
    const coded = new Map();
    const alone = encodeColumn(other, rows, { reuse: false, coded });
    expect(coded.get(other)).toBe(alone);
    expect(encodeInteraction([col, other], rows, { reuse: false, coded })).toEqual(direct);
    expect(encodeColumn(other, rows, { reuse: false, coded })).toBe(alone);
  });

  test("ids coded together in two lanes get the codes each gets alone; a column of no compact ids is left out", async () => {
    const rng = new Rng(5);
    const n = 20_000;
    const rows = Int32Array.from({ length: n / 2 }, (_, i) => 2 * i + (i % 3 === 0 ? 1 : 0));
    const firm = numeric(Array.from({ length: n }, (_, i) => 1000 + Math.floor(i / 3)));
    const year = numeric(Array.from({ length: n }, () => (rng.uniform() < 0.02 ? NaN : 2000 + rng.integer(12))));
    const gone = numeric(Array.from({ length: n }, () => NaN));
    const wide = numeric(Array.from({ length: n }, () => rng.integer(1e9) * 1e3));
    for (const threads of [1, 2]) {
      const coded = new Map<Column, ReturnType<typeof encodeColumn> | null>();
      await codeIntegerColumns([firm, year, gone, wide].map((c) => c as Extract<Column, { kind: "numeric" }>), rows, coded, threads);
      // Not compact: marked so, and encoded (alone or in an interaction) as without the mark.
      expect(coded.get(wide)).toBe(null);
      const wideAlone = encodeColumn(wide, rows, { reuse: false });
      expect([...encodeColumn(wide, rows, { reuse: false, coded: new Map([[wide, null]]) }).codes]).toEqual([...wideAlone.codes]);
      const pair = encodeInteraction([year, wide], rows, { reuse: false });
      const pairMarked = encodeInteraction([year, wide], rows, { reuse: false, coded: new Map(coded) });
      expect([...pairMarked.codes]).toEqual([...pair.codes]);
      expect(pairMarked.levels).toEqual(pair.levels);
      for (const c of [firm, year, gone]) {
        const alone = encodeColumn(c, rows, { reuse: false });
        expect([...coded.get(c)!.codes]).toEqual([...alone.codes]);
        expect(coded.get(c)!.levels).toEqual(alone.levels);
      }
      expect(coded.get(gone)!.size).toBe(0);
    }
  });

  test("at every row an encoding is the whole column's, missing values and all; at fewer, gathered and renumbered", () => {
    const col = numeric([2003, NaN, 2001, 2003]);
    const all = encodeColumn(col, Int32Array.from([0, 1, 2, 3]));
    expect(all).toBe(encodeColumn(col, null));
    expect([...all.codes]).toEqual([1, -1, 0, 1]);
    expect(all.levels).toEqual([2001, 2003]);
    const some = encodeColumn(col, Int32Array.from([0, 3]));
    expect([...some.codes]).toEqual([0, 0]);
    expect(some.levels).toEqual([2003]);
  });

  test("a^b: one level per observed combination, missing when either part is", () => {
    const a = encodeColumn(numeric([1, 1, 2, 2, NaN]), null);
    const b = encodeColumn(numeric([7, 8, 8, 8, 7]), null);
    const ab = interact([a, b]);
    expect(ab.levels).toEqual(["1_7", "1_8", "2_8"]);
    expect([...ab.codes]).toEqual([0, 1, 2, 2, -1]);
  });
});

describe("int_range", () => {
  /** The scalar definition: smallest and largest non-missing value, and whether every one is whole. */
  function reference(v: readonly number[]): [number, number, number] {
    let lo = Infinity, hi = -Infinity, integral = 1;
    for (const x of v) {
      if (x < lo) lo = x;
      if (x > hi) hi = x;
      if (Math.floor(x) !== x && x === x) integral = 0;
    }
    return [lo, hi, integral];
  }

  test("over a column and through row indices, any length, with NaN, ±Infinity and fractions, is the scalar definition", () => {
    const rng = new Rng(5);
    const draw = (kind: number) => [NaN, Infinity, -Infinity, 2.5, -0, 7][kind] ?? Math.floor(rng.uniform() * 2000) - 1000;
    withArenaSync((arena, k) => {
      for (const n of [0, 1, 2, 3, 7, 1000]) {
        for (const odds of [0, 0.05, 0.5]) {
          const values = Array.from({ length: n }, () => (rng.uniform() < odds ? draw(Math.floor(rng.uniform() * 6)) : Math.floor(rng.uniform() * 2000) - 1000));
          const x = arena.putF64(values, "values");
          const rows = Int32Array.from({ length: Math.floor(n / 2) }, (_, i) => 2 * i + (rng.uniform() < 0.5 ? 1 : 0)).filter((r) => r < n);
          for (const [at, seen] of [[0, values], [arena.putI32(rows, "rows"), Array.from(rows, (r) => values[r])]] as const) {
            const out = arena.allocF64(3);
            k.int_range(seen.length, x, at, out);
            const got = Array.from(arena.f64(out, 3));
            // === : which of -0 and 0 is the smallest does not matter to the codes.
            expect(got.every((g, i) => g === reference(seen)[i]), `${n} rows, odds ${odds}, ${at ? "through rows" : "whole"}: ${got} vs ${reference(seen)}`).toBe(true);
          }
        }
      }
    });
  });
});

describe("buildSample", () => {
  test("each dropped row counted once, missing before non-finite; an infinite id is a level, not dropped", async () => {
    const frame = frameOf({
      y: numeric([NaN, 1, 2, 3, 4, 5, 6]),
      x: numeric([Infinity, -Infinity, 1, 2, 3, 4, 5]),
      id: numeric([1, 1, 1, Infinity, Infinity, NaN, 1]),
    });
    const s = await buildSample({
      frame, numeric: ["y", "x"], categorical: [], fixedEffects: [{ name: "id", variables: ["id"] }],
      clusters: [], weights: null, subset: Uint8Array.from([1, 1, 1, 1, 1, 1, 0]), dropSingletons: false,
    });
    expect(s.dropped).toMatchObject({ subset: 1, missing: 2, nonFinite: 1, singletons: 0 });
    expect([...s.rows]).toEqual([2, 3, 4]);
    expect(s.fixedEffects[0].levels).toEqual([1, Infinity]);
    expect([...s.fixedEffects[0].codes]).toEqual([0, 1, 1]);
  });

  test("singletons go until none is left, however many rounds the chain takes", async () => {
    // Rows 0..5 form a chain a–b–a–…: dropping its singleton end makes the next one a singleton.
    const a = [2, 2, 1, 1, 0, 0, 3, 3];
    const b = [3, 2, 2, 1, 1, 0, 4, 4];
    const frame = frameOf({ y: numeric([1, 2, 3, 4, 5, 6, 7, 8]), a: numeric(a), b: numeric(b) });
    const s = await buildSample({
      frame, numeric: ["y"], categorical: [], fixedEffects: [{ name: "a", variables: ["a"] }, { name: "b", variables: ["b"] }],
      clusters: ["a"], weights: null, subset: null, dropSingletons: true,
    });
    expect([...s.rows]).toEqual([6, 7]);
    expect(s.dropped.singletons).toBe(6);
    expect(s.fixedEffects.map((fe) => fe.levels)).toEqual([[3], [4]]);
    expect(s.clusters[0].codes).toBe(s.fixedEffects[0].codes);
  });

  test("the screen split by rows over this thread and a worker drops and counts what one thread does", async () => {
    const n = 50_001;
    const rng = new Rng(9);
    const holes = (p: number) => Float64Array.from({ length: n }, () => (rng.uniform() < p ? [NaN, Infinity, -Infinity][rng.integer(3)] : rng.normal()));
    const frame: Frame = {
      nrows: n,
      columns: new Map<string, Column>([
        ["y", { kind: "numeric", values: holes(0.01) }],
        ["x", { kind: "numeric", values: holes(0.02) }],
        ["id", { kind: "numeric", values: Float64Array.from({ length: n }, (_, i) => (rng.uniform() < 0.01 ? NaN : i % 97)) }],
        ["g", { kind: "categorical", codes: Int32Array.from({ length: n }, (_, i) => (rng.uniform() < 0.01 ? -1 : i % 3)), levels: ["a", "b", "c"] }],
      ]),
    };
    const request = { frame, numeric: ["y", "x"], categorical: ["g"], fixedEffects: [{ name: "id", variables: ["id"] }], clusters: [], weights: null, subset: null, dropSingletons: false };
    const [one, two] = [await buildSample({ ...request, threads: 1 }), await buildSample({ ...request, threads: 2 })];
    expect(two.dropped).toEqual(one.dropped);
    expect(one.dropped.missing).toBeGreaterThan(0);
    expect(one.dropped.nonFinite).toBeGreaterThan(0);
    expect([...two.rows]).toEqual([...one.rows]);
    // The largest value in the worker's half of the rows is found too.
    const big = Float64Array.from({ length: n }, (_, i) => (i === n - 2 ? 1e160 : 1));
    const wide: Frame = { nrows: n, columns: new Map<string, Column>([["y", { kind: "numeric", values: big }]]) };
    await expect(
      buildSample({ frame: wide, numeric: ["y"], categorical: [], fixedEffects: [], clusters: [], weights: null, subset: null, dropSingletons: false, threads: 2 }),
    ).rejects.toThrow(new RegExp(`column "y" holds values too large to square and sum over ${n} rows \\(up to 1e\\+160 at row ${n - 1}\\)`));
  });

  test("a later fit on the same frame skips the columns screened clean, and drops and refuses the same", async () => {
    const frame = frameOf({ y: numeric([1, 2, NaN, 4, 5, 6]), x: numeric([1, 2, 3, 4, Infinity, 6]), id: numeric([1, 1, 2, 2, 3, 3]) });
    const request = { frame, numeric: ["y", "x"], categorical: [], fixedEffects: [{ name: "id", variables: ["id"] }], clusters: [], weights: null, subset: null, dropSingletons: false };
    const first = await buildSample(request);
    const again = await buildSample({ ...request, threads: 2 });
    expect(again.dropped).toEqual(first.dropped);
    expect(first.dropped).toMatchObject({ missing: 1, nonFinite: 1 });
    expect([...again.rows]).toEqual([0, 1, 3, 5]);
    // A clean column's largest value is kept with it: the overflow check still refuses it.
    const huge = frameOf({ y: numeric([1, 2, 3]), x: numeric([1, 1e160, 2]) });
    const big = { frame: huge, numeric: ["y", "x"], categorical: [], fixedEffects: [], clusters: [], weights: null, subset: null, dropSingletons: false };
    for (let fit = 0; fit < 2; fit++) await expect(buildSample(big)).rejects.toThrow(/column "x" holds values too large/);
  });

  test("a later fit marks the rows a column was found to drop from the list kept with it, as a regressor or as an id", async () => {
    const n = 20_003;
    const rng = new Rng(4);
    const holes = (p: number) => Float64Array.from({ length: n }, () => (rng.uniform() < p ? [NaN, Infinity, -Infinity][rng.integer(3)] : rng.normal()));
    const columns = (): Map<string, Column> =>
      new Map<string, Column>([
        ["y", { kind: "numeric", values: holes(0.02) }],
        ["x", { kind: "numeric", values: holes(0.03) }],
        ["id", { kind: "numeric", values: Float64Array.from({ length: n }, (_, i) => (i % 101 === 7 ? NaN : i % 89)) }],
        ["g", { kind: "categorical", codes: Int32Array.from({ length: n }, (_, i) => (i % 53 === 1 ? -1 : i % 3)), levels: ["a", "b", "c"] }],
      ]);
    const kept = columns();
    const frame: Frame = { nrows: n, columns: kept };
    // The same values in new column objects: screened afresh.
    const fresh = (): Frame => ({ nrows: n, columns: new Map([...kept].map(([name, c]) => [name, c.kind === "numeric" ? { kind: "numeric", values: c.values.slice() } : { ...c, codes: c.codes.slice() }])) });
    const asRegressor = { numeric: ["y", "x"], categorical: ["g"], fixedEffects: [{ name: "id", variables: ["id"] }], clusters: [], weights: null, subset: null, dropSingletons: false };
    // x as an id: its infinities are levels, only its missing values drop.
    const asId = { ...asRegressor, numeric: ["y"], fixedEffects: [{ name: "id", variables: ["id"] }, { name: "x", variables: ["x"] }] };
    for (const [request, threads] of [[asRegressor, 1], [asRegressor, 2], [asId, 2], [asRegressor, 1]] as const) {
      const remembered = await buildSample({ ...request, frame, threads });
      const scanned = await buildSample({ ...request, frame: fresh(), threads });
      expect(remembered.dropped).toEqual(scanned.dropped);
      expect([...remembered.rows]).toEqual([...scanned.rows]);
    }
    const first = await buildSample({ ...asRegressor, frame });
    expect(first.dropped.missing).toBeGreaterThan(0);
    expect(first.dropped.nonFinite).toBeGreaterThan(0);
    // A frame is taken as unchanging (as for its whole-column encodings): a value written into a
    // remembered column afterwards is not read, which shows the later fit marked from the list.
    const y = (kept.get("y") as Extract<Column, { kind: "numeric" }>).values;
    const clean = y.findIndex((v, i) => Number.isFinite(v) && first.rows.includes(i));
    y[clean] = NaN;
    expect((await buildSample({ ...asRegressor, frame })).dropped).toEqual(first.dropped);
    // A single-use sample keeps no list: a column it screens is read by the next fit.
    const once: Frame = fresh();
    const single = await buildSample({ ...asRegressor, frame: once, singleUse: true });
    (once.columns.get("y") as Extract<Column, { kind: "numeric" }>).values[single.rows[0]] = NaN;
    expect((await buildSample({ ...asRegressor, frame: once })).dropped.missing).toBe(single.dropped.missing + 1);
  });

  test("a value too large to square and sum is refused, naming its row", async () => {
    const frame = frameOf({ y: numeric([1, 2, 3]), x: numeric([1, -1e200, 1e155]), id: numeric([1, 1, 2]) });
    await expect(
      buildSample({ frame, numeric: ["y", "x"], categorical: [], fixedEffects: [], clusters: [], weights: null, subset: null, dropSingletons: false }),
    ).rejects.toThrow(/column "x" holds values too large to square and sum over 3 rows \(up to -1e\+200 at row 2\)/);
  });
});
