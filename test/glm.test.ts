import { describe, expect, test } from "vitest";
import { buildTable, feglm, feols, fepois, fixef, glmFitted, glmPredict, glmResiduals, significanceStars as stars, EstimationError, InputError, type Frame } from "../src/index.js";
import { Rng } from "../src/core/random.js";
import { numeric } from "../src/study/synthetic.js";
import { absorb } from "./helpers/cli.js";
import { referenceGravity } from "./helpers/reference.js";
import { ols } from "./helpers/dense.js";

/** n rows, 40 groups, y ~ Poisson(exp(0.5 x + group effect)); `trap` = 1 on `trapped` rows with y = 0. */
function poissonData(n: number, trapped: number, seed = 7): { frame: Frame; trapRows: number[] } {
  const rng = new Rng(seed);
  const g = new Float64Array(n);
  const x = new Float64Array(n);
  const y = new Float64Array(n);
  const trap = new Float64Array(n);
  const effects = Array.from({ length: 40 }, () => rng.normal(0, 0.5));
  for (let i = 0; i < n; i++) {
    g[i] = i % 40;
    x[i] = rng.normal();
    const mu = Math.exp(0.5 * x[i] + effects[i % 40]);
    // Poisson draw by inversion (mu is small)
    let k = 0;
    let p = Math.exp(-mu);
    let s = p;
    const u = rng.uniform();
    while (u > s) {
      k++;
      p *= mu / k;
      s += p;
    }
    y[i] = k;
  }
  const trapRows: number[] = [];
  for (let i = 0; i < n && trapRows.length < trapped; i++) {
    if (y[i] === 0 && i % 3 === 0) {
      trap[i] = 1 + rng.uniform();
      trapRows.push(i);
    }
  }
  const columns = new Map([
    ["y", numeric(y)],
    ["x", numeric(x)],
    ["g", numeric(g)],
    ["trap", numeric(trap)],
  ]);
  return { frame: { nrows: n, columns }, trapRows };
}

function without(frame: Frame, rows: number[]): Uint8Array {
  const keep = new Uint8Array(frame.nrows).fill(1);
  for (const r of rows) keep[r] = 0;
  return keep;
}

describe("separation by the regressors (ReLU check)", () => {
  test("a regressor positive only where y = 0: its rows are removed and counted, the rest equals the fit without them", async () => {
    const { frame, trapRows } = poissonData(4000, 25);
    const fit = await fepois(frame, "y ~ x + trap | g", { vcov: "hetero" });
    expect(fit.droppedRows.separation).toBe(25);
    expect(fit.nobs).toBe(4000 - 25);
    expect(fit.warnings.join(" ")).toMatch(/25 observation\(s\) separated by the regressors/);
    // Without its positive rows trap is all zero: dropped, as ppmlhdfe drops it.
    expect(fit.droppedCollinear).toEqual(["trap"]);
    const clean = await fepois(frame, "y ~ x | g", { vcov: "hetero", subset: without(frame, trapRows) });
    expect(fit.coef("x")!.estimate).toBeCloseTo(clean.coef("x")!.estimate, 10);
    expect(fit.coef("x")!.se).toBeCloseTo(clean.coef("x")!.se, 10);
    expect(fit.loglik).toBeCloseTo(clean.loglik, 6);
  });

  test("without fixed effects too, where naive IRLS on the same rows runs trap's coefficient off to −∞", async () => {
    const { frame } = poissonData(3000, 12, 11);
    const fit = await fepois(frame, "y ~ x + trap", {});
    expect(fit.droppedRows.separation).toBe(12);
    expect(fit.coefficients.map((c) => c.name)).toEqual(["(Intercept)", "x"]);
    // Textbook IRLS with no separation check: each step pushes trap's coefficient further down
    // (the fitted means of its rows, all y = 0, shrink towards 0 and never reach it).
    const col = (name: string) => Array.from((frame.columns.get(name) as { values: Float64Array }).values);
    const y = col("y");
    const X = [y.map(() => 1), col("x"), col("trap")];
    let beta = [Math.log(y.reduce((a, b) => a + b, 0) / y.length), 0, 0];
    const trapPath: number[] = [];
    for (let it = 0; it < 40; it++) {
      const eta = y.map((_, i) => X.reduce((s, c, j) => s + c[i] * beta[j], 0));
      const mu = eta.map(Math.exp);
      beta = ols(eta.map((e, i) => e + (y[i] - mu[i]) / mu[i]), X, mu).beta;
      trapPath.push(beta[2]);
    }
    expect(trapPath[39]).toBeLessThan(-25);
    for (let it = 10; it < 40; it++) expect(trapPath[it]).toBeLessThan(trapPath[it - 1] - 0.5);
  });

  test("control: one row with y > 0 and trap > 0 identifies trap: nothing is separated, its coefficient is finite", async () => {
    const { frame, trapRows } = poissonData(4000, 25);
    const keep = without(frame, []);
    const y = (frame.columns.get("y") as { values: Float64Array }).values;
    const trap = (frame.columns.get("trap") as { values: Float64Array }).values;
    const positive = y.findIndex((v, i) => v > 0 && trap[i] === 0);
    trap[positive] = 1;
    const fit = await fepois(frame, "y ~ x + trap | g", { subset: keep });
    expect(fit.droppedRows.separation).toBe(0);
    expect(fit.coef("trap")!.estimate).toBeLessThan(-2);
    expect(trapRows.length).toBe(25);
  });

  test("fixed-effect groups with an all-zero outcome are separated and counted", async () => {
    const { frame } = poissonData(4000, 0);
    const y = (frame.columns.get("y") as { values: Float64Array }).values;
    for (let i = 0; i < frame.nrows; i++) if (i % 40 === 3) y[i] = 0;
    const fit = await fepois(frame, "y ~ x | g", {});
    expect(fit.droppedRows.separation).toBe(100);
    expect(fit.fixefSizes.g).toBe(39);
  });
});

async function rejects(p: Promise<unknown>, type: typeof InputError | typeof EstimationError, kind: string): Promise<Error> {
  try {
    await p;
  } catch (e) {
    expect(e).toBeInstanceOf(type);
    expect((e as InputError).kind).toBe(kind);
    return e as Error;
  }
  throw new Error("expected an error");
}

describe("bad input", () => {
  test("negative outcomes for Poisson name how many rows", async () => {
    const { frame } = poissonData(500, 0);
    const y = (frame.columns.get("y") as { values: Float64Array }).values;
    y[10] = -1;
    y[20] = -2;
    const e = await rejects(fepois(frame, "y ~ x | g"), InputError, "data");
    expect(e.message).toMatch(/"y" must be non-negative .* 2 row\(s\) are not \(first at row 11\)/);
  });

  test("outcomes other than 0/1 for logit and probit", async () => {
    const { frame } = poissonData(500, 0);
    for (const family of ["logit", "probit"] as const) {
      const e = await rejects(feglm(frame, "y ~ x | g", { family }), InputError, "data");
      expect(e.message).toMatch(new RegExp(`must be 0 or 1 for family ${family}, but \\d+ row\\(s\\) are not`));
    }
  });

  test("an all-zero outcome", async () => {
    const { frame } = poissonData(500, 0);
    (frame.columns.get("y") as { values: Float64Array }).values.fill(0);
    const e = await rejects(fepois(frame, "y ~ x | g"), InputError, "data");
    expect(e.message).toMatch(/"y" is 0 in all 500 rows/);
  });

  test("separation that leaves no rows", async () => {
    const { frame } = poissonData(400, 0);
    const y = (frame.columns.get("y") as { values: Float64Array }).values;
    const g = (frame.columns.get("g") as { values: Float64Array }).values;
    for (let i = 0; i < 400; i++) y[i] = g[i] % 2;
    const e = await rejects(feglm(frame, "y ~ x | g", { family: "logit" }), InputError, "data");
    expect(e.message).toMatch(/400 in fixed-effect groups whose outcome is perfectly predicted \(separation\)/);
  });

  test("no convergence within glmIter is an error unless allowNonConvergence", async () => {
    const { frame } = poissonData(500, 0);
    const e = await rejects(fepois(frame, "y ~ x | g", { glmIter: 2 }), EstimationError, "convergence");
    expect(e.message).toMatch(/IRLS did not converge within 2 iterations.*--glm-iter/);
    const fit = await fepois(frame, "y ~ x | g", { glmIter: 2, allowNonConvergence: true });
    expect(fit.converged).toBe(false);
    expect(fit.iterations).toBe(2);
    expect(fit.warnings.join(" ")).toMatch(/did not converge/);
  });

  test("unknown family, bad glmTol/glmIter, IV formulas", async () => {
    const { frame } = poissonData(200, 0);
    expect((await rejects(feglm(frame, "y ~ x", { family: "negbin" as never }), InputError, "option")).message).toMatch(/unknown family "negbin"/);
    await rejects(feglm(frame, "y ~ x", { family: "poisson", glmTol: 0 }), InputError, "option");
    await rejects(feglm(frame, "y ~ x", { family: "poisson", glmIter: 1.5 }), InputError, "option");
    await rejects(feglm(frame, "y ~ 1 | g | x ~ trap", { family: "poisson" }), InputError, "formula");
  });

  test("CLI: a bad family and a non-binary logit outcome exit 2 with the reason", () => {
    const bad = absorb(["fit", "--data", referenceGravity, "--formula", "trade ~ ln_dist", "--family", "tobit", "--quiet"]);
    expect(bad.status).toBe(2);
    expect(bad.stderr).toMatch(/unknown family "tobit"/);
    const outcome = absorb(["fit", "--data", referenceGravity, "--formula", "trade ~ ln_dist", "--family", "logit", "--quiet"]);
    expect(outcome.status).toBe(2);
    expect(outcome.stderr).toMatch(/"trade" must be 0 or 1 for family logit, but \d+ row\(s\) are not/);
  });
});

describe("offsets and the Gaussian family", () => {
  test("an offset c·x shifts x's coefficient by −c and leaves the likelihood and fitted means unchanged", async () => {
    const { frame } = poissonData(2000, 0);
    const x = (frame.columns.get("x") as { values: Float64Array }).values;
    frame.columns.set("half", numeric(Float64Array.from(x, (v) => 0.5 * v)));
    for (const family of ["poisson", "logit"] as const) {
      if (family === "logit") frame.columns.set("y", numeric(Float64Array.from((frame.columns.get("y") as { values: Float64Array }).values, (v) => (v > 0 ? 1 : 0))));
      const shifted = await feglm(frame, "y ~ x | g", { family, offset: "half" });
      const plain = await feglm(frame, "y ~ x | g", { family });
      expect(shifted.offset).toBe("half");
      expect(shifted.coef("x")!.estimate).toBeCloseTo(plain.coef("x")!.estimate - 0.5, 9);
      expect(shifted.coef("x")!.se).toBeCloseTo(plain.coef("x")!.se, 9);
      expect(shifted.loglik).toBeCloseTo(plain.loglik, 7);
    }
  });

  test("feglm gaussian: feols's coefficients; iid se × √((n − 1)/(n − K)), as fixest scales a GLM's inverse Hessian", async () => {
    const { frame } = poissonData(1500, 0);
    const g = await feglm(frame, "y ~ x | g", { family: "gaussian" });
    const o = await feols(frame, "y ~ x | g", { fixefRm: "none" });
    expect(g.statistic).toBe("t");
    expect(g.coef("x")!.estimate).toBeCloseTo(o.coef("x")!.estimate, 10);
    expect(g.coef("x")!.se / o.coef("x")!.se).toBeCloseTo(Math.sqrt((1500 - 1) / (1500 - o.dfK)), 8);
  });
});

describe("post-estimation", () => {
  test("fitted, predict (response and link), fixef and the four residual types agree with each other", async () => {
    const { frame } = poissonData(3000, 0, 5);
    const x = (frame.columns.get("x") as { values: Float64Array }).values;
    frame.columns.set("exposure", numeric(Float64Array.from(x, (_, i) => Math.log(1 + (i % 7)))));
    const fit = await fepois(frame, "y ~ x | g", { offset: "exposure" });
    const mu = glmFitted(fit);
    const eta = glmFitted(fit, { type: "link" });
    for (let i = 0; i < mu.length; i += 97) expect(mu[i]).toBeCloseTo(Math.exp(eta[i]), 12);
    // Predictions on the fit's own rows (every row is in the sample) are the fitted values.
    const response = glmPredict(fit, frame);
    const link = glmPredict(fit, frame, { type: "link" });
    expect(response.unseen + response.missing).toBe(0);
    for (let i = 0; i < mu.length; i += 97) {
      expect(response.values[i]! / mu[i]).toBeCloseTo(1, 9);
      expect(link.values[i]!).toBeCloseTo(eta[i], 9);
    }
    // η = Xβ + fixed effect of g + offset
    const [g] = fixef(fit);
    const codes = (frame.columns.get("g") as { values: Float64Array }).values;
    const offset = (frame.columns.get("exposure") as { values: Float64Array }).values;
    const b = fit.coef("x")!.estimate;
    for (let i = 0; i < 200; i++) expect(eta[i]).toBeCloseTo(b * x[i] + g.values[g.levels.indexOf(codes[i])] + offset[i], 9);
    const y = (frame.columns.get("y") as { values: Float64Array }).values;
    const rResponse = glmResiduals(fit);
    const rPearson = glmResiduals(fit, { type: "pearson" });
    const rWorking = glmResiduals(fit, { type: "working" });
    const rDeviance = glmResiduals(fit, { type: "deviance" });
    for (let i = 0; i < 300; i++) {
      expect(rResponse[i]).toBeCloseTo(y[i] - mu[i], 12);
      expect(rPearson[i]).toBeCloseTo((y[i] - mu[i]) / Math.sqrt(mu[i]), 10);
      expect(rWorking[i]).toBeCloseTo((y[i] - mu[i]) / mu[i], 10);
      expect(Math.sign(rDeviance[i])).toBe(Math.sign(y[i] - mu[i]));
    }
    expect(rDeviance.reduce((a, r) => a + r * r, 0) / fit.deviance).toBeCloseTo(1, 10);
  });

  test("a GLM's summary shows its family, log-likelihood and pseudo R², and z statistics", async () => {
    const { frame } = poissonData(1000, 0);
    const fit = await fepois(frame, "y ~ x | g", { vcov: "hetero" });
    const text = fit.summary();
    expect(text).toMatch(/^Poisson estimation, Dep. Var.: y/);
    expect(text).toMatch(/z value +Pr\(>\|z\|\)/);
    expect(text).toMatch(/Log-Likelihood: .* Pseudo R2: /);
    expect(text).not.toMatch(/\bR2: .*Within R2/);
    expect(fit.toJSON()).toMatchObject({ family: "poisson", df_t: null });
  });
});

describe("tables", () => {
  test("a GLM column shows its family, log-likelihood and pseudo R², no R²; the same from the fit's JSON", async () => {
    const { frame } = poissonData(1500, 0);
    const ols = await feols(frame, "y ~ x | g");
    const pois = await fepois(frame, "y ~ x | g");
    const row = (t: ReturnType<typeof buildTable>, label: string) => t.rows.find((r) => r.label === label)?.cells;
    for (const glmSource of [pois, JSON.parse(JSON.stringify(pois.toJSON()))]) {
      const table = buildTable([ols, glmSource]);
      expect(row(table, "Family")).toEqual(["OLS", "poisson"]);
      expect(row(table, "R²")![1]).toBe("");
      expect(row(table, "R²")![0]).toBe(ols.r2.toFixed(3));
      expect(row(table, "Log-likelihood")).toEqual(["", pois.loglik.toFixed(3)]);
      expect(row(table, "Pseudo R²")).toEqual(["", pois.pseudoR2.toFixed(3)]);
      expect(row(table, "x")![1]).toBe(pois.coef("x")!.estimate.toFixed(3) + stars(pois.coef("x")!.p));
    }
    expect(row(buildTable([pois]), "R²")).toBeUndefined();
  });
});
