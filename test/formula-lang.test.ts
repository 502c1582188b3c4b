import { describe, expect, test } from "vitest";
import { feols, feolsMulti, predict, residuals, fixef } from "../src/index.js";
import { InputError } from "../src/core/errors.js";
import { parseFormula, type Term } from "../src/formula/parse.js";
import { MAX_TERMS } from "../src/formula/products.js";
import { generatePanel } from "../src/study/synthetic.js";
import type { CategoricalColumn, NumericColumn } from "../src/data/frame.js";
import { inputError } from "./helpers/errors.js";
import { absorb } from "./helpers/cli.js";
import { referencePanel } from "./helpers/reference.js";

async function rejected(p: Promise<unknown>, kind: string): Promise<InputError> {
  const err = await p.then(
    () => null,
    (e: unknown) => e,
  );
  expect(err).toBeInstanceOf(InputError);
  expect((err as InputError).kind).toBe(kind);
  return err as InputError;
}

const names = (text: string) => parseFormula(text).terms.map((t: Term) => (t.kind === "variable" ? t.name : t.kind === "interaction" ? t.variables.join(":") : t));

describe("transforms: fixest's names and a normalised formula that parses back to the same model", () => {
  test("names as R deparses them", () => {
    expect(names("y ~ log(a) + I(x^2) + I(x * z) + exp(-z) + log(1 + x) + I(x/2) + I(x * 100000) + sqrt(abs(x))")).toEqual([
      "log(a)", "I(x^2)", "I(x * z)", "exp(-z)", "log(1 + x)", "I(x/2)", "I(x * 1e+05)", "sqrt(abs(x))",
    ]);
    expect(names("y ~ I((x + 1)^2) + I(-x^2) + I((x >= 1) * 2)")).toEqual(["I((x + 1)^2)", "I(-x^2)", "I((x >= 1) * 2)"]);
    // A comparison is an R logical, which fixest expands as a factor: "I(x > 0)TRUE".
    expect(parseFormula("y ~ I(x >= 1 & z != 0)").terms).toMatchObject([{ kind: "factor", style: "logical", variable: "I(x >= 1 & z != 0)", dropFirst: true }]);
  });

  test("poly(), lags, leads, differences", () => {
    expect(names("y ~ poly(x, 3, raw = TRUE)")).toEqual(["poly(x, 3, raw = TRUE)1", "poly(x, 3, raw = TRUE)2", "poly(x, 3, raw = TRUE)3"]);
    expect(names("y ~ l(x, 0:2) + f(z) + d(w) + l(v, -1) + l(log(u), 1)")).toEqual(["x", "l(x, 1)", "l(x, 2)", "f(z, 1)", "d(w, 1)", "f(v, 1)", "l(log(u), 1)"]);
    expect(names("y ~ x:l(z, 0:1)")).toEqual(["x:z", "x:l(z, 1)"]);
  });

  test("the left side, instruments and the columns read", () => {
    const spec = parseFormula("log(1 + trade) ~ ln_dist | pair | l(rta, 1) ~ l(z, 1:2)");
    expect(spec.depvar).toBe("log(1 + trade)");
    expect(spec.endogenous).toEqual(["l(rta, 1)"]);
    expect(spec.instruments).toEqual(["l(z, 1)", "l(z, 2)"]);
    expect(spec.variables).toEqual(["trade", "ln_dist", "pair", "rta", "z"]);
    expect(spec.derived.map((d) => d.name)).toEqual(["log(1 + trade)", "l(rta, 1)", "l(z, 1)", "l(z, 2)"]);
  });

  test("factor() and i()'s arguments", () => {
    const [f, a, b, c] = parseFormula('y ~ factor(region) + i(period, treat, 5) + i(year, ref = c(2000, 2013), keep = 2004:2006) + i(g, bin = list("ab" = c("a", "b")))').terms;
    expect(f).toMatchObject({ kind: "factor", style: "factor", variable: "region", dropFirst: true });
    expect(a).toMatchObject({ style: "i", variable: "period", by: "treat", ref: [5], dropFirst: false });
    expect(b).toMatchObject({ ref: [2000, 2013], keep: [2004, 2005, 2006], dropFirst: false });
    expect(c).toMatchObject({ bin: [{ label: "ab", values: ["a", "b"] }], dropFirst: true });
  });

  test("i() without a reference drops its first level only when the dummies are collinear with the intercept or fixed effects", () => {
    const dropFirst = (text: string) => (parseFormula(text).terms[0] as Extract<Term, { kind: "factor" }>).dropFirst;
    expect(dropFirst("y ~ i(g)")).toBe(true);
    expect(dropFirst("y ~ i(g) | f")).toBe(true);
    expect(dropFirst("y ~ i(g) - 1")).toBe(false);
    expect(dropFirst("y ~ i(g, x) | f")).toBe(false);
    expect(dropFirst("y ~ factor(g) - 1")).toBe(false);
  });

  test("the normalised formula parses back to the same terms", () => {
    for (const text of [
      "log(a) ~ poly(x, 2, raw = TRUE) + I(x * z) + l(x, 0:1) + factor(g) + i(t, w, ref = c(1, 2), keep = 0:5) | f",
      'y ~ i(g, bin = list("ab" = c("a", "b")), drop = "c") + exp(-z):x',
    ]) {
      const spec = parseFormula(text);
      const again = parseFormula(spec.formula);
      expect(again.terms, spec.formula).toEqual(spec.terms);
      expect(again.formula).toBe(spec.formula);
    }
  });
});

describe("formula expansion is bounded and checks the columns first", () => {
  const product = (k: number) => Array.from({ length: k }, (_, j) => `x${j}`).join("*");

  test("x0*…*x25 on data without those columns names the missing column", async () => {
    const err = await rejected(feols({ y: [1, 2, 3], z: [1, 2, 4] }, `y ~ ${product(26)}`), "column");
    expect(err.message).toMatch(/columns? "x0".* not found in the data/);
  });

  test("an expansion past the limit is a formula error, not a RangeError", () => {
    expect(parseFormula(`y ~ ${product(13)}`).terms).toHaveLength(8191);
    const err = inputError(() => parseFormula(`y ~ ${product(14)}`), "formula");
    expect(err.message).toMatch(new RegExp(`more than the ${MAX_TERMS} terms allowed .* of 14 factors, has 16383`));
    expect(inputError(() => parseFormula(`y ~ ${product(5000)}`), "formula").message).toMatch(/of 5000 factors, has 2\^5000 − 1/);
  });

  test("through the CLI: exit 2 naming the column", () => {
    const r = absorb(["fit", "--data", referencePanel, "--formula", `dvar ~ ${product(26)}`, "--quiet"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/column.*"x0"/);
  });
});

describe("fits with transforms, factors and panel operators", () => {
  const panel = generatePanel({ firms: 400, seed: 5 });
  const col = (name: string) => (panel.columns.get(name) as NumericColumn).values;
  const region = panel.columns.get("region") as CategoricalColumn;
  const data = {
    dvar: col("dvar"),
    robot: col("robot"),
    assets: col("assets"),
    firm_id: col("firm_id"),
    year: col("year"),
    region: Array.from(region.codes, (c) => region.levels[c]!),
    log_assets: Array.from(col("assets"), Math.log),
  };
  const same = (a: number, b: number) => expect(Math.abs(a - b)).toBeLessThanOrEqual(1e-10 * Math.max(1, Math.abs(b)));

  test("log(x) equals the fit on a log column", async () => {
    const a = await feols(data, "dvar ~ log(assets) + robot | firm_id", { vcov: { cluster: "firm_id" } });
    const b = await feols(data, "dvar ~ log_assets + robot | firm_id", { vcov: { cluster: "firm_id" } });
    same(a.coef("log(assets)")!.estimate, b.coef("log_assets")!.estimate);
    same(a.coef("log(assets)")!.se, b.coef("log_assets")!.se);
  });

  test("transforms in the IV part equal the fit on transformed columns", async () => {
    const iv = { ...data, z: Array.from(data.robot, (r, i) => r + ((i * 7919) % 13) / 13), log_z: [] as number[] };
    iv.log_z = iv.z.map(Math.log);
    const a = await feols(iv, "dvar ~ 1 | firm_id | log(assets) ~ log(z)", { vcov: { cluster: "firm_id" } });
    const b = await feols(iv, "dvar ~ 1 | firm_id | log_assets ~ log_z", { vcov: { cluster: "firm_id" } });
    same(a.coef("log(assets)")!.estimate, b.coef("log_assets")!.estimate);
    same(a.coef("log(assets)")!.se, b.coef("log_assets")!.se);
  });

  test("a logical regressor is a factor named as fixest names it", async () => {
    const high = { ...data, high: Array.from(data.robot, (r) => (r > 3 ? 1 : 0)) };
    const a = await feols(high, "dvar ~ I(robot > 3) | firm_id", { vcov: { cluster: "firm_id" } });
    const b = await feols(high, "dvar ~ high | firm_id", { vcov: { cluster: "firm_id" } });
    expect(a.coefficients.map((c) => c.name)).toEqual(["I(robot > 3)TRUE"]);
    same(a.coef("I(robot > 3)TRUE")!.estimate, b.coef("high")!.estimate);
    same(a.coef("I(robot > 3)TRUE")!.se, b.coef("high")!.se);
  });

  test("i(year, ref = 1999) where 1999 is not a level lists the levels", async () => {
    const err = await rejected(feols(data, "dvar ~ i(year, ref = 1999) | firm_id"), "formula");
    expect(err.message).toMatch(/i\(year, ref = …\): 1999 is not a level of year; its levels are 2000, 2001, .*2013/);
  });

  test("infinite transforms (log 0) are dropped and counted as non-finite, NaN ones as missing", async () => {
    const y = [1, 2, 0, 4, 5, 6, 7, 9];
    const x = [1, -1, 2, 3, 5, 8, 13, 21];
    const fit = await feols({ y, x }, "log(y) ~ sqrt(x)");
    expect(fit.nobs).toBe(6);
    expect(fit.droppedRows).toMatchObject({ nonFinite: 1, missing: 1 });
  });

  test("lags are by time value: a gap gives a missing value; duplicates and a missing panel are errors", async () => {
    const d = { id: [1, 1, 1, 1, 2, 2, 2], t: [1, 2, 4, 5, 1, 2, 3], x: [1, 2, 4, 8, 3, 5, 7], y: [1, 3, 2, 5, 4, 6, 9] };
    const fit = await feols(d, "y ~ l(x, 1)", { panelId: ["id", "t"] });
    expect(fit.nobs).toBe(4); // (1,2), (1,5), (2,2), (2,3); the first periods and t = 4 after the gap have no lag
    expect(fit.droppedRows.missing).toBe(3);
    const manual = await feols({ y: [3, 5, 6, 9], lx: [1, 4, 3, 5] }, "y ~ lx");
    same(fit.coef("l(x, 1)")!.estimate, manual.coef("lx")!.estimate);
    const diff = await feols(d, "d(y) ~ x", { panelId: ["id", "t"] });
    const manualDiff = await feols({ dy: [2, 3, 2, 3], x: [2, 8, 5, 7] }, "dy ~ x");
    same(diff.coef("x")!.estimate, manualDiff.coef("x")!.estimate);
    expect((await rejected(feols(d, "y ~ l(x)"), "option")).message).toMatch(/l\(x, 1\) needs a panel: give panelId: \[id, time\]/);
    const dup = { ...d, t: [1, 2, 2, 5, 1, 2, 3] };
    expect((await rejected(feols(dup, "y ~ l(x)", { panelId: ["id", "t"] }), "data")).message).toMatch(/rows 2 and 3 have the same id \(1\) and t \(2\)/);
  });

  test("the panelId option serves a Newey–West vcov that names no panel, and goes with any vcov", async () => {
    const a = await feols(data, "dvar ~ robot | firm_id", { vcov: { type: "NW" }, panelId: ["firm_id", "year"] });
    const b = await feols(data, "dvar ~ robot | firm_id", { vcov: { type: "NW", panelId: ["firm_id", "year"] } });
    expect(a.coef("robot")!.se).toBe(b.coef("robot")!.se);
    const c = await feols(data, "dvar ~ robot | firm_id", { vcov: "hetero", panelId: ["firm_id", "year"] });
    expect(c.vcov.type).toBe("hetero");
  });

  test("y ~ 1 | fe: no coefficients; residuals and fixed effects are the group means'", async () => {
    const d = { y: [1, 2, 3, 10, 14, 5, 5, 8], g: ["a", "a", "a", "b", "b", "c", "c", "c"] };
    const fit = await feols(d, "y ~ 1 | g", { fixefRm: "none" });
    expect(fit.coefficients).toEqual([]);
    expect(fit.nobs).toBe(8);
    const means = { a: 2, b: 12, c: 6 };
    const res = residuals(fit);
    d.y.forEach((y, i) => same(res[i]!, y - means[d.g[i] as "a"]));
    const tss = d.y.reduce((s, y) => s + (y - 6) ** 2, 0);
    same(fit.r2, 1 - res.reduce((s, e) => s + e * e, 0) / tss);
    const [g] = fixef(fit);
    g!.values.forEach((v, j) => same(v, means[g!.levels[j] as "a"]));
  });

  test("interacted cluster variables equal clustering on the combined column", async () => {
    const withPair = { ...data, firm_region: data.region.map((r, i) => `${data.firm_id[i]}_${r}`), size: Array.from(data.year, (y) => y % 3) };
    const a = await feols(withPair, "dvar ~ robot | year", { vcov: { cluster: "region^size" } });
    const b = await feols({ ...withPair, rs: withPair.region.map((r, i) => `${r}_${withPair.size[i]}`) }, "dvar ~ robot | year", { vcov: { cluster: "rs" } });
    expect(a.coef("robot")!.se).toBe(b.coef("robot")!.se);
    expect(a.dfT).toBe(b.dfT);
  });

  test("multiple estimation with transforms equals the separate fits", async () => {
    const m = await feolsMulti(data, "dvar ~ csw(log(assets), I(robot^2), factor(region)) | year", { vcov: { cluster: "firm_id" } });
    for (const f of m.fits) {
      const alone = await feols(data, f.formula, { vcov: { cluster: "firm_id" } });
      expect(f.result.coefficients).toEqual(alone.coefficients);
    }
    expect(m.fits[2]!.result.coefficients.map((c) => c.name)).toEqual(["log(assets)", "I(robot^2)", "factor(region)east", "factor(region)west"]);
  });

  test("predict recomputes transforms on new rows", async () => {
    const fit = await feols(data, "dvar ~ log(assets) + I(robot^2)");
    const p = predict(fit, { assets: [Math.E, 1], robot: [2, 0] });
    const b = (n: string) => fit.coef(n)!.estimate;
    same(p.values[0]!, b("(Intercept)") + b("log(assets)") + 4 * b("I(robot^2)"));
    same(p.values[1]!, b("(Intercept)"));
  });
});

describe("unsupported constructs are errors that name them", () => {
  test.each([
    ["y ~ poly(x, 2)", /poly\(\) without raw = TRUE \(orthogonal polynomials\) is not supported/],
    ["y ~ x | log(f)", /log\(\) is not allowed here: transforms stand for variables .* not fixed effects/],
    ["y ~ log(x, 2)", /log\(\) takes one argument here: for another base use log2\(\), log10\(\)/],
    ["y ~ I(l(x, 0:2))", /a range of lags gives several columns and cannot be used inside an expression/],
    ["y ~ i(g, bin = c(1, 2))", /bin must be written bin = list\("label" = c\(value, …\), …\)/],
    ["y ~ factor(g):x", /i\(\), factor\(\) and logical terms such as I\(x > 0\) cannot be combined with ':'/],
    ["poly(x, 2, raw = TRUE) ~ z", /expected the dependent variable \(one column\) but this gives 2/],
    ["y ~ tanh(x)", /unknown function tanh\(\)/],
  ])("%s", (text, pattern) => {
    expect(inputError(() => parseFormula(text), "formula").message).toMatch(pattern);
  });
});

describe("predict with i() whose first level the fit dropped", () => {
  test("new rows without the fit's first level get the fit's coefficients", async () => {
    const d = { y: [1, 2, 4, 3, 7, 8, 6, 9], g: ["a", "a", "b", "b", "c", "c", "b", "c"] };
    const fit = await feols(d, "y ~ i(g)");
    const b = (n: string) => fit.coef(n)!.estimate;
    const p = predict(fit, { g: ["c", "b"] });
    expect(p.values[0]).toBeCloseTo(b("(Intercept)") + b("g::c"), 12);
    expect(p.values[1]).toBeCloseTo(b("(Intercept)") + b("g::b"), 12);
    expect(p.unseen).toBe(0);
  });
});

describe("sunab() on a small staggered panel", () => {
  test("cells, their averages by relative period and the ATT, weighted by cell size", async () => {
    // Units 1–2 treated in 2002, unit 3 in 2003, unit 4 never (cohort 0, outside the periods), 2000–2004.
    const unit: number[] = [];
    const year: number[] = [];
    const cohort: number[] = [];
    const y: number[] = [];
    const cohorts = [2002, 2002, 2003, 0];
    cohorts.forEach((c, u) => {
      for (let t = 2000; t <= 2004; t++) {
        unit.push(u);
        year.push(t);
        cohort.push(c);
        y.push(u * 0.3 + (t - 2000) * 0.1 + (c > 0 && t >= c ? 1 + 0.2 * (t - c) : 0) + (((u * 5 + t) * 7919) % 11) / 50);
      }
    });
    const fit = await feols({ y, unit, year, cohort }, "y ~ sunab(cohort, year) | unit + year", { vcov: "hetero" });
    // Relative periods: 2002 cohort −2..2 (−1 the reference), 2003 cohort −3..1.
    expect(fit.coefficients.map((c) => c.name)).toEqual(["year::-3", "year::-2", "year::0", "year::1", "year::2"]);
    expect(fit.sunab!.cells.map((c) => c.name)).toEqual([
      "year::-3:cohort::2003", "year::-2:cohort::2002", "year::-2:cohort::2003", "year::0:cohort::2002", "year::0:cohort::2003",
      "year::1:cohort::2002", "year::1:cohort::2003", "year::2:cohort::2002",
    ]);
    const cell = (n: string) => fit.sunab!.cells.find((c) => c.name === n)!.estimate;
    // Period 0: two rows of the 2002 cohort, one of 2003's.
    expect(fit.coef("year::0")!.estimate).toBeCloseTo((2 * cell("year::0:cohort::2002") + cell("year::0:cohort::2003")) / 3, 12);
    const post = ["year::0:cohort::2002", "year::0:cohort::2003", "year::1:cohort::2002", "year::1:cohort::2003", "year::2:cohort::2002"];
    const mass = [2, 1, 2, 1, 2];
    expect(fit.sunab!.att.estimate).toBeCloseTo(post.reduce((s, n, j) => s + mass[j]! * cell(n), 0) / 8, 12);
  });
});
