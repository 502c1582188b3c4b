import { describe, expect, test } from "vitest";
import { wildBootstrap, feols, InputError } from "../src/index.js";
import { Rng } from "../src/core/random.js";
import { dummies, groupMeat, ols, partial, sandwich, type Matrix } from "./helpers/dense.js";

/** G clusters of m rows; x has a cluster component, errors are correlated within cluster. y = beta·x + z + FE + u. */
function clustered(rng: Rng, G: number, m: number, beta: number) {
  const d = { g: [] as number[], t: [] as number[], x: [] as number[], z: [] as number[], y: [] as number[] };
  for (let g = 0; g < G; g++) {
    const cx = rng.normal();
    const cu = rng.normal();
    const a = rng.normal();
    for (let t = 0; t < m; t++) {
      const x = cx + rng.normal();
      const z = rng.normal();
      d.g.push(g);
      d.t.push(t);
      d.x.push(x);
      d.z.push(z);
      d.y.push(beta * x + 0.5 * z + a + 0.2 * t + cu * (1 + 0.5 * Math.abs(x)) + rng.normal());
    }
  }
  return d;
}

describe("wild cluster bootstrap (WCR, null imposed)", () => {
  test.each([
    ["a crossed fixed effect (t), unweighted", "y ~ x + z | t", false],
    ["a nested (g) and a crossed (t) fixed effect, weighted", "y ~ x + z | g + t", true],
  ] as const)("the t* distribution equals a brute-force refit of every enumerated bootstrap sample: %s", async (_label, formula, weighted) => {
    const rng = new Rng(3);
    const d = { ...clustered(rng, 6, 7, 0.3), w: Array.from({ length: 42 }, () => 0.5 + rng.uniform()) };
    const r = await wildBootstrap(d, formula, { param: "x", cluster: "g", B: 999, seed: 1, ci: false, weights: weighted ? "w" : undefined, fixefRm: "none" });
    expect(r.enumerated).toBe(true);
    expect(r.B).toBe(64);
    // By hand: restricted fit (x coefficient = 0), y* = ŷ_r + ü·v_g, refit with dummies, cluster se with fixest's factors.
    const n = d.y.length;
    const w = weighted ? d.w : undefined;
    const D = weighted ? [...dummies(d.g, false), ...dummies(d.t, true)] : dummies(d.t, false);
    const restricted = ols(d.y, [d.z, ...D], w);
    const fitted = d.y.map((v, i) => v - restricted.resid[i]);
    const [xt, zt] = partial([d.x, d.z], D, w);
    const bread = ols(d.y, [xt, zt], w).xtxInv;
    const K = 2 + 7; // x, z and the 7 levels of t (Σ(G − 1) + 1); g, when present, is nested in the cluster
    const adj = ((n - 1) / (n - K)) * (6 / 5);
    const tStar: number[] = [];
    for (let b = 0; b < 64; b++) {
      const v = Array.from({ length: 6 }, (_, g) => ((b >> g) & 1 ? 1 : -1));
      const ys = fitted.map((f, i) => f + restricted.resid[i] * v[d.g[i]]);
      const o = ols(ys, [d.x, d.z, ...D], w);
      const scores: Matrix = o.resid.map((e, i) => [xt[i] * e * (w ? w[i] : 1), zt[i] * e * (w ? w[i] : 1)]);
      const V = sandwich(bread, groupMeat(scores, d.g));
      tStar.push(o.beta[0] / Math.sqrt(adj * V[0][0]));
    }
    const a = [...r.tStar].sort((x, y) => x - y);
    const b = tStar.sort((x, y) => x - y);
    a.forEach((v, i) => expect(v).toBeCloseTo(b[i], 9));
    // The original sample is one of the 64 (all signs +1): its t* is the observed t.
    expect(b.some((v) => Math.abs(v - r.t) < 1e-9)).toBe(true);
    const count = b.filter((v) => Math.abs(v) >= Math.abs(r.t) - 1e-9).length;
    expect(r.p).toBeCloseTo(count / 64, 12);
  });

  test("seeded: the same seed gives the same result, another seed other draws", async () => {
    const d = clustered(new Rng(4), 40, 5, 0.1);
    const opts = { param: "x", cluster: "g", B: 499, seed: 2024 } as const;
    const a = await wildBootstrap(d, "y ~ x + z | t", opts);
    const b = await wildBootstrap(d, "y ~ x + z | t", opts);
    expect(b.p).toBe(a.p);
    expect(b.ci).toEqual(a.ci);
    expect([...b.tStar]).toEqual([...a.tStar]);
    const c = await wildBootstrap(d, "y ~ x + z | t", { ...opts, seed: 2025 });
    expect([...c.tStar]).not.toEqual([...a.tStar]);
    const w = await wildBootstrap(d, "y ~ x + z | t", { ...opts, dist: "webb" });
    const w2 = await wildBootstrap(d, "y ~ x + z | t", { ...opts, dist: "webb" });
    expect(w.dist).toBe("webb");
    expect(w.p).toBe(w2.p);
    expect(w.p).toBeGreaterThanOrEqual(0);
    expect(w.p).toBeLessThanOrEqual(1);
    expect(a.enumerated).toBe(false);
    expect(a.B).toBe(499);
  });

  test("p-values are roughly uniform under a true zero effect (seeded simulation)", async () => {
    const rng = new Rng(20240601);
    const ps: number[] = [];
    for (let r = 0; r < 200; r++) {
      const d = clustered(rng, 24, 8, 0);
      const b = await wildBootstrap(d, "y ~ x + z | t", { param: "x", cluster: "g", B: 199, seed: r + 1, ci: false });
      ps.push(b.p);
    }
    ps.sort((a, b) => a - b);
    let ks = 0;
    ps.forEach((p, i) => (ks = Math.max(ks, Math.abs(p - i / ps.length), Math.abs(p - (i + 1) / ps.length))));
    const below = (x: number) => ps.filter((p) => p <= x).length / ps.length;
    expect(ks).toBeLessThan(0.13);
    expect(below(0.05)).toBeGreaterThan(0.01);
    expect(below(0.05)).toBeLessThan(0.11);
    expect(below(0.5)).toBeGreaterThan(0.38);
    expect(below(0.5)).toBeLessThan(0.62);
  });

  test("agrees with the analytic clustered p-value and interval when there are many clusters", async () => {
    const d = clustered(new Rng(99), 2000, 5, 0.045);
    const r = await wildBootstrap(d, "y ~ x + z | t", { param: "x", cluster: "g", B: 9999, seed: 7 });
    const fit = await feols(d, "y ~ x + z | t", { vcov: { cluster: "g" } });
    expect(r.analytic.p).toBe(fit.coef("x")!.p);
    expect(r.analytic.p).toBeGreaterThan(0.005);
    expect(r.analytic.p).toBeLessThan(0.3);
    expect(Math.abs(r.p - r.analytic.p)).toBeLessThan(0.015);
    const c = fit.coef("x")!;
    const width = c.confHigh - c.confLow;
    expect(Math.abs(r.ci![0] - c.confLow)).toBeLessThan(0.05 * width);
    expect(Math.abs(r.ci![1] - c.confHigh)).toBeLessThan(0.05 * width);
    expect(r.clusters).toBe(2000);
  });

  test("a non-zero null value and the interval's coverage of the estimate", async () => {
    const d = clustered(new Rng(5), 60, 6, 0.5);
    const r = await wildBootstrap(d, "y ~ x + z | t", { param: "x", cluster: "g", B: 999, h0: 0.5, level: 0.9 });
    expect(r.h0).toBe(0.5);
    expect(r.ci![0]).toBeLessThan(r.estimate);
    expect(r.ci![1]).toBeGreaterThan(r.estimate);
    expect(r.level).toBe(0.9);
    expect(r.t).toBeCloseTo((r.estimate - 0.5) / r.analytic.se, 12);
  });

  test("input errors", async () => {
    const d = clustered(new Rng(6), 10, 4, 0);
    await expect(wildBootstrap(d, "y ~ x | t", { param: "x" })).rejects.toThrow(/needs a cluster column/);
    await expect(wildBootstrap(d, "y ~ x | t", { param: "w", cluster: "g" })).rejects.toThrow(/"w" is not an estimated coefficient/);
    await expect(wildBootstrap(d, "y ~ x | t", { param: "x", cluster: "g", B: 0 })).rejects.toThrow(InputError);
    await expect(wildBootstrap(d, "y ~ x | t", { param: "x", cluster: "g", vcov: "hetero" })).rejects.toThrow(/cluster-robust se of the bootstrap cluster/);
    await expect(wildBootstrap(d, "y ~ 1 | t | x ~ z", { param: "x", cluster: "g" })).rejects.toThrow(/OLS models, not IV/);
  });
});
