import type { Frame, NumericColumn } from "../data/frame.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { designColumns } from "./design.js";
import { EXTRA_COLUMNS } from "../data/size-check.js";
import type { ModelSpec, Term } from "../formula/parse.js";

/**
 * The columns of one fit copied once into the shared arena as one contiguous block (column
 * j at block + j·n·8), in the order the estimators need them: the dependent variable, the
 * regressors, then any extra numeric columns (endogenous variables, instruments). Raw
 * spreads Σw(x − x̄)² are kept to tell absorbed columns after demeaning.
 */
export interface ModelMatrix {
  readonly n: number;
  readonly block: number;
  /** Names of columns 0..width-1. */
  readonly names: readonly string[];
  /** Row weights pointer, or 0. */
  readonly weights: number;
  /** Σ w (x − x̄_w)² of each column before demeaning. */
  readonly rawSpread: readonly number[];
  /**
   * Power-of-two factors the regressors (1..p, index 0 for the first) were multiplied by, when
   * some were rescaled (see rescaleTiny); absent when none was. The coefficients of the scaled
   * columns are divided back by them.
   */
  readonly regressorScales?: readonly number[];
}

/** Regressors whose largest value is below this are rescaled: their squares would underflow or vanish against any tolerance. */
const TINY = 2 ** -60;

export function columnPtr(m: ModelMatrix, j: number): number {
  return m.block + j * m.n * 8;
}

export interface ModelMatrixRequest {
  readonly frame: Frame;
  readonly rows: Int32Array;
  readonly weights: Float64Array | null;
  readonly depvar: string;
  readonly intercept: boolean;
  readonly terms: readonly Term[];
  /** Plain numeric columns appended after the regressors. */
  readonly extra: readonly string[];
  /**
   * Multiply each regressor whose values are all tiny (below 2^-60 in absolute value) by a power
   * of two that brings its largest to [1, 2): exact in floating point, so collinearity checks,
   * demeaning and the solve see it at the scale of ordinary data (x·1e-200 is then estimated,
   * not dropped as collinear). The caller undoes it on the coefficients.
   */
  readonly rescaleTiny?: boolean;
}

export function buildModelMatrix(k: Kernels, arena: Arena, req: ModelMatrixRequest): { matrix: ModelMatrix; regressors: readonly string[] } {
  const { frame, rows } = req;
  const n = rows.length;
  const design = designColumns(frame, req.terms, rows);
  const regressors = [...(req.intercept ? ["(Intercept)"] : []), ...design.map((d) => d.name)];
  const names = [req.depvar, ...regressors, ...req.extra];
  // The block, then weights, residuals, the fixed effects' codes and scratch (EXTRA_COLUMNS).
  arena.ensureTable(n, names.length + EXTRA_COLUMNS);
  const block = arena.allocF64(names.length * n, `${names.length} columns of ${n} rows`);
  const view = (j: number) => arena.f64(block + j * n * 8, n);
  const mark = arena.mark();
  const at = arena.putI32(rows, "rows");
  // Plain columns are gathered in wasm from a scratch copy (given back right after).
  const gather = (values: Float64Array, j: number) => {
    const column = arena.mark();
    k.gather_f64(n, arena.putF64(values, "a column"), at, block + j * n * 8);
    arena.release(column);
  };
  const numeric = (name: string) => (frame.columns.get(name) as NumericColumn).values;
  gather(numeric(req.depvar), 0);
  let j = 1;
  if (req.intercept) view(j++).fill(1);
  for (const d of design) {
    if (d.source) gather(d.source, j++);
    else d.fill(view(j++));
  }
  for (const name of req.extra) gather(numeric(name), j++);
  arena.release(mark);
  const regressorScales = req.rescaleTiny ? rescaleTinyColumns(k, arena, n, regressors.map((_, c) => block + (c + 1) * n * 8)) : undefined;
  const weights = req.weights ? arena.putF64(req.weights, "weights") : 0;
  const matrix: ModelMatrix = { n, block, names, weights, rawSpread: [], ...(regressorScales ? { regressorScales } : {}) };
  const sw = weights ? k.sum(n, weights, 0) : n;
  const rawSpread = names.map((_, c) => centredSquares(k, n, columnPtr(matrix, c), weights, sw));
  return { matrix: { ...matrix, rawSpread }, regressors };
}

/** Σ w (x − x̄_w)²: the raw spread a demeaned column is compared with. */
export function centredSquares(k: Kernels, n: number, x: number, w: number, sw: number): number {
  const mean = k.sum(n, x, w) / sw;
  return k.dot(n, x, x, w) - sw * mean * mean;
}

/** Scales tiny columns in place (see rescaleTiny); returns each column's factor, or undefined when all are 1. */
function rescaleTinyColumns(k: Kernels, arena: Arena, n: number, columns: readonly number[]): number[] | undefined {
  const scales = columns.map((ptr) => {
    const max = k.max_abs(n, ptr);
    if (!(max > 0 && max < TINY)) return 1;
    // Capped so the factor itself stays finite for subnormal columns.
    const scale = 2 ** Math.min(1000, -Math.floor(Math.log2(max)));
    const col = arena.f64(ptr, n);
    for (let i = 0; i < n; i++) col[i] *= scale;
    return scale;
  });
  return scales.some((s) => s !== 1) ? scales : undefined;
}

/** Columns of the model matrix a formula makes, at least: an i() factor counts as one though it makes a column per level. */
export function modelColumns(spec: ModelSpec): number {
  return 1 + (spec.intercept ? 1 : 0) + spec.terms.length + spec.endogenous.length + spec.instruments.length;
}
