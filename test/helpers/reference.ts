import { readFileSync } from "node:fs";
import { join } from "node:path";
import { expect } from "vitest";
import { packageRoot } from "../../src/core/package-root.js";

/** The panels and fixest's numbers the tests reproduce (test/fixtures/README.md says what each file is). */
export const fixturesDir = join(packageRoot, "test", "fixtures");
export const fixture = (name: string): string => join(fixturesDir, name);
export const referencePanel = fixture("panel_small.csv.gz");

export interface ReferenceCase {
  id: string;
  formula: string;
  vcov: "iid" | "hetero" | "NW" | "DK" | { cluster: string | string[] };
  weights?: string;
  subset?: { column: string; equals: number | string };
  fixef_rm: "none" | "singleton";
  panel_id?: [string, string];
  lag?: number;
  result: {
    coef: Record<string, number>;
    se: Record<string, number>;
    t: Record<string, number>;
    p: Record<string, number>;
    nobs: number;
    r2: number;
    within_r2: number | null;
    df_t: number;
    dropped_collinear: string[];
    first_stage?: { coef: Record<string, number>; se: Record<string, number> }[];
    iv_diagnostics?: {
      ivf1: { stat: number; p: number; df1: number; df2: number };
      ivwald1: { stat: number; p: number; df1: number; df2: number };
      cd: number;
      wh: { stat: number; p: number; df1: number; df2: number };
      sargan: { stat: number; p: number } | null;
    };
  };
}

export const reference: { cases: ReferenceCase[]; theil_dvar_by_industry_year: unknown[]; theil_dvar_by_region: unknown } = JSON.parse(
  readFileSync(fixture("fixest_panel_small.json"), "utf8"),
);

/**
 * Cases the generic checks below (and the option mapping of reference-api / reference-cli) cover:
 * every case but Newey–West / Driscoll–Kraay, which need a panel id (see test/inference-hac.test.ts).
 * The IV cases also have their first stages and diagnostics checked in test/reference-iv.test.ts.
 */
export const olsCases = reference.cases.filter((c) => c.vcov !== "NW" && c.vcov !== "DK");

/** The IV cases (2SLS with first stages and diagnostics). */
export const ivCases = reference.cases.filter((c) => c.id.startsWith("iv_"));

/** The Newey–West and Driscoll–Kraay cases (panel id, time and lag). */
export const hacCases = reference.cases.filter((c) => c.vcov === "NW" || c.vcov === "DK");

export function expectRelative(actual: number, expected: number, tol: number, what: string): void {
  const err = Math.abs(actual - expected) / Math.max(Math.abs(expected), 1e-300);
  expect(err, `${what}: ${actual} vs fixest ${expected}`).toBeLessThanOrEqual(tol);
}

/** p-values: 1e-4 relative, or 1e-12 absolute for the ones fixest prints as ~0. */
export function expectPValue(actual: number, expected: number, what: string): void {
  if (Math.abs(actual - expected) <= 1e-12) return;
  expectRelative(actual, expected, 1e-4, what);
}

export interface FitLike {
  nobs: number;
  df_t: number;
  r2: number;
  within_r2: number | null;
  dropped_collinear: string[];
  coefficients: { name: string; estimate: number; se: number; t: number; p: number }[];
}

/** Checks one fit (in the CLI's JSON shape) against a reference case at the tolerances. */
export function expectMatchesReference(fit: FitLike, c: ReferenceCase): void {
  const r = c.result;
  expect(fit.nobs, `${c.id} nobs`).toBe(r.nobs);
  expect(fit.df_t, `${c.id} df_t`).toBe(r.df_t);
  expect([...fit.dropped_collinear].sort(), `${c.id} dropped_collinear`).toEqual([...r.dropped_collinear].sort());
  expect(fit.coefficients.map((x) => x.name).sort(), `${c.id} coefficient names`).toEqual(Object.keys(r.coef).sort());
  for (const co of fit.coefficients) {
    expectRelative(co.estimate, r.coef[co.name], 1e-6, `${c.id} coef ${co.name}`);
    expectRelative(co.se, r.se[co.name], 1e-4, `${c.id} se ${co.name}`);
    expectRelative(co.t, r.t[co.name], 1e-4, `${c.id} t ${co.name}`);
    expectPValue(co.p, r.p[co.name], `${c.id} p ${co.name}`);
  }
  expectRelative(fit.r2, r.r2, 1e-6, `${c.id} r2`);
  if (r.within_r2 === null) expect(fit.within_r2).toBeNull();
  else expectRelative(fit.within_r2!, r.within_r2, 1e-6, `${c.id} within_r2`);
}

/** IV extras in the CLI's JSON shape: first stages and diagnostics, at the tolerances. */
export interface IvJson {
  first_stage: { endogenous: string; coefficients: { name: string; estimate: number; se: number }[] }[];
  iv_diagnostics: {
    ivf1: { stat: number; p: number; df1: number; df2: number };
    ivwald1: { stat: number; p: number; df1: number; df2: number };
    cd: number;
    kp: { wald_f: number; lm: { stat: number; p: number; df: number } };
    wh: { stat: number; p: number; df1: number; df2: number };
    sargan: { stat: number; p: number } | null;
    hansen_j: { stat: number; p: number; df: number } | null;
  };
}

export function expectIvMatchesReference(fit: IvJson, c: ReferenceCase): void {
  const r = c.result;
  const fs = r.first_stage!;
  expect(fit.first_stage.length, `${c.id} first stages`).toBe(fs.length);
  fit.first_stage.forEach((stage, j) => {
    expect(stage.coefficients.map((x) => x.name), `${c.id} first-stage names`).toEqual(Object.keys(fs[j].coef));
    for (const co of stage.coefficients) {
      expectRelative(co.estimate, fs[j].coef[co.name], 1e-6, `${c.id} first stage coef ${co.name}`);
      expectRelative(co.se, fs[j].se[co.name], 1e-4, `${c.id} first stage se ${co.name}`);
    }
  });
  const d = r.iv_diagnostics!;
  const got = fit.iv_diagnostics;
  for (const key of ["ivf1", "ivwald1", "wh"] as const) {
    expectRelative(got[key].stat, d[key].stat, 1e-4, `${c.id} ${key} stat`);
    expectPValue(got[key].p, d[key].p, `${c.id} ${key} p`);
    expect(got[key].df1, `${c.id} ${key} df1`).toBe(d[key].df1);
    expect(got[key].df2, `${c.id} ${key} df2`).toBe(d[key].df2);
  }
  expectRelative(got.cd, d.cd, 1e-4, `${c.id} cd`);
  if (d.sargan === null) expect(got.sargan, `${c.id} sargan`).toBeNull();
  else {
    expectRelative(got.sargan!.stat, d.sargan.stat, 1e-4, `${c.id} sargan stat`);
    expectPValue(got.sargan!.p, d.sargan.p, `${c.id} sargan p`);
  }
}

/** A case of fixest_formula_lang.json: fixest's formula language (transforms, i(), lags, slopes, sunab) on panel_small / gravity_small. */
export interface FormulaLangCase {
  id: string;
  /** File name of the data, beside the reference. */
  data: string;
  formula: string;
  vcov: "iid" | "hetero" | { cluster: string | string[] };
  fixef_rm: "none" | "singleton";
  panel_id?: [string, string];
  result: {
    coef: Record<string, number>;
    se: Record<string, number>;
    nobs: number;
    r2: number;
    df_t: number;
    dropped_collinear: string[];
    att?: { coef: number; se: number };
    cells?: number;
  };
}

export const formulaLangReference: { cases: FormulaLangCase[] } = JSON.parse(
  readFileSync(fixture("fixest_formula_lang.json"), "utf8"),
);

/** The data file a formula-language case was computed on. */
export function formulaLangData(c: FormulaLangCase): string {
  return fixture(c.data);
}

/** fixest 0.12.2 feglm on gravity_small (fixest_glm_gravity_small.json): one case. */
export interface GlmReferenceCase {
  id: string;
  family: "poisson" | "logit" | "probit";
  formula: string;
  vcov: "iid" | "hetero" | { cluster: string | string[] };
  weights?: string;
  subset?: { column: string; equals: number | string };
  result: {
    coef: Record<string, number>;
    se: Record<string, number>;
    z: Record<string, number>;
    p: Record<string, number>;
    nobs: number;
    nobs_removed_separation: number;
    loglik: number;
    deviance: number;
    pseudo_r2: number;
    iterations: number;
    dropped_collinear: string[];
  };
}

export const referenceGravity = fixture("gravity_small.csv.gz");

export const glmCases: GlmReferenceCase[] = JSON.parse(readFileSync(fixture("fixest_glm_gravity_small.json"), "utf8")).cases;

/** A GLM fit in the CLI's JSON shape. */
export interface GlmFitLike {
  family: string;
  nobs: number;
  loglik: number;
  deviance: number;
  pseudo_r2: number;
  dropped_rows: { separation?: number };
  dropped_collinear: string[];
  coefficients: { name: string; estimate: number; se: number; z: number; p: number }[];
}

/**
 * Checks one GLM fit against a reference case at the tolerances: coefficients 1e-6, se,
 * z and p 1e-4, nobs and separated rows exact, loglik and deviance 1e-8. The pseudo R² is checked
 * on unweighted cases only: with weights fixest's null log-likelihood weights Σ log y! by 1 and the
 * rest by w (its weighted pr2 is 1.58 here); absorb weights every term.
 */
export function expectMatchesGlmReference(fit: GlmFitLike, c: GlmReferenceCase): void {
  const r = c.result;
  expect(fit.family, `${c.id} family`).toBe(c.family);
  expect(fit.nobs, `${c.id} nobs`).toBe(r.nobs);
  expect(fit.dropped_rows.separation, `${c.id} rows separated`).toBe(r.nobs_removed_separation);
  expect([...fit.dropped_collinear].sort(), `${c.id} dropped_collinear`).toEqual([...r.dropped_collinear].sort());
  expect(fit.coefficients.map((x) => x.name).sort(), `${c.id} coefficient names`).toEqual(Object.keys(r.coef).sort());
  for (const co of fit.coefficients) {
    expectRelative(co.estimate, r.coef[co.name], 1e-6, `${c.id} coef ${co.name}`);
    expectRelative(co.se, r.se[co.name], 1e-4, `${c.id} se ${co.name}`);
    expectRelative(co.z, r.z[co.name], 1e-4, `${c.id} z ${co.name}`);
    expectPValue(co.p, r.p[co.name], `${c.id} p ${co.name}`);
  }
  expectRelative(fit.loglik, r.loglik, 1e-8, `${c.id} loglik`);
  expectRelative(fit.deviance, r.deviance, 1e-8, `${c.id} deviance`);
  if (!c.weights) expectRelative(fit.pseudo_r2, r.pseudo_r2, 1e-8, `${c.id} pseudo_r2`);
}
