/**
 * absorb's row filter (the CLI's --where): comparisons `column OP value` joined by `and`.
 * Deliberately tiny: no `or`, no parentheses, no functions, so it means the same on every
 * input format and needs no SQL engine.
 */
import { InputError } from "../core/errors.js";
import { missingColumnsError } from "./select.js";
import type { Column, Frame } from "./frame.js";

export type ComparisonOp = "=" | "!=" | "<" | "<=" | ">" | ">=";

/** A number keeps the text it was written as: text columns compare against that text. */
export type Literal =
  | { readonly kind: "number"; readonly value: number; readonly text: string }
  | { readonly kind: "string"; readonly value: string };

export interface Clause {
  readonly column: string;
  readonly op: ComparisonOp;
  readonly value: Literal;
  /** The clause as written, for error messages. */
  readonly source: string;
}

export interface Predicate {
  readonly clauses: readonly Clause[];
  /** The columns the clauses name, each once. */
  readonly columns: readonly string[];
}

const EXAMPLE = `"year >= 2005 and region != 'west'"`;
const OPERATORS = "a comparison (=, ==, !=, <, <=, >, >=)";
const NUMBER = /[+-]?(?:\d+\.?\d*|\.\d+)(?:[eE][+-]?\d+)?/y;
const IDENTIFIER = /[\p{L}_][\p{L}\p{N}_.]*/uy;
const OPERATOR = /==|!=|<=|>=|=|<|>/y;
const AND = /and(?![\p{L}\p{N}_.])/iuy;
const SPACE = /\s*/y;

export function parsePredicate(text: string): Predicate {
  const parser = new Parser(text);
  const clauses: Clause[] = [parser.clause()];
  while (!parser.atEnd()) {
    if (!parser.match(AND)) throw parser.error(`"and" or the end of the filter`);
    clauses.push(parser.clause());
  }
  return { clauses, columns: [...new Set(clauses.map((c) => c.column))] };
}

class Parser {
  private pos = 0;

  constructor(private readonly text: string) {}

  atEnd(): boolean {
    this.skipSpace();
    return this.pos >= this.text.length;
  }

  /** Consumes `pattern` (a sticky regex) after any spaces; the matched text, or null. */
  match(pattern: RegExp): string | null {
    this.skipSpace();
    pattern.lastIndex = this.pos;
    const m = pattern.exec(this.text);
    if (!m) return null;
    this.pos += m[0].length;
    return m[0];
  }

  clause(): Clause {
    this.skipSpace();
    const start = this.pos;
    const column = this.column();
    const op = this.match(OPERATOR);
    if (op === null) throw this.error(OPERATORS);
    const value = this.literal();
    return {
      column,
      op: op === "==" ? "=" : (op as ComparisonOp),
      value,
      source: this.text.slice(start, this.pos),
    };
  }

  private column(): string {
    if (this.text[this.pos] === "`") return this.quoted("`", "a column name");
    const name = this.match(IDENTIFIER);
    if (name === null) throw this.error("a column name (quote unusual names in backquotes: `my col`)");
    return name;
  }

  private literal(): Literal {
    this.skipSpace();
    const quote = this.text[this.pos];
    if (quote === "'" || quote === '"') return { kind: "string", value: this.quoted(quote, "a string") };
    const number = this.match(NUMBER);
    if (number === null) throw this.error(`a number or a quoted string (e.g. 2005 or 'west')`);
    return { kind: "number", value: Number(number), text: number };
  }

  /** Reads text between `quote`s; a backslash escapes the next character (backquotes double instead). */
  private quoted(quote: string, what: string): string {
    const start = this.pos;
    let value = "";
    for (let i = start + 1; i < this.text.length; i++) {
      const ch = this.text[i];
      if (quote !== "`" && ch === "\\" && i + 1 < this.text.length) {
        value += this.text[++i];
      } else if (ch === quote && quote === "`" && this.text[i + 1] === "`") {
        value += ch;
        i++;
      } else if (ch === quote) {
        this.pos = i + 1;
        return value;
      } else {
        value += ch;
      }
    }
    this.pos = start;
    throw this.error(`${what} closed by ${quote}`);
  }

  private skipSpace(): void {
    SPACE.lastIndex = this.pos;
    this.pos += SPACE.exec(this.text)![0].length;
  }

  error(expected: string): InputError {
    const rest = this.text.slice(this.pos);
    const found = rest.length === 0 ? "the end of the filter" : `"${rest.length > 12 ? rest.slice(0, 12) + "…" : rest}"`;
    // Whitespace is shown as spaces so the caret lines up under tabs too.
    return new InputError(
      "predicate",
      `Invalid filter (column ${this.pos + 1}): expected ${expected} but found ${found}; ` +
        `a filter is comparisons joined by "and", e.g. ${EXAMPLE}\n` +
        `  ${this.text.replace(/\s/g, " ")}\n  ${" ".repeat(this.pos)}^`,
    );
  }
}

/** One byte per row: 1 where every clause holds. A missing value never satisfies a clause. */
export function evaluatePredicate(predicate: Predicate, frame: Frame): Uint8Array {
  const missing = predicate.columns.filter((name) => !frame.columns.has(name));
  if (missing.length > 0) throw missingColumnsError(missing, [...frame.columns.keys()], "the data");
  const keep = new Uint8Array(frame.nrows).fill(1);
  for (const clause of predicate.clauses) applyClause(clause, frame.columns.get(clause.column)!, keep);
  return keep;
}

function applyClause(clause: Clause, column: Column, keep: Uint8Array): void {
  if (column.kind === "numeric") {
    const target = numericTarget(clause);
    const test = comparator(clause.op);
    const { values } = column;
    for (let i = 0; i < keep.length; i++) {
      // NaN fails every comparison but !=, so it is excluded explicitly.
      if (keep[i] === 1 && (Number.isNaN(values[i]) || !test(values[i], target))) keep[i] = 0;
    }
    return;
  }
  // Decide once per level, then look codes up: text comparisons cost nothing per row.
  const target = textTarget(clause);
  const test = comparator(clause.op);
  const levelHolds = Uint8Array.from(column.levels, (level) => (test(level, target) ? 1 : 0));
  const { codes } = column;
  for (let i = 0; i < keep.length; i++) {
    if (keep[i] === 1 && (codes[i] < 0 || levelHolds[codes[i]] === 0)) keep[i] = 0;
  }
}

/** The number a clause on a numeric column compares with (a quoted number is accepted). */
export function numericTarget(clause: Clause): number {
  const { value } = clause;
  if (value.kind === "number") return value.value;
  NUMBER.lastIndex = 0;
  const m = NUMBER.exec(value.value.trim());
  if (m && m[0].length === value.value.trim().length) return Number(m[0]);
  throw new InputError(
    "predicate",
    `in the filter clause "${clause.source}", column "${clause.column}" is numeric but '${value.value}' is not a number; ` +
      `compare it with a number, e.g. ${clause.column} ${clause.op} 1`,
  );
}

/** The text a clause on a text column compares with (numbers only with = and !=). */
export function textTarget(clause: Clause): string {
  const { value } = clause;
  if (value.kind === "string") return value.value;
  if (clause.op === "=" || clause.op === "!=") return value.text;
  // String order on numbers written as text ("10" < "9") would filter silently wrong.
  throw new InputError(
    "predicate",
    `in the filter clause "${clause.source}", column "${clause.column}" holds text, so it cannot be ordered ` +
      `against the number ${value.text}; use = or != , or quote the value to compare text in string order`,
  );
}

function comparator(op: ComparisonOp): <T extends number | string>(a: T, b: T) => boolean {
  switch (op) {
    case "=":
      return (a, b) => a === b;
    case "!=":
      return (a, b) => a !== b;
    case "<":
      return (a, b) => a < b;
    case "<=":
      return (a, b) => a <= b;
    case ">":
      return (a, b) => a > b;
    case ">=":
      return (a, b) => a >= b;
  }
}
