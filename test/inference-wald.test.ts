import { describe, expect, test } from "vitest";
import fCdf from "@stdlib/stats-base-dists-f-cdf";
import { feols, wald, InputError } from "../src/index.js";
import { inverse } from "./helpers/dense.js";
import { expectRelative } from "./helpers/reference.js";

function data(seed = 9) {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const d = { g: [] as number[], t: [] as number[], x1: [] as number[], x2: [] as number[], x3: [] as number[], y: [] as number[] };
  for (let g = 0; g < 40; g++) {
    const a = u();
    for (let t = 0; t < 6; t++) {
      const x1 = u(), x2 = u() + 0.3 * x1, x3 = u();
      d.g.push(g);
      d.t.push(t);
      d.x1.push(x1);
      d.x2.push(x2);
      d.x3.push(x3);
      d.y.push(0.4 * x1 + 0.4 * x2 + 0.05 * x3 + a + u());
    }
  }
  return d;
}

/** (Rβ − r)'(RVR')⁻¹(Rβ − r) by hand. */
function handW(beta: number[], V: number[][], R: number[][], r: number[]): number {
  const d = R.map((row, i) => row.reduce((s, v, j) => s + v * beta[j], 0) - r[i]);
  const M = R.map((ra) => R.map((rb) => ra.reduce((s, va, i) => s + va * rb.reduce((t, vb, j) => t + V[i][j] * vb, 0), 0)));
  const Mi = inverse(M);
  return d.reduce((s, di, a) => s + di * Mi[a].reduce((t, v, b) => t + v * d[b], 0), 0);
}

describe("wald(): linear restrictions Rβ = r under the model's vcov", () => {
  test("one coefficient: F = t² and the t test's p-value", async () => {
    const fit = await feols(data(), "y ~ x1 + x2 + x3 | g + t", { vcov: { cluster: "g" } });
    const w = wald(fit, ["x3"]);
    const c = fit.coef("x3")!;
    expectRelative(w.stat, c.t * c.t, 1e-12, "F = t²");
    expectRelative(w.p, c.p, 1e-9, "p");
    expect(w.df1).toBe(1);
    expect(w.df2).toBe(39); // G − 1 when clustered
    expect(w.vcov).toBe("Clustered (g)");
  });
  test("joint nullity and a general R, r against a hand computation, for several vcov types", async () => {
    for (const vcov of ["iid", "hetero", { cluster: "g" }, { type: "DK", panelId: ["g", "t"] }] as const) {
      const fit = await feols(data(), "y ~ x1 + x2 + x3 | g + t", { vcov });
      const k = 3;
      const beta = fit.coefficients.map((c) => c.estimate);
      const V = Array.from({ length: k }, (_, i) => Array.from({ length: k }, (_, j) => fit.vcovMatrix[i * k + j]));
      const joint = wald(fit, ["x1", "x2"]);
      const W = handW(beta, V, [[1, 0, 0], [0, 1, 0]], [0, 0]);
      expectRelative(joint.stat, W / 2, 1e-10, `${JSON.stringify(vcov)} joint F`);
      expectRelative(joint.chisq.stat, W, 1e-10, "chi-square");
      expect(joint.chisq.df).toBe(2);
      expect(joint.df2).toBe(fit.dfT);
      expectRelative(1 - joint.p, fCdf(W / 2, 2, fit.dfT), 1e-10, "F p-value");
      // x1 = x2 and x1 + x3 = 0.5, with rows over the coefficients or by name.
      const R = [[1, -1, 0], [1, 0, 1]];
      const byArray = wald(fit, { R, r: [0, 0.5] });
      const byName = wald(fit, { R: [{ x1: 1, x2: -1 }, { x1: 1, x3: 1 }], r: [0, 0.5] });
      expectRelative(byArray.stat, handW(beta, V, R, [0, 0.5]) / 2, 1e-10, "general R");
      expect(byName.stat).toBe(byArray.stat);
    }
  });
  test("bad restrictions are input errors", async () => {
    const fit = await feols(data(), "y ~ x1 + x2 + x3 | g + t");
    expect(() => wald(fit, ["x9"])).toThrow(InputError);
    expect(() => wald(fit, ["x9"])).toThrow(/"x9" is not an estimated coefficient/);
    expect(() => wald(fit, [])).toThrow(/at least one coefficient/);
    expect(() => wald(fit, { R: [[1, 0]] })).toThrow(/row 1 of R has 2 entries but the model has 3 coefficients/);
    expect(() => wald(fit, { R: [{ x1: 1 }, { x1: 2 }] })).toThrow(/linearly dependent/);
    expect(() => wald(fit, { R: [{ x1: 1 }], r: [0, 1] })).toThrow(/r has 2 entries but R has 1 rows/);
  });
});
