import { describe, expect, test } from "vitest";
import { InputError } from "../src/core/errors.js";
import { parseFormula, parseMultiFormula, termName, type ModelSpec } from "../src/formula/parse.js";

/** The InputError a formula raises; fails the test if it parses. */
function formulaError(text: string): InputError {
  try {
    parseMultiFormula(text);
  } catch (err) {
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("formula");
    return err as InputError;
  }
  throw new Error(`expected "${text}" to be rejected`);
}

/** Checks the message says `phrase`, quotes the formula and puts the caret under 0-based `pos`. */
function expectError(text: string, phrase: string | RegExp, pos: number): void {
  const lines = formulaError(text).message.split("\n");
  expect(lines[0]).toMatch(phrase);
  expect(lines[0]).toContain(`(column ${pos + 1})`);
  expect(lines[1]).toBe(`  ${text.replace(/\s/g, " ")}`);
  expect(lines[2]).toBe(`  ${" ".repeat(pos)}^`);
}

const v = (name: string) => ({ kind: "variable", name }) as const;
const fe = (...variables: string[]) => ({ variables, name: variables.join("^") });

describe("reference formulas", () => {
  test("dvar ~ robot", () => {
    expect(parseFormula("dvar ~ robot")).toEqual<ModelSpec>({
      formula: "dvar ~ robot",
      depvar: "dvar",
      terms: [v("robot")],
      intercept: true,
      fixedEffects: [],
      endogenous: [],
      instruments: [],
      variables: ["dvar", "robot"],
      derived: [],
    });
  });

  test("dvar ~ robot | firm_id + year", () => {
    expect(parseFormula("dvar ~ robot | firm_id + year")).toEqual<ModelSpec>({
      formula: "dvar ~ robot | firm_id + year",
      depvar: "dvar",
      terms: [v("robot")],
      intercept: false,
      fixedEffects: [fe("firm_id"), fe("year")],
      endogenous: [],
      instruments: [],
      variables: ["dvar", "robot", "firm_id", "year"],
      derived: [],
    });
  });

  test("controls with an interacted fixed effect", () => {
    const text = "dvar ~ robot + ln_age + finance + fin_constraints + cap_intensity + hhi | firm_id + industry^year";
    const controls = ["robot", "ln_age", "finance", "fin_constraints", "cap_intensity", "hhi"];
    expect(parseFormula(text)).toEqual<ModelSpec>({
      formula: text,
      depvar: "dvar",
      terms: controls.map(v),
      intercept: false,
      fixedEffects: [fe("firm_id"), fe("industry", "year")],
      endogenous: [],
      instruments: [],
      variables: ["dvar", ...controls, "firm_id", "industry", "year"],
      derived: [],
    });
  });

  test("IV with fixed effects", () => {
    const text = "dvar ~ ln_age + finance | firm_id + year | robot ~ robot_iv + density";
    expect(parseFormula(text)).toEqual<ModelSpec>({
      formula: text,
      depvar: "dvar",
      terms: [v("ln_age"), v("finance")],
      intercept: false,
      fixedEffects: [fe("firm_id"), fe("year")],
      endogenous: ["robot"],
      instruments: ["robot_iv", "density"],
      variables: ["dvar", "ln_age", "finance", "firm_id", "year", "robot", "robot_iv", "density"],
      derived: [],
    });
  });

  test("the normalised formula parses back to the same spec", () => {
    for (const text of [
      "dvar~robot+ln_age|firm_id+industry^year",
      "y ~ x*z - 1",
      "y ~ 0 | e ~ z",
      "y ~ i(g, x, ref = 'a\"b') + `my var`",
      "y ~ 1 | f | e ~ z1 + z2",
    ]) {
      const spec = parseFormula(text);
      expect(parseFormula(spec.formula)).toEqual(spec);
    }
  });
});

describe("intercept", () => {
  test.each([
    ["y ~ x", true, "y ~ x"],
    ["y ~ x + 1", true, "y ~ x"],
    ["y ~ x - 1", false, "y ~ x - 1"],
    ["y ~ -1 + x", false, "y ~ x - 1"],
    ["y ~ 0 + x", false, "y ~ x - 1"],
    ["y ~ x + 0", false, "y ~ x - 1"],
    ["y ~ 1", true, "y ~ 1"],
    ["y ~ x - 1 | f", false, "y ~ x | f"],
  ])("%s", (text, intercept, formula) => {
    const spec = parseFormula(text);
    expect(spec.intercept).toBe(intercept);
    expect(spec.formula).toBe(formula);
  });
});

describe("fixed effects and IV", () => {
  test("several ^ in one fixed effect", () => {
    expect(parseFormula("y ~ x | a^b^c + d").fixedEffects).toEqual([fe("a", "b", "c"), fe("d")]);
  });

  test("IV without fixed effects keeps the intercept", () => {
    const spec = parseFormula("y ~ exog | endo ~ inst");
    expect(spec).toMatchObject({ intercept: true, fixedEffects: [], endogenous: ["endo"], instruments: ["inst"] });
    expect(spec.formula).toBe("y ~ exog | endo ~ inst");
  });

  test("1 on the right means no exogenous regressors", () => {
    const spec = parseFormula("y ~ 1 | fe | endo1 + endo2 ~ inst1 + inst2");
    expect(spec).toMatchObject({ terms: [], intercept: false, endogenous: ["endo1", "endo2"] });
    expect(spec.variables).toEqual(["y", "fe", "endo1", "endo2", "inst1", "inst2"]);
  });
});

describe("regressor terms", () => {
  test("interactions of several numeric variables", () => {
    expect(parseFormula("y ~ x:z:w").terms).toEqual([{ kind: "interaction", variables: ["x", "z", "w"] }]);
  });

  test("x*z expands to x + z + x:z, and repeated terms are dropped", () => {
    expect(parseFormula("y ~ x*z + x").formula).toBe("y ~ x + z + x:z");
    expect(parseFormula("y ~ a*b*c").formula).toBe("y ~ a + b + c + a:b + a:c + b:c + a:b:c");
    expect(parseFormula("y ~ x:z + z:x").terms).toHaveLength(1);
  });

  const factor = (variable: string, ref: (string | number)[] | null, by: string | null, dropFirst = false) =>
    ({ kind: "factor", style: "i", variable, by, ref, keep: null, drop: null, bin: null, dropFirst }) as const;

  test("i() forms", () => {
    expect(parseFormula(`y ~ i(region) + i(year, ref = 2010) + i(g, ref = "north") + i(t, x, ref = -1) + i(s, x)`).terms).toEqual([
      factor("region", null, null, true),
      factor("year", [2010], null),
      factor("g", ["north"], null),
      factor("t", [-1], "x"),
      factor("s", null, "x"),
    ]);
    expect(parseFormula("y ~ i(g, ref = 'a b')").formula).toBe(`y ~ i(g, ref = "a b")`);
  });

  test("termName", () => {
    const terms = parseFormula("y ~ x + x:z + i(region, w)").terms;
    expect(terms.map(termName)).toEqual(["x", "x:z", "region::"]);
  });

  test("backquoted names, dotted names and free whitespace", () => {
    const spec = parseFormula("`log wage`~\n\t.x1 +`a-b`:z|\n  f.e");
    expect(spec.depvar).toBe("log wage");
    expect(spec.formula).toBe("`log wage` ~ .x1 + `a-b`:z | f.e");
    expect(spec.variables).toEqual(["log wage", ".x1", "a-b", "z", "f.e"]);
  });

  test("i, c and sw are ordinary column names when not called", () => {
    expect(parseFormula("c ~ i + sw").variables).toEqual(["c", "i", "sw"]);
  });
});

describe("multiple estimation", () => {
  const formulas = (text: string) => parseMultiFormula(text).map((s) => s.formula);

  test("plain formula gives one model", () => {
    expect(formulas("y ~ x")).toEqual(["y ~ x"]);
  });

  test("sw, sw0, csw, csw0", () => {
    expect(formulas("y ~ x + sw(a, b + c) | f")).toEqual(["y ~ x + a | f", "y ~ x + b + c | f"]);
    expect(formulas("y ~ sw0(a, b)")).toEqual(["y ~ 1", "y ~ a", "y ~ b"]);
    expect(formulas("y ~ csw(a, b, c) + x")).toEqual(["y ~ a + x", "y ~ a + b + x", "y ~ a + b + c + x"]);
    expect(formulas("y ~ csw0(a, b) | f")).toEqual(["y ~ 1 | f", "y ~ a | f", "y ~ a + b | f"]);
  });

  test("c() on the left, combined with csw on the right", () => {
    expect(formulas("c(y1, y2) ~ csw(a, b)")).toEqual(["y1 ~ a", "y1 ~ a + b", "y2 ~ a", "y2 ~ a + b"]);
    expect(parseMultiFormula("c(y1, y2) ~ x").map((s) => s.variables)).toEqual([
      ["y1", "x"],
      ["y2", "x"],
    ]);
  });

  test("parseFormula refuses several models and points to parseMultiFormula", () => {
    expect(() => parseFormula("y ~ sw(a, b)")).toThrow(/expands to 2 models.*parseMultiFormula/);
    expect(() => parseFormula("c(y1, y2) ~ x")).toThrow(InputError);
  });
});

describe("syntax errors", () => {
  test("empty formula", () => {
    expectError("", /empty formula: expected something like 'y ~ x1 \+ x2'/, 0);
    expectError("   ", /empty formula/, 0);
  });

  test("missing ~", () => {
    expectError("y x", /missing '~': expected 'dependent variable ~ regressors'/, 3);
  });

  test("missing dependent variable", () => {
    expectError(" ~ x", /missing dependent variable: expected a column name before '~'/, 1);
  });

  test("dangling +", () => {
    expectError("y ~ x +", /dangling '\+': expected a term after it but found the end of the formula/, 6);
    expectError("y ~ x + | f", /dangling '\+'.*found '\|'/, 6);
    expectError("y ~ x | f +", /dangling '\+'/, 10);
    expectError("y ~ x | e ~ z +", /dangling '\+'/, 14);
  });

  test("unbalanced parentheses", () => {
    expectError("y ~ i(x", /unbalanced parentheses: this '\(' is never closed, expected '\)'/, 5);
    expectError("y ~ x)", /unbalanced parentheses: this '\)' has no matching '\('/, 5);
  });

  test("unknown function", () => {
    expectError("y ~ sin(x)", /unknown function sin\(\): the functions supported are i\(\), factor\(\), sunab\(\), I\(\), poly\(\), log\(\).*; create .* column \(e\.g\. sin_x\)/, 4);
    expectError("y ~ x | toString(f)", /unknown function toString\(\)/, 8);
  });

  test("more than three | parts", () => {
    expectError("y ~ x | f | e ~ z | w", /too many '\|': a formula has at most three parts/, 18);
  });

  test("IV part without ~", () => {
    expectError("y ~ x | f | e", /the third part must be the IV part, but it has no '~'/, 12);
    expectError("y ~ x | e ~ z | f", /the IV part .* must be the last part/, 14);
  });

  test("fewer instruments than endogenous variables", () => {
    expectError(
      "y ~ x | f | e1 + e2 ~ z",
      "the IV part has 2 endogenous variables (e1, e2) but only 1 instrument (z): expected at least as many instruments",
      20,
    );
  });

  test("a variable both endogenous and exogenous", () => {
    expectError("y ~ robot + x | f | robot ~ z", /'robot' is endogenous but also an exogenous regressor \(column 5\)/, 20);
    expectError("y ~ x:robot | robot ~ z", /'robot' is endogenous/, 14);
    expectError("y ~ x + z | e ~ z", /'z' is an instrument but also an exogenous regressor/, 16);
  });

  test("a fixed effect listed twice", () => {
    expectError("y ~ x | f + g + f", /fixed effect 'f' is listed twice \(also at column 9\)/, 16);
    expectError("y ~ x | a^b + b^a", /fixed effect 'b\^a' is listed twice/, 14);
    expectError("y ~ x | a^a", /'a' is listed twice as a variable in fixed effect 'a\^a'/, 10);
  });

  test("two multiple-estimation operators", () => {
    expectError("y ~ sw(a, b) + csw(c, d)", /only one sw\(\), csw\(\), sw0\(\) or csw0\(\) is allowed per formula; there is already sw\(\) at column 5/, 15);
    expectError("y ~ sw(a, csw0(b))", /only one sw\(\)/, 10);
  });

  test("misplaced functions and malformed terms", () => {
    expectError("y ~ x | a^sw(a, b)", /sw\(\) must be a term of its own among the regressors or the fixed effects/, 10);
    expectError("y ~ x | sw(a, b) + csw(c)", /only one sw\(\), csw\(\), sw0\(\) or csw0\(\) is allowed in the fixed-effect part/, 19);
    expectError("y ~ x | a + csw0(a, b)", /fixed effect 'a' is listed twice/, 17);
    expectError("y ~ x:sw(a, b)", /sw\(\) must be a term of its own/, 6);
    expectError("y ~ c(a, b)", /c\(\) is only allowed around the dependent variables/, 4);
    expectError("y ~ i(g)*x", /i\(\), factor\(\) and logical terms such as I\(x > 0\) cannot be combined with '\*': write i\(var, x\)/, 4);
    expectError("y ~ x - z", /only the intercept can be removed: expected '- 1'/, 6);
    expectError("y ~ x + 2", /the only numbers allowed among the regressors are '1', '- 1' and '\+ 0'/, 8);
    expectError("y ~ x z", /unexpected 'z': expected '\+', '\|' or the end of the formula/, 6);
    expectError("y ~ x # comment", /unexpected character '#'/, 6);
    expectError("y ~ `x", /unterminated backquoted name/, 4);
    expectError("y ~ x ~ z", /unexpected '~'/, 6);
  });

  test("malformed i()", () => {
    expectError("y ~ i(g, ref = north)", /expected a number or a quoted string after 'ref ='/, 15);
    expectError("y ~ i(g, kept = 1)", /i\(\) has no argument 'kept': the named arguments supported are ref, keep, drop and bin/, 9);
    expectError("y ~ i(ref = 1)", /i\(\) needs the factor variable first/, 4);
    expectError("y ~ i(g, g)", /i\(\) interacts 'g' with itself/, 9);
  });

  test("models that make no sense", () => {
    expectError("y ~ y + x", /the dependent variable 'y' also appears on the right of '~'/, 4);
    expectError("y ~ x | e ~ y", /the dependent variable 'y'/, 12);
    expectError("y ~ 0", /the model has nothing to estimate/, 2);
    expectError("c(y, y) ~ x", /'y' is listed twice as a dependent variable/, 5);
    expectError("y ~ x | e + e ~ z1 + z2", /'e' is listed twice as a variable in the IV part/, 12);
  });
});
