import { afterAll, describe, expect, test } from "vitest";
import { feols, fitted, shutdown } from "../src/index.js";
import { generateWorkerFirmPanel } from "../src/study/synthetic.js";
import { openArena, sharedEngine } from "../src/engine/shared.js";
import { allocScratch, type DemeanMethod, type DemeanPlan, type FixedEffectPlan } from "../src/engine/absorb/plan.js";
import { solveResiduals as demeanColumn } from "../src/engine/absorb/solver.js";
import { buildCgPlan } from "../src/engine/absorb/cg.js";
import { orderLevels, type CgLimits } from "../src/engine/absorb/cg-envelope.js";
import type { Frame } from "../src/data/frame.js";

afterAll(() => shutdown());

/** A deterministic generator (LCG) for the small panels. */
function lcg(seed: number): () => number {
  let s = seed >>> 0;
  return () => ((s = (Math.imul(s, 1664525) + 1013904223) >>> 0) / 4294967296);
}

/**
 * Workers observed in `years` years at firms drawn anywhere (not on a line), moving with
 * probability `move`; weights in [0.5, 1.5); a third regressor-free effect "region" (firm / 5).
 */
function randomPanel(seed: number, workers: number, firms: number, years: number, move: number) {
  const rand = lcg(seed);
  const worker: number[] = [], firm: number[] = [], year: number[] = [], region: number[] = [];
  const x: number[] = [], z: number[] = [], y: number[] = [], w: number[] = [];
  const fe = Array.from({ length: firms }, () => rand() - 0.5);
  for (let i = 0; i < workers; i++) {
    let f = Math.floor(rand() * firms);
    const a = rand() * 2;
    for (let t = 0; t < years; t++) {
      if (t > 0 && rand() < move) f = Math.floor(rand() * firms);
      const xi = rand() + 0.5 * a;
      const zi = rand() - 0.5 + 0.1 * fe[f];
      worker.push(i); firm.push(f); year.push(2000 + t); region.push(Math.floor(f / 5) * 100 + t);
      x.push(xi); z.push(zi); w.push(0.5 + rand());
      y.push(0.7 * xi - 0.4 * zi + a + fe[f] + 0.05 * t + rand() - 0.5);
    }
  }
  return { worker, firm, year, region, x, z, y, w };
}

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

describe("the cg demeaning method agrees with exact and map", () => {
  const cases = [
    { name: "2 FE", formula: "y ~ x + z | worker + firm", weights: undefined },
    { name: "3 FE", formula: "y ~ x + z | worker + firm + year", weights: undefined },
    { name: "3 FE, weighted", formula: "y ~ x + z | worker + firm + year", weights: "w" },
    { name: "3 FE with a firm-group-by-year effect, weighted", formula: "y ~ x + z | worker + firm + region", weights: "w" },
    { name: "4 FE, weighted", formula: "y ~ x + z | worker + firm + region + year", weights: "w" },
  ];
  for (const seed of [1, 2, 3]) {
    for (const c of cases) {
      test(`${c.name}, seed ${seed}`, async () => {
        // seed 3: movers are rare, so the firms split into several disconnected groups
        const data = randomPanel(seed, 400, 40, 6, seed === 3 ? 0.01 : 0.15);
        const fits = await Promise.all(
          (["exact", "map", "cg"] as const).map((method) =>
            feols(data, c.formula, { method, weights: c.weights, vcov: { cluster: "worker" }, tol: 1e-12, threads: 1 }),
          ),
        );
        const [exact, map, cg] = fits;
        expect(cg.method).toBe("cg");
        expect(cg.converged).toBe(true);
        expect(cg.iterations).toBeGreaterThanOrEqual(1);
        for (const name of ["x", "z"]) {
          expect(rel(cg.coef(name)!.estimate, exact.coef(name)!.estimate)).toBeLessThan(1e-8);
          expect(rel(cg.coef(name)!.estimate, map.coef(name)!.estimate)).toBeLessThan(1e-8);
          expect(rel(cg.coef(name)!.se, exact.coef(name)!.se)).toBeLessThan(1e-8);
        }
        // the fixed-effect projection (reusing the fit's cg plan) gives the same fitted values
        const fe = fitted(exact);
        const fc = fitted(cg);
        for (let i = 0; i < fe.length; i++) expect(Math.abs(fc[i] - fe[i])).toBeLessThan(1e-8 * (1 + Math.abs(fe[i])));
      });
    }
  }

  test("at the default tolerance the coefficients agree to 1e-8", async () => {
    const data = randomPanel(7, 600, 60, 8, 0.1);
    const exact = await feols(data, "y ~ x + z | worker + firm + year", { method: "exact", threads: 1 });
    const cg = await feols(data, "y ~ x + z | worker + firm + year", { method: "cg", threads: 1 });
    for (const name of ["x", "z"]) expect(rel(cg.coef(name)!.estimate, exact.coef(name)!.estimate)).toBeLessThan(1e-8);
  });

  test("results are bit-for-bit identical for 1 and 2 threads", async () => {
    const data = generateWorkerFirmPanel({ workers: 3000, firms: 300, years: 8, moveProb: 0.05, seed: 3 });
    const one = await feols(data, "y ~ x | worker + firm + year", { method: "cg", threads: 1, vcov: { cluster: "worker" } });
    const two = await feols(data, "y ~ x | worker + firm + year", { method: "cg", threads: 2, vcov: { cluster: "worker" } });
    expect(two.coefficients).toEqual(one.coefficients);
    expect(two.iterations).toBe(one.iterations);
  });

  test('"auto" picks exact for few small-effect levels and cg beyond', async () => {
    const small = generateWorkerFirmPanel({ workers: 2000, firms: 100, years: 5, moveProb: 0.1, seed: 4 });
    expect((await feols(small, "y ~ x | worker + firm + year")).method).toBe("exact");
    const large = generateWorkerFirmPanel({ workers: 20_000, firms: 2000, years: 5, moveProb: 0.1, seed: 4 });
    expect((await feols(large, "y ~ x | worker + firm + year")).method).toBe("cg");
  });
});

/** Dense codes of a numeric column. */
function encode(values: Float64Array): { codes: Int32Array; size: number } {
  const map = new Map<number, number>();
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    let c = map.get(values[i]);
    if (c === undefined) map.set(values[i], (c = map.size));
    codes[i] = c;
  }
  return { codes, size: map.size };
}

/**
 * Demeans x and y of a worker–firm panel against worker + firm + year directly with the engine
 * (no singleton removal, one thread) and returns the slope of ỹ on x̃ with each column's outcome.
 */
function engineSlope(frame: Frame, method: DemeanMethod, tol: number, maxIter: number, limits?: CgLimits) {
  const { kernels: k } = sharedEngine();
  const arena = openArena();
  try {
    const col = (name: string) => (frame.columns.get(name) as { values: Float64Array }).values;
    const n = frame.nrows;
    const fes: FixedEffectPlan[] = ["worker", "firm", "year"].map((name) => {
      const e = encode(col(name));
      const codes = arena.putI32(e.codes);
      const weights = arena.allocF64(e.size);
      arena.f64(weights, e.size).fill(0);
      k.group_weights(n, 0, codes, weights);
      return { codes, size: e.size, weights };
    });
    const plan: DemeanPlan = {
      n, rowWeights: 0, fes, method, tol, maxIter, factor: null,
      cg: method === "cg" ? buildCgPlan(k, arena, n, fes, 0, limits) : null,
    };
    const scratch = allocScratch(arena, plan);
    const x = arena.putF64(col("x"));
    const y = arena.putF64(col("y"));
    const ox = demeanColumn(k, arena, plan, scratch, x, x);
    const oy = demeanColumn(k, arena, plan, scratch, y, y);
    const xv = arena.f64(x, n);
    const yv = arena.f64(y, n);
    let sxy = 0, sxx = 0;
    for (let i = 0; i < n; i++) {
      sxy += xv[i] * yv[i];
      sxx += xv[i] * xv[i];
    }
    return { slope: sxy / sxx, outcomes: [ox, oy], plan: plan.cg };
  } finally {
    arena.close();
  }
}

describe("the hard case: a worker–firm panel with limited mobility", () => {
  // 20,000 workers × 10 years, 2,000 firms on a line, 5% move to a neighbouring firm each year
  const hard = generateWorkerFirmPanel({ workers: 20_000, firms: 2000, years: 10, moveProb: 0.05, seed: 5 });

  test("cg reaches the tightly converged coefficient within 1e-7 in a few iterations", async () => {
    const formula = "y ~ x | worker + firm + year";
    const tight = await feols(hard, formula, { method: "cg", tol: 1e-13, vcov: { cluster: "worker" } });
    const fit = await feols(hard, formula, { method: "cg", vcov: { cluster: "worker" } });
    expect(fit.method).toBe("cg");
    expect(fit.converged).toBe(true);
    expect(fit.iterations).toBeGreaterThanOrEqual(1);
    expect(fit.iterations).toBeLessThanOrEqual(5);
    expect(rel(fit.coef("x")!.estimate, tight.coef("x")!.estimate)).toBeLessThan(1e-7);
    expect(rel(fit.coef("x")!.se, tight.coef("x")!.se)).toBeLessThan(1e-6);
    expect(fit.coef("x")!.estimate).toBeCloseTo(0.3, 1);
  });

  test("cg matches the exact dense solve on a smaller chain", async () => {
    const data = generateWorkerFirmPanel({ workers: 10_000, firms: 1000, years: 10, moveProb: 0.05, seed: 6 });
    const exact = await feols(data, "y ~ x | worker + firm + year", { method: "exact" });
    const cg = await feols(data, "y ~ x | worker + firm + year", { method: "cg" });
    expect(rel(cg.coef("x")!.estimate, exact.coef("x")!.estimate)).toBeLessThan(1e-9);
  });

  test("the envelope of a chain is a narrow band: the factor is exact and costs little", () => {
    const r = engineSlope(hard, "cg", 1e-8, 10_000);
    const plan = r.plan!;
    expect(plan.band).toBe(-1); // whole envelope kept: an exact factor
    expect(plan.denseLevels).toBe(10); // the years, ordered last
    expect(plan.envSize).toBeLessThan(20 * plan.levels);
    for (const o of r.outcomes) {
      expect(o.converged).toBe(true);
      expect(o.iterations).toBeLessThanOrEqual(3);
    }
  });

  test("with a truncated band the preconditioner is rougher but cg still converges to the same answer", () => {
    const full = engineSlope(hard, "cg", 1e-10, 10_000);
    // 1 entry off the diagonal: little more than Jacobi on the firms
    const rough = engineSlope(hard, "cg", 1e-10, 10_000, { envelope: 2 * 2000, flops: 1e9 });
    expect(rough.plan!.band).toBeGreaterThanOrEqual(0);
    for (const o of rough.outcomes) expect(o.converged).toBe(true);
    expect(Math.max(...rough.outcomes.map((o) => o.iterations))).toBeGreaterThan(Math.max(...full.outcomes.map((o) => o.iterations)));
    expect(rel(rough.slope, full.slope)).toBeLessThan(1e-7);
  });

  test("alternating projections (map) with a small iteration cap fail to converge here", () => {
    const cg = engineSlope(hard, "cg", 1e-8, 10_000);
    const map = engineSlope(hard, "map", 1e-8, 100);
    for (const o of map.outcomes) {
      expect(o.converged).toBe(false);
      expect(o.iterations).toBe(100);
    }
    // 100 sweeps leave the coefficient off in the 4th digit; cg is converged
    expect(rel(map.slope, cg.slope)).toBeGreaterThan(1e-5);
    for (const o of cg.outcomes) expect(o.converged).toBe(true);
  });
});

describe("the elimination order", () => {
  test("reverse Cuthill–McKee makes a shuffled path a band of width 1, with hubs last", () => {
    const L = 200;
    const rand = lcg(9);
    const label = Array.from({ length: L }, (_, i) => i);
    for (let i = L - 1; i > 0; i--) {
      const j = Math.floor(rand() * (i + 1));
      [label[i], label[j]] = [label[j], label[i]];
    }
    const hub = L; // linked to everyone
    const adj: number[][] = Array.from({ length: L + 1 }, () => []);
    for (let i = 0; i + 1 < L; i++) {
      adj[label[i]].push(label[i + 1]);
      adj[label[i + 1]].push(label[i]);
    }
    for (let i = 0; i < L; i++) {
      adj[i].push(hub);
      adj[hub].push(i);
    }
    const start = new Int32Array(L + 2);
    adj.forEach((a, u) => (start[u + 1] = start[u] + a.length));
    const { perm, dense } = orderLevels(L + 1, start, Int32Array.from(adj.flat()));
    expect(dense).toBe(1);
    expect(perm[L]).toBe(hub);
    const pos = new Int32Array(L + 1);
    perm.forEach((u, i) => (pos[u] = i));
    let width = 0;
    for (let u = 0; u < L; u++) for (const v of adj[u]) if (v !== hub) width = Math.max(width, Math.abs(pos[u] - pos[v]));
    expect(width).toBe(1);
  });
});
