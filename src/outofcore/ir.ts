/**
 * The engine-neutral form of an out-of-core fit: statements over tables, made of queries and
 * expressions, with no SQL text in them. A dialect (duckdb-dialect.ts) renders them; another
 * engine needs only another renderer. Every query a plan pulls back returns DOUBLE columns
 * or an integer the executor reads as a number, so executors need to read only numbers.
 */
import type { ComparisonOp } from "../data/predicate.js";

export type Expr =
  | { readonly op: "col"; readonly name: string; readonly table?: string }
  | { readonly op: "num"; readonly value: number }
  | { readonly op: "str"; readonly value: string }
  | { readonly op: "arith"; readonly fn: "+" | "-" | "*" | "/"; readonly args: readonly [Expr, Expr] }
  | { readonly op: "cmp"; readonly fn: ComparisonOp; readonly args: readonly [Expr, Expr] }
  | { readonly op: "and" | "or"; readonly args: readonly Expr[] }
  /** Not NULL, and for numbers not NaN either: absorb's "missing". */
  | { readonly op: "present"; readonly arg: Expr; readonly numeric: boolean }
  | { readonly op: "finite"; readonly arg: Expr }
  | { readonly op: "double" | "text"; readonly arg: Expr }
  /** Several columns as one grouping key (an interacted fixed effect a^b). */
  | { readonly op: "key"; readonly args: readonly Expr[] }
  | { readonly op: "sum" | "min" | "max"; readonly arg: Expr }
  | { readonly op: "count" }
  | { readonly op: "countDistinct"; readonly arg: Expr }
  /** 0, 1, 2, … over the query's rows in the order of `orderBy`. */
  | { readonly op: "rowIndex"; readonly orderBy: Expr }
  /** Whether the key is among the rows of a one-column query. */
  | { readonly op: "in"; readonly arg: Expr; readonly query: Query };

/** Where rows come from: the user's data, a table the plan made, a join, or a subquery. */
export type From =
  | { readonly kind: "source" }
  | { readonly kind: "table"; readonly name: string; readonly alias?: string }
  | { readonly kind: "join"; readonly left: From; readonly right: From; readonly using: readonly string[] }
  | { readonly kind: "query"; readonly query: Query; readonly alias: string };

export interface Query {
  readonly select: readonly { readonly as: string; readonly expr: Expr }[];
  readonly from: From;
  readonly where?: Expr;
  readonly groupBy?: readonly Expr[];
  readonly having?: Expr;
}

export type Statement =
  | { readonly kind: "create"; readonly table: string; readonly query: Query }
  | { readonly kind: "insert"; readonly table: string; readonly query: Query }
  | { readonly kind: "delete"; readonly table: string; readonly where: Expr }
  /** A small table of numbers computed between queries (the small fixed effects' estimates). */
  | { readonly kind: "values"; readonly table: string; readonly columns: readonly string[]; readonly rows: readonly (readonly number[])[] };

/** The user's data, as the engine can name it. */
export type Source =
  | { readonly kind: "files"; readonly paths: readonly string[]; readonly format: "csv" | "parquet" }
  | { readonly kind: "glob"; readonly pattern: string; readonly format: "csv" | "parquet" }
  | { readonly kind: "table"; readonly table: string }
  | { readonly kind: "query"; readonly sql: string };

// Builders, so plans read as algebra rather than object literals.
export const col = (name: string, table?: string): Expr => (table === undefined ? { op: "col", name } : { op: "col", name, table });
export const num = (value: number): Expr => ({ op: "num", value });
export const add = (a: Expr, b: Expr): Expr => ({ op: "arith", fn: "+", args: [a, b] });
export const sub = (a: Expr, b: Expr): Expr => ({ op: "arith", fn: "-", args: [a, b] });
export const mul = (a: Expr, b: Expr): Expr => ({ op: "arith", fn: "*", args: [a, b] });
export const div = (a: Expr, b: Expr): Expr => ({ op: "arith", fn: "/", args: [a, b] });
export const sum = (arg: Expr): Expr => ({ op: "sum", arg });
export const and = (args: readonly Expr[]): Expr => (args.length === 1 ? args[0] : { op: "and", args });
export const double = (arg: Expr): Expr => ({ op: "double", arg });
export const table = (name: string, alias?: string): From => (alias === undefined ? { kind: "table", name } : { kind: "table", name, alias });
export const join = (left: From, right: From, ...using: string[]): From => ({ kind: "join", left, right, using });

/** Σ over terms, left to right (one term stays itself). */
export function total(terms: readonly Expr[]): Expr {
  return terms.reduce((a, b) => add(a, b));
}

/** a · b · …, skipping factors that are the number 1. */
export function product(factors: readonly Expr[]): Expr {
  const kept = factors.filter((f) => !(f.op === "num" && f.value === 1));
  return kept.length === 0 ? num(1) : kept.reduce((a, b) => mul(a, b));
}
