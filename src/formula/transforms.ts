/**
 * The part of the formula parser that reads variables: a column name or a transform standing
 * for one or more columns (log(x), I(x^2), poly(x, 2, raw = TRUE), l(x, 0:2)), the arithmetic
 * inside transforms with R's precedence, and the values of i()'s arguments — over a cursor on
 * the token list whose every error points at the offending position.
 */
import type { Level } from "../data/encode.js";
import type { DerivedColumn } from "./evaluate.js";
import { deparse, MATH_FUNCTIONS, type BinaryOp, type Expr, type MathFunction } from "./expression.js";
import { formulaError, tokenize, type Token } from "./lexer.js";

export type MultiOp = "sw" | "csw" | "sw0" | "csw0";
export const MULTI_OPS: readonly string[] = ["sw", "csw", "sw0", "csw0"];
export const LAG_OPS: readonly string[] = ["l", "f", "d"];

/** Where each supported function may appear, for the message when it is used elsewhere. */
const FUNCTION_PLACES: ReadonlyMap<string, string> = new Map([
  ["i", "i() is only allowed among the regressors, left of the first '|'"],
  ["factor", "factor() is only allowed among the regressors, left of the first '|'"],
  ["sunab", "sunab() is only allowed among the regressors, left of the first '|'"],
  ["c", "c() is only allowed around the dependent variables, left of '~'"],
  ...MULTI_OPS.map((op) => [op, `${op}() must be a term of its own among the regressors or the fixed effects`] as const),
]);

const SUPPORTED =
  "i(), factor(), sunab(), I(), poly(), log(), exp(), sqrt(), abs(), log1p(), expm1(), log2(), log10(), l(), f(), d(), sw(), csw(), sw0(), csw0() and c()";

// Positions travel with parsed pieces so that checks made after parsing can still point at them.
export interface LocatedName {
  name: string;
  pos: number;
}
export abstract class TransformParser {
  protected readonly tokens: Token[];
  protected i = 0;
  /** The sw/csw/sw0/csw0 already seen among the regressors, for the message on a second one. */
  protected multi: { readonly op: string; readonly pos: number } | null = null;
  /** Every data column named anywhere, for the check made before anything is expanded. */
  protected readonly columns: LocatedName[] = [];
  /** The columns the formula computes, by name. */
  protected readonly derived = new Map<string, DerivedColumn>();

  constructor(protected readonly text: string) {
    this.tokens = tokenize(text);
  }

  /** A column or a transform that gives exactly one column (the left side, i()'s arguments). */
  protected parseSingleColumn(what: string): LocatedName {
    const pos = this.peek().pos;
    const cols = this.parseColumns(what);
    if (cols.length !== 1) this.fail(pos, `expected ${what} (one column) but this gives ${cols.length}`);
    return cols[0]!;
  }

  /** A column name, or a transform call (l(x, 0:2) and poly() give several columns). */
  protected parseColumns(what: string): LocatedName[] {
    const tok = this.peek();
    if (tok.kind !== "name" || !this.isOp("(", 1)) {
      const { name, pos } = this.expectName(what);
      this.columns.push({ name, pos });
      return [{ name, pos }];
    }
    if (tok.value === "poly") return this.parsePoly();
    if (LAG_OPS.includes(tok.value)) {
      const { arg, ks, difference } = this.parseLagCall();
      return ks.map((k) => ({ name: this.register(k === 0 && !difference ? arg : { op: "lag", arg, k, difference }), pos: tok.pos }));
    }
    return [{ name: this.register(this.parseCall()), pos: tok.pos }];
  }

  /** The column an expression stands for: a plain column is itself, anything else a derived column. */
  protected register(e: Expr, name = deparse(e), source = name): string {
    if (e.op === "column") return e.name;
    if (!this.derived.has(name)) this.derived.set(name, { name, expr: e, source });
    return name;
  }

  /** poly(x, d, raw = TRUE): columns x, x², …, x^d named "poly(x, d, raw = TRUE)1" … as fixest prints them. */
  protected parsePoly(): LocatedName[] {
    const tok = this.next();
    this.next(); // "("
    const x = this.parseExpression();
    this.expectOp(",", "',' and the degree after poly()'s variable");
    const degree = this.parseInteger("poly()'s degree");
    if (degree < 1) this.fail(tok.pos, `poly()'s degree must be at least 1 (got ${degree})`);
    let raw: string | null = null;
    if (this.acceptSeparator(",")) {
      const arg = this.expectName("raw = TRUE");
      this.expectOp("=", "'=' after raw");
      const value = this.expectName("TRUE");
      if (arg.name !== "raw" || !["TRUE", "T"].includes(value.name)) raw = null;
      else raw = value.name;
    }
    this.expectOp(")", "')' closing poly(");
    if (raw === null) {
      this.fail(tok.pos, "poly() without raw = TRUE (orthogonal polynomials) is not supported: write poly(x, d, raw = TRUE), or the powers with I(x^2)");
    }
    const call = `poly(${deparse(x)}, ${degree}, raw = ${raw})`;
    return Array.from({ length: degree }, (_, j) => {
      const power: Expr = j === 0 ? x : { op: "binary", fn: "^", left: x, right: { op: "number", value: j + 1 } };
      const name = `${call}${j + 1}`;
      if (!this.derived.has(name)) this.derived.set(name, { name, expr: power, source: call });
      return { name, pos: tok.pos };
    });
  }

  /** l(x), l(x, k), l(x, a:b); f() leads, d() differences. */
  protected parseLagCall(): { arg: Expr; ks: number[]; difference: boolean } {
    const tok = this.next();
    this.next(); // "("
    const arg = this.parseExpression();
    let ks = [1];
    if (this.acceptSeparator(",")) {
      const from = this.parseInteger(`${tok.value}()'s lag`);
      ks = [from];
      if (this.acceptOp(":")) {
        const to = this.parseInteger(`the end of ${tok.value}()'s range`);
        ks = Array.from({ length: Math.abs(to - from) + 1 }, (_, j) => from + (to >= from ? j : -j));
      }
    }
    this.expectOp(")", `')' closing ${tok.value}(`);
    return { arg, ks: tok.value === "f" ? ks.map((k) => -k) : ks, difference: tok.value === "d" };
  }

  protected parseInteger(what: string): number {
    const minus = this.acceptOp("-");
    const tok = this.next();
    const value = tok.kind === "number" ? Number(tok.value) * (minus ? -1 : 1) : NaN;
    if (!Number.isInteger(value)) this.fail(minus?.pos ?? tok.pos, `expected an integer for ${what} but found ${describe(tok)}`);
    return value;
  }

  // Arithmetic inside transforms, with R's precedence: & < comparisons < + - < * / < unary - < ^.
  protected parseExpression(): Expr {
    let left = this.parseNot();
    while (this.isOp("&")) {
      this.next();
      left = { op: "binary", fn: "&", left, right: this.parseNot() };
    }
    return left;
  }

  protected parseNot(): Expr {
    if (this.acceptOp("!")) return { op: "not", arg: this.parseNot() };
    const left = this.parseSum();
    const tok = this.peek();
    if (tok.kind === "op" && [">", "<", ">=", "<=", "==", "!="].includes(tok.value)) {
      this.next();
      return { op: "binary", fn: tok.value as BinaryOp, left, right: this.parseSum() };
    }
    return left;
  }

  protected parseSum(): Expr {
    let left = this.parseProductExpr();
    while (this.isOp("+") || this.isOp("-")) {
      const fn = this.next().value as BinaryOp;
      left = { op: "binary", fn, left, right: this.parseProductExpr() };
    }
    return left;
  }

  protected parseProductExpr(): Expr {
    let left = this.parseUnary();
    while (this.isOp("*") || this.isOp("/")) {
      const fn = this.next().value as BinaryOp;
      left = { op: "binary", fn, left, right: this.parseUnary() };
    }
    return left;
  }

  protected parseUnary(): Expr {
    if (this.acceptOp("-")) return { op: "negate", arg: this.parseUnary() };
    const base = this.parsePrimary();
    if (!this.acceptOp("^")) return base;
    return { op: "binary", fn: "^", left: base, right: this.parseUnary() };
  }

  protected parsePrimary(): Expr {
    const tok = this.peek();
    if (tok.kind === "number") {
      this.next();
      return { op: "number", value: Number(tok.value) };
    }
    if (this.acceptOp("(")) {
      const arg = this.parseExpression();
      this.expectOp(")", "')'");
      return { op: "paren", arg };
    }
    if (tok.kind === "name" && this.isOp("(", 1)) {
      if (LAG_OPS.includes(tok.value)) {
        const { arg, ks, difference } = this.parseLagCall();
        if (ks.length !== 1) this.fail(tok.pos, `a range of lags gives several columns and cannot be used inside an expression: use ${tok.value}(x, k) with one k`);
        return ks[0] === 0 && !difference ? arg : { op: "lag", arg, k: ks[0]!, difference };
      }
      return this.parseCall();
    }
    const { name, pos } = this.expectName("a variable, a number or '('");
    this.columns.push({ name, pos });
    return { op: "column", name };
  }

  /** I(expr) or a math function of one argument. */
  protected parseCall(): Expr {
    const tok = this.peek();
    if (tok.value !== "I" && !MATH_FUNCTIONS.includes(tok.value)) this.rejectCall(tok);
    this.i += 2;
    const arg = this.parseExpression();
    if (this.isOp(",")) {
      this.fail(this.peek().pos, `${tok.value}() takes one argument here${tok.value === "log" ? ": for another base use log2(), log10() or I(log(x)/log(b))" : ""}`);
    }
    this.expectOp(")", `')' closing ${tok.value}(`);
    return tok.value === "I" ? { op: "I", arg } : { op: "call", fn: tok.value as MathFunction, arg };
  }

  /** A value, c(v1, v2, …) or a range a:b of integers. */
  protected parseLevels(what: string): Level[] {
    if (this.peek().value === "c" && this.isOp("(", 1)) {
      this.i += 2;
      const values = [this.parseLevel(what)];
      while (this.acceptSeparator(",")) values.push(this.parseLevel(what));
      this.expectOp(")", `')' closing c( after '${what} ='`);
      return values;
    }
    const first = this.parseLevel(what);
    if (!this.isOp(":")) return [first];
    const colon = this.next();
    const last = this.parseLevel(what);
    if (typeof first !== "number" || typeof last !== "number" || !Number.isInteger(first) || !Number.isInteger(last)) {
      this.fail(colon.pos, `a range a:b after '${what} =' needs integers`);
    }
    const step = last >= first ? 1 : -1;
    return Array.from({ length: Math.abs(last - first) + 1 }, (_, j) => first + step * j);
  }

  protected parseLevel(what: string): Level {
    const minus = this.acceptOp("-");
    const tok = this.next();
    if (tok.kind === "number") return minus ? -Number(tok.value) : Number(tok.value);
    if (tok.kind === "string" && minus === null) return tok.value;
    return this.fail(minus?.pos ?? tok.pos, `expected a number or a quoted string after '${what} =' but found ${describe(tok)}`);
  }

  /** A function call where it is not allowed, or of a function that is not supported at all. */
  protected rejectCall(tok: Token): never {
    const name = tok.value;
    if (MULTI_OPS.includes(name) && this.multi !== null) {
      this.fail(tok.pos, `only one sw(), csw(), sw0() or csw0() is allowed per formula; there is already ${this.multi.op}() at column ${this.multi.pos + 1}`);
    }
    const place = FUNCTION_PLACES.get(name);
    if (place !== undefined) this.fail(tok.pos, place);
    if (["I", "poly", ...LAG_OPS, ...MATH_FUNCTIONS].includes(name)) {
      this.fail(tok.pos, `${name}() is not allowed here: transforms stand for variables (left side, regressors, instruments), not fixed effects`);
    }
    // "sin(x)" suggests a column "sin_x".
    const at = this.tokens.indexOf(tok);
    const arg = this.tokens[at + 2]!;
    const example = arg.kind === "name" && isOp(this.tokens[at + 3]!, ")") ? `${name}_${arg.value}` : `${name}_x`;
    return this.fail(
      tok.pos,
      `unknown function ${name}(): the functions supported are ${SUPPORTED}; ` +
        `create the transformed variable as a column (e.g. ${example}) and use its name`,
    );
  }

  protected expectName(what: string): LocatedName {
    const tok = this.peek();
    if (tok.kind !== "name") this.fail(tok.pos, `expected ${what} but found ${describe(tok)}`);
    if (this.isOp("(", 1)) this.rejectCall(tok);
    this.next();
    return { name: tok.value, pos: tok.pos };
  }

  protected expectOp(value: string, what: string): Token {
    const tok = this.peek();
    if (!isOp(tok, value)) this.fail(tok.pos, `expected ${what} but found ${describe(tok)}`);
    return this.next();
  }

  /** Consumes a separator such as '+', failing if nothing follows it. */
  protected acceptSeparator(value: string): Token | null {
    const tok = this.acceptOp(value);
    const after = this.peek();
    if (tok && (after.kind === "end" || [..."|)~,+"].some((v) => isOp(after, v)))) {
      this.fail(tok.pos, `dangling '${value}': expected a term after it but found ${describe(after)}`);
    }
    return tok;
  }

  protected acceptOp(value: string): Token | null {
    return this.isOp(value) ? this.next() : null;
  }

  protected isOp(value: string, offset = 0): boolean {
    return isOp(this.peek(offset), value);
  }

  protected peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  protected next(): Token {
    const tok = this.peek();
    if (tok.kind !== "end") this.i++;
    return tok;
  }

  protected fail(pos: number, message: string): never {
    throw formulaError(this.text, pos, message);
  }
}

export function isOp(tok: Token, value: string): boolean {
  return tok.kind === "op" && tok.value === value;
}

export function describe(tok: Token): string {
  if (tok.kind === "end") return "the end of the formula";
  if (tok.kind === "string") return `the string "${tok.value}"`;
  return `'${tok.value}'`;
}
