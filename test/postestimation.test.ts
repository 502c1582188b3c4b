import { describe, expect, test } from "vitest";
import { feols, fixef, residuals, fitted, predict, sampleRows, InputError } from "../src/index.js";
import { dummies, ols } from "./helpers/dense.js";
import { expectRelative } from "./helpers/reference.js";

/** A panel of 20 firms × 6 years with an industry^year effect available, seeded. */
function panel(seed = 5) {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const d = { firm: [] as number[], year: [] as number[], ind: [] as string[], x: [] as number[], z: [] as number[], y: [] as number[], w: [] as number[] };
  for (let f = 0; f < 20; f++) {
    const a = 2 * u();
    for (let t = 2010; t < 2016; t++) {
      if (f % 7 === 3 && t === 2012) continue;
      const z = u();
      const x = z + 0.5 * u() + 0.3 * a;
      d.firm.push(f);
      d.year.push(t);
      d.ind.push(f % 3 === 0 ? "alpha" : f % 3 === 1 ? "beta" : "gamma");
      d.x.push(x);
      d.z.push(z);
      d.y.push(1.5 * x + a + 0.2 * (t - 2010) + 0.3 * u());
      d.w.push(1 + u());
    }
  }
  return d;
}

describe("fixef(): one estimate per level, normalised", () => {
  test("one fixed effect: the group means of y − xβ", async () => {
    const d = panel();
    const fit = await feols(d, "y ~ x | firm");
    const [fe] = fixef(fit);
    expect(fe.name).toBe("firm");
    expect(fe.reference).toBeNull();
    expect(fe.levels).toEqual(Array.from({ length: 20 }, (_, i) => i));
    const b = fit.coef("x")!.estimate;
    for (const g of [0, 7, 19]) {
      const rows = d.firm.map((f, i) => (f === g ? i : -1)).filter((i) => i >= 0);
      const mean = rows.reduce((s, i) => s + d.y[i] - b * d.x[i], 0) / rows.length;
      expectRelative(fe.values[g], mean, 1e-10, `firm ${g}`);
    }
  });
  test("two fixed effects: the first level of the second is 0 and the dummy regression is reproduced", async () => {
    const d = panel();
    for (const method of ["exact", "map"] as const) {
      const fit = await feols(d, "y ~ x | firm + year", { method, tol: 1e-12, fixefRm: "none" });
      const [firm, year] = fixef(fit);
      expect(year.reference).toBe(2010);
      expect(year.values[0]).toBe(0);
      // Dummy regression with all firm dummies and years but the first: the same normalisation.
      const D = [...dummies(d.firm, false), ...dummies(d.year, true)];
      const o = ols(d.y, [d.x, ...D]);
      for (let g = 0; g < 20; g++) expectRelative(firm.values[g], o.beta[1 + g], 1e-8, `${method} firm ${g}`);
      for (let t = 1; t < 6; t++) expectRelative(year.values[t], o.beta[20 + t], 1e-7, `${method} year ${2010 + t}`);
    }
  });
  test("weights and an interacted fixed effect: fitted = xβ + Σ fixed effects", async () => {
    const d = panel();
    const fit = await feols(d, "y ~ x | firm + ind^year", { weights: "w", fixefRm: "none" });
    const fes = fixef(fit);
    expect(fes.map((f) => f.name)).toEqual(["firm", "ind^year"]);
    expect(fes[1].levels[0]).toBe("alpha_2010");
    const f = fitted(fit);
    const b = fit.coef("x")!.estimate;
    const rows = sampleRows(fit);
    rows.forEach((r, i) => {
      const g = fes[0].levels.indexOf(d.firm[r]);
      const h = fes[1].levels.indexOf(`${d.ind[r]}_${d.year[r]}`);
      expectRelative(f[i], b * d.x[r] + fes[0].values[g] + fes[1].values[h], 1e-9, `row ${r}`);
    });
  });
});

describe("residuals() and fitted()", () => {
  test("y = fitted + residuals, aligned to the data with NaN for dropped rows", async () => {
    const d = { ...panel(), x: panel().x.map((v, i) => (i === 4 ? NaN : v)) };
    const fit = await feols(d, "y ~ x | firm + year");
    const e = residuals(fit);
    const f = fitted(fit);
    expect(e.length).toBe(fit.nobs);
    const rows = sampleRows(fit);
    rows.forEach((r, i) => expect(f[i] + e[i]).toBeCloseTo(d.y[r], 12));
    const ea = residuals(fit, { aligned: true });
    expect(ea.length).toBe(d.y.length);
    expect(Number.isNaN(ea[4])).toBe(true);
    expect(ea[rows[10]]).toBe(e[10]);
    // Σ e² is the fit's SSR.
    expectRelative(e.reduce((s, v) => s + v * v, 0), fit.ssr, 1e-10, "ssr");
  });
  test("with alternating projections and three fixed effects the recomputed residuals give the fit's SSR", async () => {
    const d = panel();
    const fit = await feols(d, "y ~ x | firm + year + ind^year", { method: "map", fixefRm: "none" });
    const e = residuals(fit);
    expectRelative(e.reduce((s, v) => s + v * v, 0), fit.ssr, 1e-8, "ssr");
    // The post-estimation state holds the sample rows and the estimates, and shares the data's columns.
    const m = fit.model!;
    expect(m.rows.length).toBe(fit.nobs);
    expect([...m.data.columns.keys()].sort()).toEqual(["firm", "ind", "x", "y", "year"]);
    expect(fixef(fit).map((f) => f.values.length)).toEqual([20, 6, 18]);
  });
  test("IV residuals come from the structural equation", async () => {
    const d = panel();
    const fit = await feols(d, "y ~ 1 | firm + year | x ~ z", { fixefRm: "none" });
    const e = residuals(fit);
    expectRelative(e.reduce((s, v) => s + v * v, 0), fit.ssr, 1e-10, "structural ssr");
    const [firm, year] = fixef(fit);
    const b = fit.coef("x")!.estimate;
    const rows = sampleRows(fit);
    rows.forEach((r, i) => {
      const fe = firm.values[firm.levels.indexOf(d.firm[r])] + year.values[year.levels.indexOf(d.year[r])];
      expect(d.y[r] - b * d.x[r] - fe).toBeCloseTo(e[i], 10);
    });
  });
});

describe("predict(): new rows, unseen levels give null and are counted", () => {
  test("on the estimation data it gives the fitted values", async () => {
    const d = panel();
    const fit = await feols(d, "y ~ x | firm + year");
    const p = predict(fit, d);
    const f = fitted(fit, { aligned: true });
    expect(p.unseen).toBe(0);
    expect(p.missing).toBe(0);
    p.values.forEach((v, i) => expect(v!).toBeCloseTo(f[i], 10));
  });
  test("unseen firms or years → null; missing values → null; both counted", async () => {
    const d = panel();
    const fit = await feols(d, "y ~ x | firm + year");
    const newRows = { x: [0.5, 0.5, 0.5, NaN, 1], firm: [3, 99, 3, 3, 4], year: [2011, 2011, 2030, 2011, 2015] };
    const p = predict(fit, newRows);
    expect(p.values[1]).toBeNull();
    expect(p.values[2]).toBeNull();
    expect(p.values[3]).toBeNull();
    expect(p.unseen).toBe(2);
    expect(p.missing).toBe(1);
    const [firm, year] = fixef(fit);
    const b = fit.coef("x")!.estimate;
    expect(p.values[0]).toBeCloseTo(0.5 * b + firm.values[3] + year.values[1], 12);
    expect(p.values[4]).toBeCloseTo(b + firm.values[4] + year.values[5], 12);
  });
  test("no fixed effects, an i() factor with an unseen level, and an intercept", async () => {
    const d = panel();
    const fit = await feols(d, "y ~ x + i(ind, ref = 'alpha')");
    expect(fit.coefficients.map((c) => c.name)).toEqual(["(Intercept)", "x", "ind::beta", "ind::gamma"]);
    const p = predict(fit, { x: [1, 1, 1], ind: ["alpha", "gamma", "delta"] });
    const c = (n: string) => fit.coef(n)!.estimate;
    expect(p.values[0]).toBeCloseTo(c("(Intercept)") + c("x"), 12);
    expect(p.values[1]).toBeCloseTo(c("(Intercept)") + c("x") + c("ind::gamma"), 12);
    expect(p.values[2]).toBeNull();
    expect(p.unseen).toBe(1);
  });
  test("a missing column is an input error", async () => {
    const fit = await feols(panel(), "y ~ x | firm");
    expect(() => predict(fit, { x: [1] })).toThrow(InputError);
    expect(() => predict(fit, { x: [1] })).toThrow(/column "firm" not found in the new data/);
  });
});
