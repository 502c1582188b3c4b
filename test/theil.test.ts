import { afterAll, beforeAll, describe, expect, test } from "vitest";
import fc from "fast-check";
import { Table } from "apache-arrow";
import { feols, shutdown, theil, AbsorbError, InputError, readFrame, type Frame, type TheilOptions } from "../src/index.js";
import { reference, referencePanel, expectRelative } from "./helpers/reference.js";
import { openArena, sharedEngine } from "../src/engine/shared.js";
import { accumulateMoments, computeMoments, planMoments, reduceMoments, BLOCK_ROWS, STRIDE } from "../src/inequality/moments.js";

afterAll(() => shutdown());

interface RefGroup {
  industry: number;
  year: number;
  n: number;
  mean: number;
  theil_t: number;
  theil_l: number;
}
interface RefRegion {
  total_t: number;
  within_t: number;
  between_t: number;
  n: number;
  groups: { region: string; n: number; mean: number; theil_t: number }[];
}

/** The definitions, row by row (unweighted unless w is given). */
function direct(x: readonly number[], w?: readonly number[]): { mean: number; t: number; l: number; ge: (a: number) => number } {
  const wt = (i: number) => (w ? w[i] : 1);
  let sw = 0;
  let swx = 0;
  x.forEach((v, i) => ((sw += wt(i)), (swx += wt(i) * v)));
  const mu = swx / sw;
  const avg = (f: (r: number) => number) => x.reduce((s, v, i) => s + wt(i) * f(v / mu), 0) / sw;
  return {
    mean: mu,
    t: avg((r) => (r === 0 ? 0 : r * Math.log(r))),
    l: avg((r) => -Math.log(r)),
    ge: (a) => (avg((r) => Math.pow(r, a)) - 1) / (a * (a - 1)),
  };
}

async function expectInputError(run: () => Promise<unknown>, kind: string, message: RegExp): Promise<void> {
  const err = await run().then(
    () => undefined,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as AbsorbError).kind).toBe(kind);
  expect((err as Error).message).toMatch(message);
}

describe("fixest reference (panel_small), through the API", () => {
  let panel: Frame;
  beforeAll(async () => {
    panel = await readFrame(referencePanel, ["dvar", "industry", "year", "region"]);
  });

  test("theil_dvar_by_industry_year: every group's T and L to 1e-10, over rows with dvar > 0", async () => {
    const res = await theil(panel, { value: "dvar", by: ["industry", "year"], nonpositive: "drop" });
    const ref = reference.theil_dvar_by_industry_year as RefGroup[];
    expect(res.groups.length).toBe(ref.length);
    for (const g of ref) {
      const got = res.group({ industry: g.industry, year: g.year });
      expect(got, `group ${g.industry}/${g.year}`).toBeDefined();
      expect(got!.key).toEqual({ industry: g.industry, year: g.year });
      expect(got!.n).toBe(g.n);
      expectRelative(got!.mean!, g.mean, 1e-12, `mean ${g.industry}/${g.year}`);
      expectRelative(got!.theil_t!, g.theil_t, 1e-10, `T ${g.industry}/${g.year}`);
      expectRelative(got!.theil_l!, g.theil_l, 1e-10, `L ${g.industry}/${g.year}`);
    }
    // keys ordered as fixest sorts them: industry, then year
    const keys = res.groups.map((g) => [g.key.industry as number, g.key.year as number]);
    expect(keys).toEqual([...keys].sort((a, b) => a[0] - b[0] || a[1] - b[1]));
  });

  test("theil_dvar_by_region: total and within to 1e-10, between to 1e-15 absolute", async () => {
    const res = await theil(panel, { value: "dvar", nonpositive: "drop", decompose: "region" });
    const ref = reference.theil_dvar_by_region as RefRegion;
    const d = res.decomposition!;
    expect(d.by).toEqual(["region"]);
    expect(d.n).toBe(ref.n);
    expectRelative(d.theil_t.total!, ref.total_t, 1e-10, "total T");
    expectRelative(d.theil_t.within!, ref.within_t, 1e-10, "within T");
    expect(Math.abs(d.theil_t.between! - ref.between_t)).toBeLessThanOrEqual(1e-15);
    for (const g of ref.groups) {
      const got = d.groups.find((x) => x.key.region === g.region)!;
      expect(got.n).toBe(g.n);
      expectRelative(got.mean!, g.mean, 1e-12, `mean ${g.region}`);
      expectRelative(got.theil_t!, g.theil_t, 1e-10, `T ${g.region}`);
    }
    // the whole sample is one group when no `by` is given, and it is the decomposition's total
    expect(res.groups.length).toBe(1);
    expect(res.groups[0].theil_t).toBe(d.theil_t.total);
  });

  test("the group table goes straight into feols as an Arrow table", async () => {
    const res = await theil(panel, { value: "dvar", by: ["industry", "year"], nonpositive: "drop", alpha: 2 });
    const table = res.toArrow();
    expect(table).toBeInstanceOf(Table);
    expect(table.schema.fields.map((f) => f.name)).toEqual(["industry", "year", "n", "dropped", "mean", "theil_t", "theil_l", "ge"]);
    expect(table.numRows).toBe(196);
    const fit = await feols(table, "theil_t ~ mean | industry + year");
    expect(fit.nobs).toBe(196);
    expect(Number.isFinite(fit.coef("mean")!.estimate)).toBe(true);
  });

  test("per super-group decomposition: the region split within each year", async () => {
    const res = await theil(panel, { value: "dvar", nonpositive: "drop", decompose: { by: "region", each: "year" } });
    const byYear = await theil(panel, { value: "dvar", nonpositive: "drop", by: "year" });
    const each = res.decomposition!.each!;
    expect(each.by).toEqual(["year"]);
    expect(each.groups.map((p) => p.key.year)).toEqual(byYear.groups.map((g) => g.key.year));
    each.groups.forEach((part, i) => {
      const year = byYear.groups[i];
      expect(part.n).toBe(year.n);
      expectRelative(part.theil_t.total!, year.theil_t!, 1e-12, `T ${year.key.year}`);
      expectRelative(part.theil_l.total!, year.theil_l!, 1e-12, `L ${year.key.year}`);
      expect(Math.abs(part.theil_t.total! - part.theil_t.within! - part.theil_t.between!)).toBeLessThan(1e-14);
      expect(part.groups.map((g) => g.key.region).every((r) => ["central", "east", "west"].includes(r as string))).toBe(true);
      expect(part.groups.reduce((s, g) => s + g.n, 0)).toBe(part.n);
    });
  });
});

describe("properties", () => {
  const positive = fc.double({ min: 0.1, max: 10, noNaN: true });
  const dataset = fc
    .integer({ min: 2, max: 60 })
    .chain((n) =>
      fc.record({
        x: fc.array(positive, { minLength: n, maxLength: n }),
        g: fc.array(fc.integer({ min: 0, max: 4 }), { minLength: n, maxLength: n }),
        w: fc.array(fc.integer({ min: 1, max: 3 }), { minLength: n, maxLength: n }),
      }),
    );
  const alphaArb = fc.double({ min: -2, max: 3, noNaN: true }).filter((a) => Math.abs(a) > 0.05 && Math.abs(a - 1) > 0.05);

  test("total = within + between for T, L and GE(α), weighted or not", async () => {
    await fc.assert(
      fc.asyncProperty(dataset, alphaArb, fc.boolean(), async ({ x, g, w }, alpha, weighted) => {
        const res = await theil({ x, g, w }, { value: "x", decompose: "g", alpha, weights: weighted ? "w" : undefined });
        const d = res.decomposition!;
        for (const s of [d.theil_t, d.theil_l, d.ge!]) {
          expect(Math.abs(s.total! - (s.within! + s.between!))).toBeLessThanOrEqual(1e-12 * Math.max(1, Math.abs(s.total!)));
        }
        const ref = direct(x, weighted ? w : undefined);
        expect(Math.abs(d.theil_t.total! - ref.t)).toBeLessThanOrEqual(1e-12 * Math.max(1, ref.t));
        expect(Math.abs(d.theil_l.total! - ref.l)).toBeLessThanOrEqual(1e-12 * Math.max(1, ref.l));
        expect(Math.abs(d.ge!.total! - ref.ge(alpha))).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(ref.ge(alpha))));
      }),
      { numRuns: 150 },
    );
  });

  test("GE(α) tends to Theil T as α → 1 and to Theil L as α → 0", async () => {
    await fc.assert(
      fc.asyncProperty(dataset, async ({ x, g }) => {
        const at = async (alpha: number) => (await theil({ x, g }, { value: "x", by: "g", alpha })).groups;
        const exact = await at(1);
        const [below1, above1, below0, above0] = await Promise.all([at(1 - 1e-6), at(1 + 1e-6), at(-1e-6), at(1e-6)]);
        exact.forEach((grp, i) => {
          if (grp.n < 2) return;
          expect(grp.ge).toBe(grp.theil_t);
          for (const near of [below1[i], above1[i]]) expect(Math.abs(near.ge! - grp.theil_t!)).toBeLessThanOrEqual(1e-5 * grp.theil_t! + 1e-9);
          for (const near of [below0[i], above0[i]]) expect(Math.abs(near.ge! - grp.theil_l!)).toBeLessThanOrEqual(1e-5 * grp.theil_l! + 1e-9);
        });
        // and the group's own GE(α), any α, against the definition
        const ge = await at(2.5);
        ge.forEach((grp, i) => {
          const rows = x.filter((_, r) => g[r] === grp.key.g);
          expect(Math.abs(grp.ge! - direct(rows).ge(2.5))).toBeLessThanOrEqual(1e-12 * Math.max(1, grp.ge!));
        });
      }),
      { numRuns: 60 },
    );
  });

  test("the indices are scale-invariant, and integer weights are the same as repeated rows", async () => {
    await fc.assert(
      fc.asyncProperty(dataset, fc.double({ min: 1e-3, max: 1e3, noNaN: true }), async ({ x, g, w }, c) => {
        const opts: TheilOptions = { value: "x", by: "g", alpha: 0.5, decompose: "g" };
        const base = await theil({ x, g }, opts);
        const scaled = await theil({ x: x.map((v) => v * c), g }, opts);
        base.groups.forEach((b, i) => {
          const s = scaled.groups[i];
          for (const f of ["theil_t", "theil_l", "ge"] as const) expect(Math.abs(s[f]! - b[f]!)).toBeLessThanOrEqual(1e-10 * Math.max(1e-3, b[f]!));
          expectRelative(s.mean!, b.mean! * c, 1e-13, "mean");
        });
        const d0 = base.decomposition!;
        const d1 = scaled.decomposition!;
        expect(Math.abs(d1.theil_t.between! - d0.theil_t.between!)).toBeLessThanOrEqual(1e-12);
        const weighted = await theil({ x, g, w }, { ...opts, weights: "w" });
        const xs = x.flatMap((v, i) => Array<number>(w[i]).fill(v));
        const gs = g.flatMap((v, i) => Array<number>(w[i]).fill(v));
        const repeated = await theil({ x: xs, g: gs }, opts);
        weighted.groups.forEach((a, i) => {
          for (const f of ["mean", "theil_t", "theil_l", "ge"] as const) expect(Math.abs(a[f]! - repeated.groups[i][f]!)).toBeLessThanOrEqual(1e-12);
        });
      }),
      { numRuns: 80 },
    );
  });
});

describe("groups, non-positive values and edge cases", () => {
  test("a one-row group's indices are exactly 0; a group with no usable rows is listed with n 0 and null indices", async () => {
    const res = await theil(
      { x: [2, 1, 3, 5, NaN, NaN, -1, 0], g: ["a", "a", "a", "b", "c", "c", "d", "d"] },
      { value: "x", by: "g", nonpositive: "drop", alpha: 3 },
    );
    expect(res.groups.map((g) => g.key.g)).toEqual(["a", "b", "c", "d"]);
    const [a, b, c, d] = res.groups;
    const ref = direct([2, 1, 3]);
    expect(a.n).toBe(3);
    expectRelative(a.theil_t!, ref.t, 1e-13, "T a");
    expectRelative(a.theil_l!, ref.l, 1e-13, "L a");
    expectRelative(a.ge!, ref.ge(3), 1e-13, "GE a");
    expect(b).toMatchObject({ n: 1, dropped: 0, mean: 5, theil_t: 0, theil_l: 0, ge: 0 });
    expect(c).toMatchObject({ n: 0, dropped: 0, mean: null, theil_t: null, theil_l: null, ge: null });
    expect(d).toMatchObject({ n: 0, dropped: 2, mean: null, theil_t: null, theil_l: null, ge: null });
    expect(res.droppedNonpositive).toBe(2);
    expect(res.droppedMissing).toBe(2);
    expect(res.nobs).toBe(4);
    const json = res.toJSON() as { groups: Record<string, unknown>[] };
    expect(json.groups[2]).toEqual({ g: "c", n: 0, dropped: 0, mean: null, theil_t: null, theil_l: null, ge: null });
  });

  test("numeric keys stay numbers, text keys stay strings, in the JSON and the Arrow table", async () => {
    const res = await theil({ x: [1, 2, 3, 4], year: [2001, 2000, 2001, 2000], region: ["w", "e", "e", "w"] }, { value: "x", by: ["year", "region"] });
    const json = res.toJSON() as { groups: Record<string, unknown>[]; alpha: unknown; decomposition?: unknown };
    expect(json.groups.map((g) => [g.year, g.region])).toEqual([
      [2000, "e"],
      [2000, "w"],
      [2001, "e"],
      [2001, "w"],
    ]);
    expect(json.alpha).toBeNull();
    expect(json).not.toHaveProperty("decomposition");
    const table = res.toArrow();
    expect(table.getChild("year")!.get(0)).toBe(2000);
    expect(table.getChild("region")!.get(1)).toBe("w");
    expect(table.getChild("theil_t")!.get(0)).toBe(0);
  });

  test('"keep-zeros": zeros count in T and GE(α > 0), L and GE(α ≤ 0) are null where a group has a zero', async () => {
    const x = [0, 1, 3, 0, 2, 4, 1];
    const g = [1, 1, 1, 1, 2, 2, 2];
    const res = await theil({ x, g }, { value: "x", by: "g", nonpositive: "keep-zeros", alpha: 2, decompose: "g" });
    const [one, two] = res.groups;
    const ref = direct([0, 1, 3, 0]);
    expect(one.n).toBe(4);
    expect(one.dropped).toBe(0);
    expectRelative(one.mean!, 1, 1e-15, "mean");
    expectRelative(one.theil_t!, ref.t, 1e-13, "T with zeros");
    expectRelative(one.ge!, ref.ge(2), 1e-13, "GE(2) with zeros");
    expect(one.theil_l).toBeNull();
    expect(two.theil_l).not.toBeNull();
    const d = res.decomposition!;
    expectRelative(d.theil_t.total!, direct(x).t, 1e-13, "total T with zeros");
    expect(Math.abs(d.theil_t.total! - d.theil_t.within! - d.theil_t.between!)).toBeLessThan(1e-14);
    expect(d.theil_l).toEqual({ total: null, within: null, between: null });
    const neg = await theil({ x, g }, { value: "x", by: "g", nonpositive: "keep-zeros", alpha: -1 });
    expect(neg.groups[0].ge).toBeNull();
    expect(neg.groups[1].ge).not.toBeNull();
  });

  test("weights: a missing or zero weight drops the row and is counted", async () => {
    const res = await theil({ x: [1, 2, 3, 4], w: [1, 0, NaN, 2] }, { value: "x", weights: "w" });
    expect(res.droppedWeights).toBe(2);
    expect(res.groups[0].n).toBe(2);
    const ref = direct([1, 4], [1, 2]);
    expectRelative(res.groups[0].theil_t!, ref.t, 1e-13, "weighted T");
    expectRelative(res.groups[0].theil_l!, ref.l, 1e-13, "weighted L");
  });

  test("the summary lists the groups and the decomposition", async () => {
    const res = await theil({ x: [1, 2, 3, 4], r: ["a", "a", "b", "b"] }, { value: "x", by: "r", decompose: "r" });
    const text = res.summary();
    expect(text).toMatch(/Theil indices of x by r/);
    expect(text).toMatch(/Decomposition by r \(4 rows\)/);
    expect(text).toMatch(/Theil T/);
  });
});

describe("errors", () => {
  const data = { x: [1, 2, -3, 4, 0, 5], g: ["a", "a", "b", "b", "c", "c"], s: ["u", "v", "u", "v", "u", "v"] };

  test("a value column that does not exist", async () => {
    await expectInputError(() => theil(data, { value: "nope", by: "g" }), "column", /column "nope" not found in the data; available columns: x, g, s/);
  });

  test("a grouping column that does not exist", async () => {
    await expectInputError(() => theil(data, { value: "x", by: ["g", "region"] }), "column", /column "region" not found/);
    await expectInputError(() => theil(data, { value: "x", decompose: "nope" }), "column", /column "nope" not found/);
  });

  test("a non-numeric value column", async () => {
    await expectInputError(() => theil(data, { value: "s", by: "g" }), "column", /value column "s" is not numeric \(it holds text, 2 distinct values/);
    await expectInputError(() => theil({ ...data, w: data.s }, { value: "x", weights: "w" }), "column", /weights column "w" is not numeric/);
  });

  test("negative (and zero) values without nonpositive: \"drop\" name the rows and groups", async () => {
    await expectInputError(
      () => theil(data, { value: "x", by: "g" }),
      "data",
      /value column "x" has 2 non-positive value\(s\) \(1 zero, 1 negative\) in 2 group\(s\): g=b \(1\); g=c \(1\); .*nonpositive: "drop"/,
    );
    await expectInputError(() => theil(data, { value: "x", by: "g", nonpositive: "keep-zeros" }), "data", /has 1 negative value\(s\) in 1 group\(s\): g=b \(1\)/);
    await expectInputError(() => theil({ x: [1, 0] }, { value: "x" }), "data", /1 zero, 0 negative\) in 1 group\(s\): all rows \(1\); Theil L needs positive values: .*"keep-zeros"/);
    const dropped = await theil(data, { value: "x", by: "g", nonpositive: "drop" });
    expect(dropped.groups.map((g) => g.dropped)).toEqual([0, 1, 1]);
    expect(dropped.droppedNonpositive).toBe(2);
  });

  test("infinite values, bad weights, every row dropped", async () => {
    await expectInputError(() => theil({ x: [1, Infinity] }, { value: "x" }), "data", /value column "x" has 1 infinite value\(s\) \(first at row 2/);
    await expectInputError(() => theil({ x: [1, 2], w: [1, -1] }, { value: "x", weights: "w" }), "data", /weights column "w" has 1 negative or infinite value\(s\) \(first at row 2/);
    await expectInputError(() => theil({ x: [NaN, -1] }, { value: "x", nonpositive: "drop" }), "data", /every row was dropped \(2 rows: 1 with a missing value or key, 0 with a missing or zero weight, 1 with a value ≤ 0\)/);
  });

  test("bad options", async () => {
    await expectInputError(() => theil(data, {} as TheilOptions), "option", /theil needs the value column/);
    await expectInputError(() => theil(data, { value: "x", alpha: NaN }), "option", /alpha must be a finite number/);
    await expectInputError(() => theil(data, { value: "x", nonpositive: "skip" as never }), "option", /nonpositive must be "error", "drop" or "keep-zeros" \(got "skip"\)/);
    await expectInputError(() => theil(data, { value: "x", bootstrap: { B: 1 } }), "option", /bootstrap.B must be an integer of at least 2/);
    await expectInputError(() => theil({ x: [1], n: [1] }, { value: "x", by: "n" }), "option", /grouping column "n" has the name of an output column/);
    await expectInputError(() => theil(data, { value: "x", decompose: [] }), "option", /decompose needs a grouping column/);
    await expectInputError(() => theil(data, { value: "x", weights: "" }), "option", /weights must be a column name/);
    await expectInputError(() => theil(data, { value: "x", by: [""] }), "option", /by must be a column name or a list of column names/);
  });
});

describe("bootstrap standard errors", () => {
  const n = 400;
  const x = Array.from({ length: n }, (_, i) => 1 + ((i * 7919) % 101) / 10);
  const g = Array.from({ length: n }, (_, i) => (i < 3 ? "solo" : i % 2 ? "odd" : "even"));
  g[0] = "one";

  test("seeded: the same seed gives the same errors, another seed others of the same size", async () => {
    const a = await theil({ x, g }, { value: "x", by: "g", alpha: 2, bootstrap: { B: 200, seed: 7 } });
    const b = await theil({ x, g }, { value: "x", by: "g", alpha: 2, bootstrap: { B: 200, seed: 7 } });
    const c = await theil({ x, g }, { value: "x", by: "g", alpha: 2, bootstrap: { B: 200, seed: 8 } });
    expect(a.groups.map((grp) => grp.se)).toEqual(b.groups.map((grp) => grp.se));
    const even = a.group({ g: "even" })!;
    expect(even.se!.theil_t!).toBeGreaterThan(0);
    expect(even.se!.theil_t!).toBeLessThan(even.theil_t!);
    expect(c.group({ g: "even" })!.se!.theil_t).not.toBe(even.se!.theil_t);
    expectRelative(c.group({ g: "even" })!.se!.theil_t!, even.se!.theil_t!, 0.3, "se across seeds");
    expect(a.group({ g: "one" })!.se).toEqual({ theil_t: 0, theil_l: 0, ge: 0 });
    expect(a.bootstrap).toEqual({ B: 200, seed: 7 });
    expect(a.toFrame().columns.has("se_theil_t")).toBe(true);
  });
});

describe("the moments kernel", () => {
  test("ln and exp are accurate to an ulp or two", () => {
    const { kernels: k } = sharedEngine();
    for (const x of [1e-310, 5e-324, 1e-300, 0.5, 0.70710678, 1, 1 + 1e-12, Math.SQRT2, 2, 3.7, 1e10, 1.7e308]) {
      expect(Math.abs(k.theil_ln(x) - Math.log(x))).toBeLessThanOrEqual(2.3e-16 * Math.max(1, Math.abs(Math.log(x))));
    }
    for (const t of [-745, -700, -1, -1e-9, 0, 0.3, 1, 20, 700, 709.7]) {
      expectRelative(k.theil_exp(t), Math.exp(t), 4.5e-16, `exp(${t})`);
    }
    expect(k.theil_exp(710)).toBe(Infinity);
    expect(k.theil_exp(-800)).toBe(0);
  });

  test("the two-row (SIMD) and one-row paths give identical sums", () => {
    const { kernels } = sharedEngine();
    const arena = openArena();
    try {
      const vals = [0.37, 2.5, 1.1, 7.25, 0.9, 3.3];
      // pairs of valid rows (SIMD) vs every value beside a skipped row (one-row path)
      const paired = computeMoments(kernels, arena, {
        rows: 6, x: arena.putF64(vals), w: 0, codes: arena.putI32([0, 0, 0, 0, 0, 0]), groups: 1, alpha: 0.7,
      });
      const single = computeMoments(kernels, arena, {
        rows: 12, x: arena.putF64(vals.flatMap((v) => [v, 1])), w: 0, codes: arena.putI32(vals.flatMap(() => [0, -1])), groups: 1, alpha: 0.7,
      });
      expect(Array.from(single)).toEqual(Array.from(paired));
    } finally {
      arena.close();
    }
  });

  test("blocks reduce to the same bits whatever order they run in", () => {
    const { kernels } = sharedEngine();
    const arena = openArena();
    try {
      const rows = 2 * BLOCK_ROWS + 12345;
      const x = new Float64Array(rows);
      const codes = new Int32Array(rows);
      for (let i = 0; i < rows; i++) {
        x[i] = i % 97 === 0 ? 0 : 0.5 + ((i * 2654435761) % 1000) / 250;
        codes[i] = i % 13 === 0 ? -1 : (i * 31) % 7;
      }
      const input = { rows, x: arena.putF64(x), w: 0, codes: arena.putI32(codes), groups: 7, alpha: null };
      const forward = planMoments(arena, input);
      expect(forward.blocks).toBe(3);
      for (let b = 0; b < forward.blocks; b++) accumulateMoments(kernels, forward, b);
      const backward = planMoments(arena, input);
      for (let b = backward.blocks - 1; b >= 0; b--) accumulateMoments(kernels, backward, b);
      const a = reduceMoments(arena, forward);
      expect(Array.from(reduceMoments(arena, backward))).toEqual(Array.from(a));
      expect(a.length).toBe(7 * STRIDE);
      // every kept row is counted once: positives in field 0, zeros in field 6
      let kept = 0;
      for (let i = 0; i < rows; i++) if (codes[i] >= 0) kept++;
      let counted = 0;
      for (let g = 0; g < 7; g++) counted += a[g * STRIDE] + a[g * STRIDE + 6];
      expect(counted).toBe(kept);
    } finally {
      arena.close();
    }
  });

  test("theil() leaves no arena memory behind", async () => {
    const top = sharedEngine().heap.top;
    await theil({ x: [1, 2, 3], g: [1, 1, 2] }, { value: "x", by: "g", bootstrap: { B: 5 } });
    await expect(theil({ x: [1, -2] }, { value: "x" })).rejects.toThrow(InputError);
    expect(sharedEngine().heap.top).toBe(top);
  });
});
