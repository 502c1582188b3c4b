import { describe, expect, test } from "vitest";
import { feols, readFrame, type Frame } from "../src/index.js";
import { expectRelative, formulaLangData, formulaLangReference, type FormulaLangCase } from "./helpers/reference.js";
import { absorbJson } from "./helpers/cli.js";

/** Issue 15's cases (fixest's formula language, part 1). */
const PART1 = [
  "log_lhs", "log_rhs", "I_square", "I_product", "exp_sqrt", "poly_raw", "factor_rhs", "i_no_ref", "i_no_ref_icpt",
  "i_slopes", "i_event_keep", "i_two_refs", "lag_range", "lead_lag", "diff", "cluster_interacted",
];
const cases = formulaLangReference.cases.filter((c) => PART1.includes(c.id));
/** Issue 16's varying-slopes cases. */
const slopeCases = formulaLangReference.cases.filter((c) => c.id.startsWith("slopes_"));
/** Issue 16's sunab() case (Sun and Abraham on gravity_small): aggregated coefficients, the ATT and the number of cells. */
const sunabCase = formulaLangReference.cases.find((c) => c.id === "sunab_ols")!;

interface FitJson {
  sunab?: { cells: { name: string; estimate: number; se: number }[]; att: { estimate: number; se: number } };
  nobs: number;
  df_t: number;
  r2: number;
  dropped_collinear: string[];
  coefficients: { name: string; estimate: number; se: number }[];
}

function expectMatches(fit: FitJson, c: FormulaLangCase): void {
  const r = c.result;
  expect(fit.nobs, `${c.id} nobs`).toBe(r.nobs);
  expect(fit.df_t, `${c.id} df_t`).toBe(r.df_t);
  expect([...fit.dropped_collinear].sort(), `${c.id} dropped_collinear`).toEqual([...r.dropped_collinear].sort());
  expect(fit.coefficients.map((x) => x.name), `${c.id} coefficient names`).toEqual(Object.keys(r.coef));
  for (const co of fit.coefficients) {
    expectRelative(co.estimate, r.coef[co.name]!, 1e-6, `${c.id} coef ${co.name}`);
    expectRelative(co.se, r.se[co.name]!, 1e-4, `${c.id} se ${co.name}`);
  }
  expectRelative(fit.r2, r.r2, 1e-6, `${c.id} r2`);
}

const frames = new Map<string, Promise<Frame>>();
const frameOf = (c: FormulaLangCase) => {
  const path = formulaLangData(c);
  if (!frames.has(path)) frames.set(path, readFrame(path));
  return frames.get(path)!;
};

describe("fixest's formula language (part 1), through the API", () => {
  test("every part-1 case is in the reference", () => expect(cases.map((c) => c.id).sort()).toEqual([...PART1].sort()));
  test.each(cases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const fit = await feols(await frameOf(c), c.formula, { vcov: c.vcov, fixefRm: c.fixef_rm, panelId: c.panel_id, tol: 1e-10 });
    expectMatches(fit.toJSON() as unknown as FitJson, c);
  });
});

describe("fixest's formula language (part 1), through absorb fit --json", () => {
  test.each(cases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const vcov = typeof c.vcov === "object" ? `cluster:${[c.vcov.cluster].flat().join("+")}` : c.vcov;
    const args = ["fit", "--data", formulaLangData(c), "--formula", c.formula, "--vcov", vcov, "--fixef-rm", c.fixef_rm, "--tol", "1e-10", "--quiet"];
    if (c.panel_id) args.push("--panel-id", c.panel_id.join(","));
    const { status, json, stderr } = absorbJson(args);
    expect(status, stderr).toBe(0);
    expectMatches(json, c);
  });
});

describe("sunab() (issue 16), through the API and absorb fit --json", () => {
  const expectSunab = (fit: FitJson) => {
    expectMatches(fit, sunabCase);
    const ref = sunabCase.result as Required<typeof sunabCase.result>;
    expect(fit.sunab!.cells).toHaveLength(ref.cells);
    expectRelative(fit.sunab!.att.estimate, ref.att.coef, 1e-6, "ATT");
    expectRelative(fit.sunab!.att.se, ref.att.se, 1e-4, "ATT se");
  };
  test("API", async () => {
    const fit = await feols(await frameOf(sunabCase), sunabCase.formula, { vcov: sunabCase.vcov, fixefRm: "none", tol: 1e-10 });
    expectSunab(fit.toJSON() as unknown as FitJson);
  });
  test("CLI", () => {
    const args = ["fit", "--data", formulaLangData(sunabCase), "--formula", sunabCase.formula, "--vcov", "cluster:pair", "--fixef-rm", "none", "--tol", "1e-10", "--quiet"];
    const { status, json, stderr } = absorbJson(args);
    expect(status, stderr).toBe(0);
    expectSunab(json);
  });
});

describe("varying slopes (issue 16), through the API and absorb fit --json", () => {
  test("the three slope cases are in the reference", () => expect(slopeCases.map((c) => c.id)).toEqual(["slopes_industry", "slopes_only", "slopes_firm"]));
  test.each(slopeCases.map((c) => [c.id, c] as const))("API %s", async (_id, c) => {
    const fit = await feols(await frameOf(c), c.formula, { vcov: c.vcov, fixefRm: c.fixef_rm });
    expectMatches(fit.toJSON() as unknown as FitJson, c);
  });
  test.each(slopeCases.map((c) => [c.id, c] as const))("CLI %s", (_id, c) => {
    const vcov = `cluster:${[(c.vcov as { cluster: string }).cluster].flat().join("+")}`;
    const { status, json, stderr } = absorbJson(["fit", "--data", formulaLangData(c), "--formula", c.formula, "--vcov", vcov, "--fixef-rm", c.fixef_rm, "--quiet"]);
    expect(status, stderr).toBe(0);
    expectMatches(json, c);
  });
});
