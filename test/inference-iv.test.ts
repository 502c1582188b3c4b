import { describe, expect, test, beforeAll } from "vitest";
import { feols, readFrame, IvResult, InputError, EstimationError, type Frame } from "../src/index.js";
import { referencePanel, expectRelative } from "./helpers/reference.js";
import { absorb } from "./helpers/cli.js";
import { dummies, groupMeat, inverse, matmul, ols, partial, sandwich, transpose, fromColumns, type Matrix } from "./helpers/dense.js";

async function iv(data: Parameters<typeof feols>[0], formula: string, options: Parameters<typeof feols>[2] = {}): Promise<IvResult> {
  const fit = await feols(data, formula, options);
  expect(fit).toBeInstanceOf(IvResult);
  return fit as IvResult;
}

/** A small panel (30 units × 5 periods) with two instruments, one exogenous regressor and an endogenous one. */
function ivPanel(seed = 7) {
  let s = seed;
  const u = () => ((s = (s * 1103515245 + 12345) % 2147483648) / 2147483648) - 0.5;
  const cols = { unit: [] as number[], time: [] as number[], z1: [] as number[], z2: [] as number[], w: [] as number[], x: [] as number[], x2: [] as number[], y: [] as number[] };
  for (let i = 0; i < 30; i++) {
    const a = u();
    for (let t = 0; t < 5; t++) {
      const z1 = u(), z2 = u(), w = u(), e = u();
      const x = a + 0.8 * z1 + 0.4 * z2 + 0.3 * w + 0.6 * e + 0.3 * u();
      const x2 = 0.5 * z1 - 0.7 * z2 + 0.2 * u() + 0.3 * e;
      cols.unit.push(i);
      cols.time.push(t);
      cols.z1.push(z1);
      cols.z2.push(z2);
      cols.w.push(w);
      cols.x.push(x);
      cols.x2.push(x2);
      cols.y.push(1 + 0.7 * x - 0.4 * x2 + 0.5 * w + a + 0.1 * t + e);
    }
  }
  return cols;
}

describe("Kleibergen–Paap agrees with Cragg–Donald under iid errors", () => {
  let frame: Frame;
  beforeAll(async () => {
    frame = await readFrame(referencePanel);
  });
  const formulas = [
    "dvar ~ ln_age + finance | firm_id + year | robot ~ robot_iv",
    "dvar ~ ln_age + finance | firm_id + year | robot ~ robot_iv + density",
    "dvar ~ ln_age | firm_id + year | robot + finance ~ robot_iv + density + fin_constraints",
  ];
  test.each(formulas)("%s", async (formula) => {
    const fit = await iv(frame, formula, { vcov: "iid", fixefRm: "none" });
    const d = fit.ivDiagnostics;
    expectRelative(d.kp.waldF, d.cd, 1e-10, "KP rk Wald F vs Cragg–Donald");
    // The rk LM under iid is Anderson's n·ρ², ρ² = CD·l/(n − k − l − 1) / (1 + …).
    const k = fit.endogenous.length;
    const l = fit.instruments.length;
    const ratio = (d.cd * l) / (fit.nobs - k - l - 1); // ρ²/(1 − ρ²)
    expectRelative(d.kp.lm.stat, (fit.nobs * ratio) / (1 + ratio), 1e-9, "KP rk LM vs Anderson");
    expect(d.kp.lm.df).toBe(l - k + 1);
    if (d.sargan) expectRelative(d.hansenJ!.stat, d.sargan.stat, 1e-6, "Hansen J vs Sargan under iid");
  });
});

describe("2SLS with fixed effects equals 2SLS with explicit dummies (hand computation)", () => {
  const p = ivPanel();
  const n = p.y.length;
  const D = [...dummies(p.unit, false), ...dummies(p.time, true)];
  test("coefficients, iid standard errors, first stage, reduced form, Sargan", async () => {
    const fit = await iv(p, "y ~ w | unit + time | x ~ z1 + z2", { fixefRm: "none" });
    const A = [p.z1, p.z2, p.w, ...D];
    const fs = ols(p.x, A);
    const xhat = p.x.map((v, i) => v - fs.resid[i]);
    const second = ols(p.y, [xhat, p.w, ...D]);
    const beta = second.beta;
    expect(fit.coefficients.map((c) => c.name)).toEqual(["x", "w"]);
    expectRelative(fit.coef("x")!.estimate, beta[0], 1e-9, "x");
    expectRelative(fit.coef("w")!.estimate, beta[1], 1e-9, "w");
    const e = p.y.map((v, i) => v - [p.x, p.w, ...D].reduce((s, c, j) => s + c[i] * beta[j], 0));
    const ssr = e.reduce((s, v) => s + v * v, 0);
    const K = 2 + 29 + 4 + 1;
    expectRelative(fit.coef("x")!.se, Math.sqrt((second.xtxInv[0][0] * ssr) / (n - K)), 1e-9, "se x");
    expectRelative(fit.ssr, ssr, 1e-9, "structural SSR");
    // First stage: instruments first, then the exogenous regressor.
    const f = fit.firstStages[0];
    expect(f.coefficients.map((c) => c.name)).toEqual(["z1", "z2", "w"]);
    f.coefficients.forEach((c, j) => expectRelative(c.estimate, fs.beta[j], 1e-9, `first stage ${c.name}`));
    // Reduced form: y on the same design.
    const rf = ols(p.y, A);
    fit.reducedForm.coefficients.forEach((c, j) => expectRelative(c.estimate, rf.beta[j], 1e-9, `reduced form ${c.name}`));
    // Sargan: n·R² of e on all instruments.
    const r = ols(e, A).resid;
    const mean = e.reduce((s, v) => s + v, 0) / n;
    const tss = e.reduce((s, v) => s + (v - mean) ** 2, 0);
    expectRelative(fit.ivDiagnostics.sargan!.stat, n * (1 - r.reduce((s, v) => s + v * v, 0) / tss), 1e-7, "Sargan");
    // ivf1: F of the excluded instruments in the first stage, df2 = n − K_first.
    const r0 = ols(p.x, [p.w, ...D]).resid.reduce((s, v) => s + v * v, 0);
    const r1 = fs.resid.reduce((s, v) => s + v * v, 0);
    const df2 = n - (3 + 29 + 4 + 1);
    expectRelative(f.ivf1.stat, ((r0 - r1) / 2) / (r1 / df2), 1e-9, "ivf1");
    expect(f.ivf1.df2).toBe(df2);
  });
  test("weighted, clustered: coefficients and standard errors", async () => {
    const q = { ...p, wt: p.y.map((_, i) => 0.5 + ((i * 37) % 11) / 10) };
    const fit = await iv(q, "y ~ w | unit + time | x ~ z1 + z2", { vcov: { cluster: "unit" }, weights: "wt" });
    const A = [p.z1, p.z2, p.w, ...D];
    const fs = ols(p.x, A, q.wt);
    const xhat = p.x.map((v, i) => v - fs.resid[i]);
    const [xhT, wT] = partial([xhat, p.w], D, q.wt);
    const second = ols(p.y, [xhat, p.w, ...D], q.wt);
    const beta = second.beta;
    const e = p.y.map((v, i) => v - [p.x, p.w, ...D].reduce((s, c, j) => s + c[i] * beta[j], 0));
    const bread = ols(p.y, [xhT, wT], q.wt).xtxInv;
    const V = sandwich(bread, groupMeat(e.map((ei, i) => [q.wt[i] * ei * xhT[i], q.wt[i] * ei * wT[i]]), p.unit));
    const K = 2 + 4 + 1; // unit effects nested in the unit clusters
    const adj = ((n - 1) / (n - K)) * (30 / 29);
    expectRelative(fit.coef("x")!.estimate, beta[0], 1e-9, "x");
    expectRelative(fit.coef("x")!.se, Math.sqrt(adj * V[0][0]), 1e-8, "se x");
    expectRelative(fit.coef("w")!.se, Math.sqrt(adj * V[1][1]), 1e-8, "se w");
    expect(fit.dfT).toBe(29);
  });
  test("just identified: the reduced form is the first stage times the IV coefficient", async () => {
    const fit = await iv(p, "y ~ w | unit + time | x ~ z1", { vcov: { cluster: "unit" } });
    const pi = fit.firstStages[0].coefficients[0].estimate;
    const gamma = fit.reducedForm.coefficients[0].estimate;
    expectRelative(gamma, pi * fit.coef("x")!.estimate, 1e-9, "indirect least squares");
    expect(fit.ivDiagnostics.sargan).toBeNull();
    expect(fit.ivDiagnostics.hansenJ).toBeNull();
  });
});

/** The Kleibergen–Paap rk statistic for one endogenous regressor, by hand: a Wald test of the first-stage instrument coefficients with an unadjusted robust variance. */
function handRk(p: ReturnType<typeof ivPanel>, r: number[], A: number[][], groups: readonly number[] | null, l: number): number {
  const fsBeta = ols(p.x, A).beta.slice(0, l);
  const bread = ols(p.x, A).xtxInv;
  const scores: Matrix = r.map((ri, i) => A.map((c) => ri * c[i]));
  const V = sandwich(bread, groupMeat(scores, groups ?? r.map((_, i) => i)));
  const vzz = V.slice(0, l).map((row) => row.slice(0, l));
  const inv = inverse(vzz);
  return fsBeta.reduce((s, b, a) => s + b * inv[a].reduce((t, v, c) => t + v * fsBeta[c], 0), 0);
}

describe("Kleibergen–Paap with clustered errors and fixed effects, against a hand computation", () => {
  const p = ivPanel(11);
  const n = p.y.length;
  const D = [...dummies(p.unit, false), ...dummies(p.time, true)];
  const A = [p.z1, p.z2, p.w, ...D];
  const v = ols(p.x, A).resid; // first-stage residuals (Wald form)
  const xt = partial([p.x], [p.w, ...D])[0]; // x net of exogenous regressors and fixed effects (LM form)
  test.each([
    ["clustered by unit", { cluster: "unit" }, p.unit],
    ["heteroskedasticity-robust", "hetero", null],
  ] as const)("%s", async (_label, vcov, groups) => {
    const fit = await iv(p, "y ~ w | unit + time | x ~ z1 + z2", { vcov: vcov as never });
    const k = 1;
    const l = 2;
    const rkWald = handRk(p, v, A, groups as readonly number[] | null, l);
    const rkLm = handRk(p, xt, A, groups as readonly number[] | null, l);
    const G = groups ? 30 : null;
    expectRelative(fit.ivDiagnostics.kp.rkWald, rkWald, 1e-8, "rk Wald");
    expectRelative(fit.ivDiagnostics.kp.waldF, ((rkWald * (n - k - l - 1)) / (n * l)) * (G ? (G - 1) / G : 1), 1e-8, "rk Wald F");
    expectRelative(fit.ivDiagnostics.kp.lm.stat, rkLm, 1e-8, "rk LM");
    expect(fit.ivDiagnostics.kp.lm.df).toBe(2);
  });
  test("two endogenous regressors: invariant to rescaling the variables and to their order", async () => {
    const base = await iv(p, "y ~ w | unit + time | x + x2 ~ z1 + z2 + time2", { vcov: { cluster: "unit" } }).catch(() => null);
    expect(base).toBeNull(); // time2 does not exist: sanity of the error path
    const q = { ...p, z3: p.z1.map((v, i) => v * p.z2[i] + 0.3 * p.w[i] * p.w[i]) };
    const a = await iv(q, "y ~ w | unit + time | x + x2 ~ z1 + z2 + z3", { vcov: { cluster: "unit" } });
    const scaled = { ...q, x: q.x.map((v) => 3 * v), z2: q.z2.map((v) => -0.5 * v) };
    const b = await iv(scaled, "y ~ w | unit + time | x2 + x ~ z2 + z3 + z1", { vcov: { cluster: "unit" } });
    expectRelative(b.ivDiagnostics.kp.rkWald, a.ivDiagnostics.kp.rkWald, 1e-8, "rk Wald invariance");
    expectRelative(b.ivDiagnostics.kp.lm.stat, a.ivDiagnostics.kp.lm.stat, 1e-8, "rk LM invariance");
    expectRelative(b.ivDiagnostics.cd, a.ivDiagnostics.cd, 1e-8, "CD invariance");
    expect(a.ivDiagnostics.kp.lm.df).toBe(2);
    expect(Object.keys(a.ivDiagnostics.ivf1)).toEqual(["x", "x2"]);
    // Coefficients match too.
    expectRelative(b.coef("x")!.estimate * 3, a.coef("x")!.estimate, 1e-9, "x");
  });
});

describe("Hansen J under clustered errors, against a hand two-step GMM (no fixed effects)", () => {
  test("J = min over β of g'S⁻¹g, S the clustered meat of the 2SLS residuals' instrument scores", async () => {
    const p = ivPanel(3);
    const n = p.y.length;
    const fit = await iv(p, "y ~ w | x ~ z1 + z2", { vcov: { cluster: "unit" } });
    expect(fit.coefficients.map((c) => c.name)).toEqual(["(Intercept)", "x", "w"]);
    const ones = p.y.map(() => 1);
    const A = [ones, p.z1, p.z2, p.w];
    const X = [ones, p.x, p.w];
    const fs = A.length;
    const xhat = X.map((c, j) => (j === 1 ? c.map((v, i) => v - ols(p.x, A).resid[i]) : c));
    const beta = ols(p.y, xhat).beta;
    const e = p.y.map((v, i) => v - X.reduce((s, c, j) => s + c[i] * beta[j], 0));
    const S = groupMeat(e.map((ei, i) => A.map((c) => c[i] * ei)), p.unit);
    const Sinv = inverse(S);
    const At = fromColumns(A); // n×4
    const Xm = fromColumns(X);
    const AtX = matmul(transpose(At), Xm);
    const Aty = matmul(transpose(At), p.y.map((v) => [v]));
    const XAS = matmul(transpose(AtX), Sinv);
    const bg = matmul(inverse(matmul(XAS, AtX)), matmul(XAS, Aty));
    const g = Aty.map((row, i) => [row[0] - AtX[i].reduce((s, v, j) => s + v * bg[j][0], 0)]);
    const J = matmul(matmul(transpose(g), Sinv), g)[0][0];
    expectRelative(fit.ivDiagnostics.hansenJ!.stat, J, 1e-8, "Hansen J");
    expect(fit.ivDiagnostics.hansenJ!.df).toBe(1);
    expect(fs).toBe(4);
    expect(n).toBe(150);
  });
});

describe("IV errors", () => {
  const p = ivPanel();
  test("fewer instruments than endogenous regressors: a formula error (API and CLI exit 2)", async () => {
    const err = await feols(p, "y ~ w | unit | x + x2 ~ z1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("formula");
    expect((err as Error).message).toMatch(/2 endogenous variables \(x, x2\) but only 1 instrument \(z1\)/);
    const r = absorb(["fit", "--data", referencePanel, "--formula", "dvar ~ ln_age | firm_id | robot + finance ~ robot_iv", "--json"]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error.kind).toBe("formula");
    expect(r.stderr).toMatch(/but only 1 instrument/);
  });
  test("an instrument collinear with the fixed effects: an estimation error (API and CLI exit 1)", async () => {
    const q = { ...p, zfe: p.unit.map((u) => u * u - 3) }; // constant within unit
    const err = await feols(q, "y ~ w | unit + time | x ~ zfe").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EstimationError);
    expect((err as EstimationError).kind).toBe("singular");
    expect((err as Error).message).toMatch(/instrument "zfe" is collinear with the fixed effects \(unit \+ time\).*0 usable instruments for 1 endogenous regressor/);
    const r = absorb(["fit", "--data", referencePanel, "--formula", "dvar ~ ln_age | firm_id + year | robot ~ soe", "--json"]);
    expect(r.status).toBe(1);
    expect(JSON.parse(r.stdout).error.kind).toBe("singular");
    expect(r.stderr).toMatch(/instrument "soe" is collinear with the fixed effects \(firm_id \+ year\)/);
  });
  test("an overidentified model keeps going without an absorbed instrument, and says so", async () => {
    const q = { ...p, zfe: p.unit.map((u) => u * u - 3) };
    const fit = await iv(q, "y ~ w | unit + time | x ~ z1 + zfe");
    const ref = await iv(q, "y ~ w | unit + time | x ~ z1");
    expect(fit.instruments).toEqual(["z1"]);
    expect(fit.droppedCollinear).toEqual(["zfe"]);
    expect(fit.warnings.join(" ")).toMatch(/instrument dropped as collinear.*zfe/);
    expect(fit.coef("x")!.estimate).toBeCloseTo(ref.coef("x")!.estimate, 12);
    expect(fit.ivDiagnostics.sargan).toBeNull();
  });
  test("an endogenous regressor absorbed by the fixed effects", async () => {
    const q = { ...p, xfe: p.unit.map((u) => u / 7) };
    const err = await feols(q, "y ~ w | unit + time | xfe ~ z1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(EstimationError);
    expect((err as Error).message).toMatch(/endogenous regressor "xfe" is absorbed by the fixed effects/);
  });
});

describe("IV summary and JSON", () => {
  test("the printout names the estimator, the instruments and the diagnostics", async () => {
    const fit = await iv(ivPanel(), "y ~ w | unit + time | x ~ z1 + z2", { vcov: { cluster: "unit" } });
    const s = fit.summary();
    expect(s).toMatch(/^TSLS estimation/);
    expect(s).toMatch(/F-test \(1st stage\), x/);
    expect(s).toMatch(/Sargan/);
    expect(s).toMatch(/Kleibergen-Paap/);
  });
});
