import { afterEach, beforeEach, describe, expect, test } from "vitest";
import type { Frame } from "../src/data/frame.js";
import { generatePanel } from "../src/study/synthetic.js";
import { ClusterGram } from "../src/resampling/cluster-gram.js";
import { completeCases, extractColumns, Refitter } from "../src/resampling/refit.js";
import { buildSample } from "../src/fit/sample.js";
import { parseFormula } from "../src/formula/parse.js";
import { Rng } from "../src/core/random.js";
import { openArena } from "../src/engine/shared.js";
import type { Arena } from "../src/engine/arena.js";

// ClusterGram keeps part of its sums in the wasm arena: each test has its own, closed after it.
let arena: Arena;
beforeEach(() => {
  arena = openArena();
});
afterEach(() => {
  arena.close();
});

/**
 * The per-cluster sums (cluster-gram.ts) give the Gram matrix of the demeaned columns that a
 * demeaning of the reweighted rows gives (refit.ts), for every layout of fixed effects.
 */
async function compare(frame: Frame, formula: string, cluster: string, weights: string | null, seed: number): Promise<number> {
  const spec = parseFormula(formula);
  const subset = completeCases(frame, [...spec.variables, cluster, ...(weights ? [weights] : [])], null);
  const sample = await buildSample({
    frame,
    numeric: spec.variables.filter((v) => !spec.fixedEffects.some((fe) => fe.variables.includes(v))),
    categorical: [],
    fixedEffects: spec.fixedEffects,
    clusters: [cluster],
    weights,
    subset,
    dropSingletons: true,
  });
  const { columns } = extractColumns(frame, sample.rows, [spec.depvar], spec.intercept, spec.terms);
  const sums = ClusterGram.build(arena, columns, sample.fixedEffects, sample.clusters[0], sample.weights);
  expect(sums).not.toBeNull();
  const refit = new Refitter(arena, columns, sample.fixedEffects, sample.weights, { method: "auto", tol: 1e-10, maxIter: 10_000, allowNonConvergence: false, threads: 1 });
  const G = sample.clusters[0].size;
  const rng = new Rng(seed);
  const c = new Float64Array(G);
  for (let g = 0; g < G; g++) c[g] = rng.uniform() < 0.3 ? 0 : 1 + rng.integer(3);
  const fast = sums!.gram(c);
  const rows: number[] = [];
  const mult: number[] = [];
  sample.clusters[0].codes.forEach((g, i) => {
    if (c[g] > 0) {
      rows.push(i);
      mult.push(c[g]);
    }
  });
  const slow = await refit.gram(Int32Array.from(rows), Float64Array.from(mult));
  expect(fast.n).toBe(slow.n);
  let worst = 0;
  const d = columns.length;
  for (let a = 0; a < d; a++) {
    const scale = Math.sqrt(slow.matrix[a * d + a]);
    for (let b = 0; b < d; b++) {
      const err = Math.abs(fast.matrix[a * d + b] - slow.matrix[a * d + b]) / (scale * Math.sqrt(slow.matrix[b * d + b]));
      worst = Math.max(worst, err);
    }
    expect(Math.abs(fast.raw[a] - slow.raw[a])).toBeLessThanOrEqual(1e-9 * Math.max(1, slow.raw[a]));
  }
  return worst;
}

describe("ClusterGram equals a demeaning of the reweighted rows", () => {
  const panel = generatePanel({ firms: 400, seed: 3 });
  test("firm effects nested in firm clusters, plus years", async () => {
    expect(await compare(panel, "dvar ~ robot + ln_age + profitability | firm_id + year", "firm_id", null, 1)).toBeLessThan(1e-9);
  });
  test("with weights, and two non-nested effects (year, industry)", async () => {
    expect(await compare(panel, "dvar ~ robot + ln_age | firm_id + year + industry", "firm_id", "assets", 2)).toBeLessThan(1e-9);
  });
  test("no nested effect: years only", async () => {
    expect(await compare(panel, "dvar ~ robot + ln_age | year", "firm_id", null, 3)).toBeLessThan(1e-9);
  });
  test("no fixed effects: the intercept is a column", async () => {
    expect(await compare(panel, "dvar ~ robot + ln_age", "firm_id", null, 4)).toBeLessThan(1e-9);
  });
  test("clusters coarser than the nested effect (industry clusters, firm effects)", async () => {
    expect(await compare(panel, "dvar ~ robot + ln_age | firm_id + year", "industry", null, 5)).toBeLessThan(1e-9);
  });
  test("a partition's Gram matrices (the largest group by subtraction) equal each group's own", async () => {
    const spec = parseFormula("dvar ~ robot + ln_age | firm_id + year");
    const sample = await buildSample({ frame: panel, numeric: ["dvar", "robot", "ln_age"], categorical: [], fixedEffects: spec.fixedEffects, clusters: ["firm_id"], weights: null, subset: null, dropSingletons: true });
    const { columns } = extractColumns(panel, sample.rows, ["dvar"], false, spec.terms);
    const sums = ClusterGram.build(arena, columns, sample.fixedEffects, sample.clusters[0], null)!;
    const rng = new Rng(8);
    const labels = Int32Array.from({ length: sums.clusters }, () => (rng.uniform() < 0.7 ? 0 : 1 + rng.integer(2)));
    const grams = sums.gramsOfPartition(labels, 3);
    for (let k = 0; k < 3; k++) {
      const own = sums.gram(Float64Array.from(labels, (l) => (l === k ? 1 : 0)));
      expect(grams[k].n).toBe(own.n);
      own.matrix.forEach((v, i) => expect(Math.abs(grams[k].matrix[i] - v)).toBeLessThan(1e-9 * Math.abs(own.matrix[0])));
    }
  });

  test("too many non-nested levels: null (the caller demeans rows instead)", async () => {
    const spec = parseFormula("dvar ~ robot | firm_id");
    const wide = generatePanel({ firms: 3000, seed: 3 });
    const sample = await buildSample({ frame: wide, numeric: ["dvar", "robot"], categorical: [], fixedEffects: spec.fixedEffects, clusters: ["year"], weights: null, subset: null, dropSingletons: true });
    const { columns } = extractColumns(wide, sample.rows, ["dvar"], false, spec.terms);
    expect(sample.fixedEffects[0].size).toBeGreaterThan(ClusterGram.MAX_LEVELS);
    expect(ClusterGram.build(arena, columns, sample.fixedEffects, sample.clusters[0], null)).toBeNull();
  });
});
