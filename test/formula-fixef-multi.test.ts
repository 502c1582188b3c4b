import { describe, expect, test } from "vitest";
import { feols, feolsMulti } from "../src/index.js";
import { parseMultiFormula } from "../src/formula/parse.js";
import { generatePanel } from "../src/study/synthetic.js";
import type { NumericColumn } from "../src/data/frame.js";

describe("multiple estimation in the fixed-effect part (issue 16)", () => {
  test("csw0 and sw in the fixed effects expand in fixest's order: fixed effects, then left side, then right side", () => {
    const specs = parseMultiFormula("c(y1, y2) ~ x + sw(a, b) | csw0(f, g^h)");
    expect(specs.map((s) => s.formula)).toEqual([
      "y1 ~ x + a", "y1 ~ x + b", "y2 ~ x + a", "y2 ~ x + b",
      "y1 ~ x + a | f", "y1 ~ x + b | f", "y2 ~ x + a | f", "y2 ~ x + b | f",
      "y1 ~ x + a | f + g^h", "y1 ~ x + b | f + g^h", "y2 ~ x + a | f + g^h", "y2 ~ x + b | f + g^h",
    ]);
    expect(specs[0]!.intercept).toBe(true);
    expect(parseMultiFormula("y ~ x | year + sw(firm, industry)").map((s) => s.formula)).toEqual(["y ~ x | year + firm", "y ~ x | year + industry"]);
  });

  test("each fit equals the fit of its own formula, bit for bit", async () => {
    const panel = generatePanel({ firms: 600, seed: 3 });
    const col = (name: string) => (panel.columns.get(name) as NumericColumn).values;
    const data = { dvar: col("dvar"), robot: col("robot"), ln_age: col("ln_age"), finance: col("finance"), firm_id: col("firm_id"), year: col("year") };
    const m = await feolsMulti(data, "dvar ~ robot + csw(ln_age, finance) | csw0(firm_id, year)", { vcov: "hetero" });
    expect(m.fits.map((f) => f.label)).toEqual([
      "fixef: 1; rhs: robot + ln_age", "fixef: 1; rhs: robot + ln_age + finance",
      "fixef: firm_id; rhs: robot + ln_age", "fixef: firm_id; rhs: robot + ln_age + finance",
      "fixef: firm_id + year; rhs: robot + ln_age", "fixef: firm_id + year; rhs: robot + ln_age + finance",
    ]);
    for (const f of m.fits) {
      const alone = await feols(data, f.formula, { vcov: "hetero" });
      expect(f.result.coefficients, f.label).toEqual(alone.coefficients);
      expect(f.result.nobs).toBe(alone.nobs);
      expect(f.result.r2).toBe(alone.r2);
    }
    expect(m.select({ fixef: "firm_id" })).toHaveLength(2);
  });
});
