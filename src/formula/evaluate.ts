import type { Column, Frame } from "../data/frame.js";
import { missingColumnsError } from "../data/select.js";
import { InputError } from "../core/errors.js";
import { deparse, type Expr, type MathFunction } from "./expression.js";
import { panelIndex, type PanelIndex } from "./panel-index.js";

/**
 * A column a formula computes from the data (`log(assets)`, `I(x^2)`, `l(robot, 1)`), named as
 * fixest names it. Transforms are evaluated over every row of the data before the sample is
 * chosen — lags as in fixest, on the whole panel — and a row where one is missing (NaN: a lag
 * across a gap, sqrt of a negative) or infinite (log 0) is dropped and counted by the sample.
 */
export interface DerivedColumn {
  readonly name: string;
  readonly expr: Expr;
  /** Formula text that parses back to this column (and its siblings, for poly()). */
  readonly source: string;
}

/** The frame plus the derived columns (the data's own columns are shared, not copied). */
export function withDerivedColumns(frame: Frame, derived: readonly DerivedColumn[], panelId: readonly [string, string] | null): Frame {
  if (derived.length === 0) return frame;
  let panel: PanelIndex | null = null;
  const needPanel = (what: Expr): PanelIndex => {
    if (panelId === null) {
      throw new InputError(
        "option",
        `${deparse(what)} needs a panel: give panelId: [id, time] (CLI --panel-id ID,TIME), e.g. panelId: ["firm_id", "year"]`,
      );
    }
    return (panel ??= panelIndex(frame, panelId));
  };
  const columns = new Map<string, Column>(frame.columns);
  for (const d of derived) {
    columns.set(d.name, { kind: "numeric", values: evaluate(d.expr, frame, needPanel) });
  }
  return { nrows: frame.nrows, columns };
}

const MATH: Record<MathFunction, (x: number) => number> = {
  log: Math.log,
  exp: Math.exp,
  sqrt: Math.sqrt,
  abs: Math.abs,
  log1p: Math.log1p,
  log2: Math.log2,
  log10: Math.log10,
  expm1: Math.expm1,
};

function evaluate(e: Expr, frame: Frame, panel: (what: Expr) => PanelIndex): Float64Array {
  const n = frame.nrows;
  switch (e.op) {
    case "column": {
      const col = frame.columns.get(e.name);
      if (!col) throw missingColumnsError([e.name], [...frame.columns.keys()], "the data");
      if (col.kind !== "numeric") {
        throw new InputError("column", `column "${e.name}" is not numeric (it holds text), so it cannot be transformed; use factor(${e.name}) or i(${e.name}) for its categories`);
      }
      return col.values;
    }
    case "number":
      return new Float64Array(n).fill(e.value);
    case "paren":
    case "I":
      return evaluate(e.arg, frame, panel);
    case "negate":
      return map(evaluate(e.arg, frame, panel), (x) => -x);
    case "not":
      return map(evaluate(e.arg, frame, panel), (x) => (x !== x ? NaN : x === 0 ? 1 : 0));
    case "call":
      return map(evaluate(e.arg, frame, panel), MATH[e.fn]);
    case "binary": {
      const a = evaluate(e.left, frame, panel);
      const b = evaluate(e.right, frame, panel);
      const f = BINARY[e.fn];
      const out = new Float64Array(n);
      for (let r = 0; r < n; r++) out[r] = f(a[r], b[r]);
      return out;
    }
    case "lag": {
      const x = evaluate(e.arg, frame, panel);
      const from = panel(e).shifted(e.k);
      const out = new Float64Array(n);
      for (let r = 0; r < n; r++) {
        const lagged = from[r] < 0 ? NaN : x[from[r]];
        out[r] = e.difference ? x[r] - lagged : lagged;
      }
      return out;
    }
  }
}

function map(x: Float64Array, f: (v: number) => number): Float64Array {
  const out = new Float64Array(x.length);
  for (let r = 0; r < x.length; r++) out[r] = f(x[r]);
  return out;
}

/** Comparisons give 1 / 0 (and NaN when a side is missing), as R's logicals become numbers. */
const logical = (test: (a: number, b: number) => boolean) => (a: number, b: number) => (a !== a || b !== b ? NaN : test(a, b) ? 1 : 0);

const BINARY: Record<string, (a: number, b: number) => number> = {
  "+": (a, b) => a + b,
  "-": (a, b) => a - b,
  "*": (a, b) => a * b,
  "/": (a, b) => a / b,
  "^": (a, b) => Math.pow(a, b),
  ">": logical((a, b) => a > b),
  "<": logical((a, b) => a < b),
  ">=": logical((a, b) => a >= b),
  "<=": logical((a, b) => a <= b),
  "==": logical((a, b) => a === b),
  "!=": logical((a, b) => a !== b),
  "&": logical((a, b) => a !== 0 && b !== 0),
};
