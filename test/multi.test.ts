import { beforeAll, describe, expect, test } from "vitest";
import { feols, feolsMulti, InputError, type FeolsResult, type Frame, type FeolsOptions } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";

/** Coefficients, standard errors and the sample of `a` equal those of `b` to 1e-12 relative. */
function expectSameFit(a: FeolsResult, b: FeolsResult): void {
  expect(a.nobs).toBe(b.nobs);
  expect(a.droppedRows).toEqual(b.droppedRows);
  expect(a.coefficients.map((c) => c.name)).toEqual(b.coefficients.map((c) => c.name));
  a.coefficients.forEach((c, i) => {
    const d = b.coefficients[i];
    expect(Math.abs(c.estimate - d.estimate)).toBeLessThanOrEqual(1e-12 * Math.abs(d.estimate));
    expect(Math.abs(c.se - d.se)).toBeLessThanOrEqual(1e-12 * d.se);
  });
  expect(a.r2).toBe(b.r2);
  expect(a.dfT).toBe(b.dfT);
  expect(a.formula).toBe(b.formula);
}

let panel: Frame;
beforeAll(() => {
  panel = generatePanel({ firms: 1500, seed: 11 });
});

const cluster: FeolsOptions = { vcov: { cluster: "firm_id" } };

describe("feolsMulti reproduces the separate fits", () => {
  test("sw(): one model per argument, with different missing-value samples", async () => {
    // finance has missing values, ln_age none: the two steps have different samples.
    const multi = await feolsMulti(panel, "dvar ~ sw(robot + ln_age, robot + finance) | firm_id + year", cluster);
    expect(multi.length).toBe(2);
    const one = await feols(panel, "dvar ~ robot + ln_age | firm_id + year", cluster);
    const two = await feols(panel, "dvar ~ robot + finance | firm_id + year", cluster);
    expectSameFit(multi.fits[0].result, one);
    expectSameFit(multi.fits[1].result, two);
    expect(multi.fits[0].result.nobs).toBeGreaterThan(multi.fits[1].result.nobs);
    expect(multi.fits.map((f) => f.rhs)).toEqual(["robot + ln_age", "robot + finance"]);
    expect(multi.fits[1].label).toBe("rhs: robot + finance");
  });

  test("csw(): cumulative regressors, bit-identical estimates", async () => {
    const multi = await feolsMulti(panel, "dvar ~ csw(robot, ln_age, profitability) | firm_id + year", { vcov: "hetero" });
    const formulas = ["dvar ~ robot | firm_id + year", "dvar ~ robot + ln_age | firm_id + year", "dvar ~ robot + ln_age + profitability | firm_id + year"];
    expect(multi.fits.map((f) => f.formula)).toEqual(formulas);
    for (let i = 0; i < formulas.length; i++) {
      const alone = await feols(panel, formulas[i], { vcov: "hetero" });
      expectSameFit(multi.fits[i].result, alone);
      // Same demeaned columns, same solver: the same bytes.
      expect(multi.fits[i].result.coefficients).toEqual(alone.coefficients);
    }
  });

  test("weights and two-way clustering are carried to every model", async () => {
    const opts: FeolsOptions = { weights: "assets", vcov: { cluster: ["firm_id", "year"] } };
    const multi = await feolsMulti(panel, "dvar ~ csw(robot, ln_age) | firm_id + year", opts);
    for (const fit of multi) expectSameFit(fit.result, await feols(panel, fit.formula, opts));
  });

  test("csw0() and sw0() start with the model without the stepped regressors", async () => {
    const multi = await feolsMulti(panel, "dvar ~ robot + csw0(ln_age, profitability) | firm_id + year");
    expect(multi.fits.map((f) => f.formula)).toEqual([
      "dvar ~ robot | firm_id + year",
      "dvar ~ robot + ln_age | firm_id + year",
      "dvar ~ robot + ln_age + profitability | firm_id + year",
    ]);
    expectSameFit(multi.fits[0].result, await feols(panel, "dvar ~ robot | firm_id + year"));
  });

  test("c(): several dependent variables, and an intercept model without fixed effects", async () => {
    const multi = await feolsMulti(panel, "c(dvar, profitability, innovation) ~ robot + ln_age + i(region, ref = \"east\")", cluster);
    expect(multi.fits.map((f) => f.depvar)).toEqual(["dvar", "profitability", "innovation"]);
    expect(multi.fits[2].label).toBe("lhs: innovation");
    for (const fit of multi) {
      const alone = await feols(panel, `${fit.depvar} ~ robot + ln_age + i(region, ref = "east")`, cluster);
      expectSameFit(fit.result, alone);
      expect(fit.result.coefficients.map((c) => c.name)).toContain("region::west");
    }
  });

  test("c() × csw() gives every combination, dependent variable first", async () => {
    const multi = await feolsMulti(panel, "c(dvar, gap) ~ csw(robot, robot:soe) | firm_id + year", cluster);
    expect(multi.fits.map((f) => f.label)).toEqual([
      "lhs: dvar; rhs: robot",
      "lhs: dvar; rhs: robot + robot:soe",
      "lhs: gap; rhs: robot",
      "lhs: gap; rhs: robot + robot:soe",
    ]);
    for (const fit of multi) expectSameFit(fit.result, await feols(panel, fit.formula, cluster));
  });

  test("split: one fit per level, each equal to the fit on that subset", async () => {
    const multi = await feolsMulti(panel, "dvar ~ robot + ln_age | firm_id + year", { ...cluster, split: "region" });
    const region = panel.columns.get("region")!;
    if (region.kind !== "categorical") throw new Error("region is categorical");
    const levels = [...region.levels].sort();
    expect(multi.fits.map((f) => f.sample?.level)).toEqual(levels);
    for (const fit of multi) {
      const code = region.levels.indexOf(String(fit.sample!.level));
      const subset = Uint8Array.from(region.codes, (c) => (c === code ? 1 : 0));
      expectSameFit(fit.result, await feols(panel, "dvar ~ robot + ln_age | firm_id + year", { ...cluster, subset }));
    }
    expect(multi.select({ level: "west" })).toHaveLength(1);
  });

  test("fsplit with a subset and csw(): full sample first, then each level of a numeric column", async () => {
    const year = panel.columns.get("year")!;
    if (year.kind !== "numeric") throw new Error("year is numeric");
    const subset = Uint8Array.from(year.values, (y) => (y >= 2004 ? 1 : 0));
    const multi = await feolsMulti(panel, "dvar ~ csw(robot, finance) | firm_id + year", { fsplit: "soe", subset });
    expect(multi.fits.map((f) => f.sample?.level)).toEqual([null, null, 0, 0, 1, 1]);
    expect(multi.fits[0].label).toBe("sample: Full sample; rhs: robot");
    expect(multi.fits[5].label).toBe("sample: soe = 1; rhs: robot + finance");
    const soe = (panel.columns.get("soe") as { values: Float64Array }).values;
    for (const fit of multi) {
      const lv = fit.sample!.level;
      const mask = Uint8Array.from(subset, (s, r) => (s && (lv === null || soe[r] === lv) ? 1 : 0));
      expectSameFit(fit.result, await feols(panel, fit.formula, { subset: mask }));
    }
  });

  test("IV models are estimated one by one, equal to feols", async () => {
    const multi = await feolsMulti(panel, "c(dvar, gap) ~ ln_age | firm_id + year | robot ~ robot_iv", cluster);
    expect(multi.length).toBe(2);
    for (const fit of multi) expectSameFit(fit.result, await feols(panel, fit.formula, cluster));
  });

  test("a single-model formula gives one fit equal to feols", async () => {
    const multi = await feolsMulti(panel, "dvar ~ robot | firm_id + year", cluster);
    expect(multi.length).toBe(1);
    expect(multi.fits[0].label).toBe("dvar ~ robot | firm_id + year");
    expect(multi.fits[0].result.coefficients).toEqual((await feols(panel, "dvar ~ robot | firm_id + year", cluster)).coefficients);
    expect(JSON.parse(JSON.stringify(multi)).fits[0].result.nobs).toBe(multi.fits[0].result.nobs);
  });
});

describe("feolsMulti errors", () => {
  test("an unknown split column is named", async () => {
    const err = await feolsMulti(panel, "dvar ~ robot | firm_id", { split: "province" }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/unknown split column.*"province"/);
  });

  test("split and fsplit together are refused", async () => {
    await expect(feolsMulti(panel, "dvar ~ robot | firm_id", { split: "soe", fsplit: "region" })).rejects.toThrow(/split or fsplit, not both/);
  });

  test("a failing model is named in the error", async () => {
    // soe is constant within firm: absorbed in every model, nothing else to estimate.
    const err = await feolsMulti(panel, "dvar ~ soe | firm_id", { split: "region" }).catch((e) => e);
    expect(err.message).toMatch(/model "sample: region = central"/);
  });
});
