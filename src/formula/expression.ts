/**
 * Arithmetic expressions inside a formula's transforms — `log(1 + x)`, `I(x^2)`, `exp(-z)`,
 * `l(x, 2)` — and their names, written as R's deparse() writes them, since fixest names a
 * transformed regressor by the deparsed call ("I(ln_age^2)", "I(robot * finance)").
 */
import { formatName } from "./lexer.js";

export type MathFunction = "log" | "exp" | "sqrt" | "abs" | "log1p" | "log2" | "log10" | "expm1";
export const MATH_FUNCTIONS: readonly string[] = ["log", "exp", "sqrt", "abs", "log1p", "log2", "log10", "expm1"];

export type BinaryOp = "+" | "-" | "*" | "/" | "^" | ">" | "<" | ">=" | "<=" | "==" | "!=" | "&";

export type Expr =
  | { readonly op: "column"; readonly name: string }
  | { readonly op: "number"; readonly value: number }
  | { readonly op: "negate"; readonly arg: Expr }
  | { readonly op: "not"; readonly arg: Expr }
  /** Parentheses the user wrote: R keeps them, and so does the name. */
  | { readonly op: "paren"; readonly arg: Expr }
  | { readonly op: "binary"; readonly fn: BinaryOp; readonly left: Expr; readonly right: Expr }
  | { readonly op: "call"; readonly fn: MathFunction; readonly arg: Expr }
  | { readonly op: "I"; readonly arg: Expr }
  /** Panel lag by `k` time steps (k < 0: lead); `difference` gives x − lag(x, k). */
  | { readonly op: "lag"; readonly arg: Expr; readonly k: number; readonly difference: boolean };

/** R's deparse of a number: 15 significant digits, scientific notation when it is shorter (1e+05, 1e-04). */
export function formatNumber(x: number): string {
  const fixed = String(Number(x.toPrecision(15)));
  if (fixed.includes("e")) return rExponent(fixed);
  const sci = rExponent(Number(x.toPrecision(15)).toExponential());
  return sci.length < fixed.length ? sci : fixed;
}

function rExponent(js: string): string {
  const [mantissa, exponent] = js.split("e");
  const sign = exponent!.startsWith("-") ? "-" : "+";
  const digits = exponent!.replace(/^[+-]/, "");
  return `${mantissa}e${sign}${digits.padStart(2, "0")}`;
}

/** R deparse spacing: spaces around + - * and comparisons, none around / and ^. */
const TIGHT: ReadonlySet<BinaryOp> = new Set(["/", "^"]);

export function deparse(e: Expr): string {
  switch (e.op) {
    case "column":
      return formatName(e.name);
    case "number":
      return formatNumber(e.value);
    case "negate":
      return `-${deparse(e.arg)}`;
    case "not":
      return `!${deparse(e.arg)}`;
    case "paren":
      return `(${deparse(e.arg)})`;
    case "binary":
      return TIGHT.has(e.fn) ? `${deparse(e.left)}${e.fn}${deparse(e.right)}` : `${deparse(e.left)} ${e.fn} ${deparse(e.right)}`;
    case "call":
      return `${e.fn}(${deparse(e.arg)})`;
    case "I":
      return `I(${deparse(e.arg)})`;
    case "lag":
      return lagName(deparse(e.arg), e.k, e.difference);
  }
}

/** fixest's names: l(x, 1), f(x, 1) for a lead, d(x, 1); lag 0 is the variable itself. */
export function lagName(inner: string, k: number, difference: boolean): string {
  if (difference) return `d(${inner}, ${k})`;
  if (k === 0) return inner;
  return k > 0 ? `l(${inner}, ${k})` : `f(${inner}, ${-k})`;
}

/** The data columns an expression reads. */
export function expressionColumns(e: Expr): string[] {
  switch (e.op) {
    case "column":
      return [e.name];
    case "number":
      return [];
    case "binary":
      return [...expressionColumns(e.left), ...expressionColumns(e.right)];
    default:
      return expressionColumns(e.arg);
  }
}

/** Whether the expression needs a panel (a lag, lead or difference somewhere). */
export function usesPanel(e: Expr): boolean {
  switch (e.op) {
    case "lag":
      return true;
    case "column":
    case "number":
      return false;
    case "binary":
      return usesPanel(e.left) || usesPanel(e.right);
    default:
      return usesPanel(e.arg);
  }
}
