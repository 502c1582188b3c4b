import { describe, expect, test } from "vitest";
import { feols, feolsMulti, fixef } from "../src/index.js";
import { InputError } from "../src/core/errors.js";
import { parseFormula } from "../src/formula/parse.js";
import { generatePanel } from "../src/study/synthetic.js";
import type { NumericColumn } from "../src/data/frame.js";
import { inputError } from "./helpers/errors.js";

describe("varying slopes fe[x], fe[[x]], fe[x1, x2] (issue 16)", () => {
  test("parsed with fixest's names and normalised back", () => {
    const spec = parseFormula("y ~ x | firm + industry[year] + region[[t, u]]");
    expect(spec.fixedEffects).toEqual([
      { variables: ["firm"], name: "firm" },
      { variables: ["industry"], name: "industry[year]", slopes: ["year"], slopesOnly: false },
      { variables: ["region"], name: "region[[t, u]]", slopes: ["t", "u"], slopesOnly: true },
    ]);
    expect(spec.formula).toBe("y ~ x | firm + industry[year] + region[[t, u]]");
    expect(spec.variables).toEqual(["y", "x", "firm", "industry", "year", "region", "t", "u"]);
    expect(inputError(() => parseFormula("y ~ x | f[t"), "formula").message).toMatch(/expected '\]' closing the varying slopes/);
    expect(inputError(() => parseFormula("y ~ x | f[[t]"), "formula").message).toMatch(/expected '\]\]' closing the varying slopes/);
  });

  const panel = generatePanel({ firms: 300, seed: 11 });
  const col = (name: string) => (panel.columns.get(name) as NumericColumn).values;
  const data = {
    dvar: col("dvar"), robot: col("robot"), finance: col("finance"), firm_id: col("firm_id"), year: col("year"),
    industry: col("industry"), age: col("ln_age"),
  };
  const same = (a: number, b: number, what: string) => expect(Math.abs(a - b), what).toBeLessThanOrEqual(1e-9 * Math.max(1, Math.abs(b)));
  const compare = async (slopes: string, explicit: string) => {
    const a = await feols(data, `dvar ~ robot + finance | ${slopes}`, { vcov: "iid", fixefRm: "none" });
    const b = await feols(data, `dvar ~ robot + finance + ${explicit}`, { vcov: "iid", fixefRm: "none" });
    for (const name of ["robot", "finance"]) same(a.coef(name)!.estimate, b.coef(name)!.estimate, `${slopes}: ${name}`);
    expect(a.nobs).toBe(b.nobs);
    same(a.r2, b.r2, `${slopes}: r2`);
    return { a, b };
  };

  test("industry[year] equals industry effects plus i(industry, year)", async () => {
    await compare("year + industry[year]", "i(industry, year) | year + industry");
  });

  test("industry[[year]] equals i(industry, year) alone", async () => {
    await compare("firm_id + industry[[year]]", "i(industry, year) | firm_id");
  });

  test("industry[year, age] equals the effects plus two sets of slopes", async () => {
    await compare("year + industry[year, age]", "i(industry, year) + i(industry, age) | year + industry");
  });

  test("firm_id[year] (one slope per firm) equals the fit on explicit firm slopes, with the slopes counted in K", async () => {
    const small = generatePanel({ firms: 60, seed: 2 });
    const c = (name: string) => (small.columns.get(name) as NumericColumn).values;
    const d = { dvar: c("dvar"), robot: c("robot"), firm_id: c("firm_id"), year: c("year") };
    const a = await feols(d, "dvar ~ robot | firm_id[year] + year", { vcov: "iid", fixefRm: "none" });
    const b = await feols(d, "dvar ~ robot + i(firm_id, year) | firm_id + year", { vcov: "iid", fixefRm: "none" });
    same(a.coef("robot")!.estimate, b.coef("robot")!.estimate, "robot");
    // fixest counts every slope in K; the explicit model drops the slopes it cannot identify (firms
    // with one year, and one collinear with the year effects) as collinear regressors.
    expect(b.droppedCollinear.length).toBeGreaterThan(0);
    expect(a.dfK).toBe(b.dfK + b.droppedCollinear.length);
    same(a.coef("robot")!.se, b.coef("robot")!.se * Math.sqrt((b.nobs - b.dfK) / (a.nobs - a.dfK)), "robot se");
  });

  test("multiple estimation over slope specifications equals the separate fits", async () => {
    const m = await feolsMulti(data, "dvar ~ robot | sw(firm_id + industry[year], firm_id + industry[[year]])", { vcov: { cluster: "firm_id" } });
    for (const f of m.fits) {
      const alone = await feols(data, f.formula, { vcov: { cluster: "firm_id" } });
      expect(f.result.coefficients).toEqual(alone.coefficients);
    }
  });

  test("what slopes do not support is refused by name", async () => {
    const fit = await feols(data, "dvar ~ robot | year + industry[year]");
    expect(() => fixef(fit)).toThrow(InputError);
    const iv = await feols(data, "dvar ~ 1 | year + industry[year] | robot ~ finance").catch((e: unknown) => e);
    expect(iv).toBeInstanceOf(InputError);
    expect((iv as Error).message).toMatch(/varying slopes .* are supported for OLS, not IV/);
  });
});
