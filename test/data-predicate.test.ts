import { describe, expect, test } from "vitest";
import { InputError } from "../src/core/errors.js";
import { frameFromRecord } from "../src/data/readers/arrow.js";
import { evaluatePredicate, parsePredicate } from "../src/data/predicate.js";
import { inputError } from "./helpers/errors.js";


/** Checks a syntax error's first line, and that it shows the text with a caret under 0-based `pos`. */
function expectSyntaxError(text: string, phrase: string, pos: number): void {
  const lines = inputError(() => parsePredicate(text), "predicate").message.split("\n");
  expect(lines[0]).toContain(`(column ${pos + 1})`);
  expect(lines[0]).toContain(phrase);
  expect(lines[0]).toContain(`e.g. "year >= 2005 and region != 'west'"`);
  expect(lines[1]).toBe(`  ${text}`);
  expect(lines[2]).toBe(`  ${" ".repeat(pos)}^`);
}

describe("parsePredicate", () => {
  test("comparisons joined by and (any case), with numbers and both kinds of quotes", () => {
    const p = parsePredicate(`year >= 2005 AND region != 'west' and soe == 1 And name = "O\\"Brien"`);
    expect(p.clauses.map(({ column, op, value }) => ({ column, op, value }))).toEqual([
      { column: "year", op: ">=", value: { kind: "number", value: 2005, text: "2005" } },
      { column: "region", op: "!=", value: { kind: "string", value: "west" } },
      { column: "soe", op: "=", value: { kind: "number", value: 1, text: "1" } },
      { column: "name", op: "=", value: { kind: "string", value: 'O"Brien' } },
    ]);
    expect(p.columns).toEqual(["year", "region", "soe", "name"]);
  });

  test("every operator, signed and decimal numbers, no spaces needed", () => {
    const p = parsePredicate("a<-1.5 and b<=.5 and c>1e3 and d=2 and e!=0 and f>=+3");
    expect(p.clauses.map((c) => [c.op, c.value.kind === "number" ? c.value.value : NaN])).toEqual([
      ["<", -1.5],
      ["<=", 0.5],
      [">", 1000],
      ["=", 2],
      ["!=", 0],
      [">=", 3],
    ]);
  });

  test("backquoted column names may hold anything; a doubled backquote is one backquote", () => {
    const p = parsePredicate("`gross margin (%)` > 0 and `a``b` = 'x' and `gross margin (%)` < 1");
    expect(p.clauses.map((c) => c.column)).toEqual(["gross margin (%)", "a`b", "gross margin (%)"]);
    expect(p.columns).toEqual(["gross margin (%)", "a`b"]);
  });

  test("dotted and underscored bare names", () => {
    expect(parsePredicate("fin.constraints > 0 and _x = 1").columns).toEqual(["fin.constraints", "_x"]);
  });

  test("syntax errors say where and what was expected", () => {
    expectSyntaxError("year 2005", "expected a comparison (=, ==, !=, <, <=, >, >=)", 5);
    expectSyntaxError("year >> 2005", "expected a number or a quoted string", 6);
    expectSyntaxError("year >= ", "but found the end of the filter", 8);
    expectSyntaxError("year >= 2005 or soe = 1", 'expected "and" or the end of the filter but found "or soe = 1"', 13);
    expectSyntaxError("region = west", "expected a number or a quoted string (e.g. 2005 or 'west')", 9);
    expectSyntaxError("region = 'west", "expected a string closed by '", 9);
    expectSyntaxError("`region = 1", "expected a column name closed by `", 0);
    expectSyntaxError("", "expected a column name", 0);
    expectSyntaxError("year > 1 and", "expected a column name", 12);
    expectSyntaxError("(year > 1)", "expected a column name", 0);
  });
});

describe("evaluatePredicate", () => {
  const frame = frameFromRecord({
    year: [2004, 2005, 2006, null, 2010],
    region: ["east", "west", null, "east", "central"],
    soe: ["1", "0", "1", "1", null],
  });
  const keep = (text: string) => Array.from(evaluatePredicate(parsePredicate(text), frame));

  test("numeric comparisons; a missing value never satisfies a clause, not even !=", () => {
    expect(keep("year >= 2005")).toEqual([0, 1, 1, 0, 1]);
    expect(keep("year != 2005")).toEqual([1, 0, 1, 0, 1]);
    expect(keep("year < 2006")).toEqual([1, 1, 0, 0, 0]);
    expect(keep("year == 2010")).toEqual([0, 0, 0, 0, 1]);
  });

  test("text comparisons, including != on missing and string order", () => {
    expect(keep("region = 'east'")).toEqual([1, 0, 0, 1, 0]);
    expect(keep("region != 'east'")).toEqual([0, 1, 0, 0, 1]);
    expect(keep("region < 'f'")).toEqual([1, 0, 0, 1, 1]);
    expect(keep("region = 'nowhere'")).toEqual([0, 0, 0, 0, 0]);
  });

  test("clauses combine with and", () => {
    expect(keep("year >= 2005 and region != 'west'")).toEqual([0, 0, 0, 0, 1]);
  });

  test("a text column compared with a number for = and != matches the number's text", () => {
    expect(keep("soe = 1")).toEqual([1, 0, 1, 1, 0]);
    expect(keep("soe != 1")).toEqual([0, 1, 0, 0, 0]);
  });

  test("a numeric column compared with a quoted number", () => {
    expect(keep("year >= '2006'")).toEqual([0, 0, 1, 0, 1]);
  });

  test("a numeric column compared with text that is not a number is an error", () => {
    const err = inputError(() => keep("year = 'abc'"), "predicate");
    expect(err.message).toContain(`column "year" is numeric but 'abc' is not a number`);
    expect(err.message).toContain(`"year = 'abc'"`);
  });

  test("ordering a text column against a number is an error rather than a silent string order", () => {
    const err = inputError(() => keep("soe > 0"), "predicate");
    expect(err.message).toContain(`column "soe" holds text`);
  });

  test("unknown columns are named, with the available ones", () => {
    const err = inputError(() => keep("yr > 1 and region = 'x' and zone = 'y'"), "column");
    expect(err.message).toBe('columns "yr", "zone" not found in the data; available columns: year, region, soe');
  });
});
