import type { Frame, NumericColumn } from "../data/frame.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { designColumns } from "./design.js";
import { EXTRA_COLUMNS } from "../data/size-check.js";
import type { Term } from "../formula/parse.js";

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
}

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
  const copy = (name: string, out: Float64Array) => {
    const v = (frame.columns.get(name) as NumericColumn).values;
    for (let i = 0; i < n; i++) out[i] = v[rows[i]];
  };
  copy(req.depvar, view(0));
  let j = 1;
  if (req.intercept) view(j++).fill(1);
  for (const d of design) d.fill(view(j++));
  for (const name of req.extra) copy(name, view(j++));
  const weights = req.weights ? arena.putF64(req.weights, "weights") : 0;
  const matrix: ModelMatrix = { n, block, names, weights, rawSpread: [] };
  const sw = weights ? k.sum(n, weights, 0) : n;
  const rawSpread = names.map((_, c) => centredSquares(k, n, columnPtr(matrix, c), weights, sw));
  return { matrix: { ...matrix, rawSpread }, regressors };
}

/** Σ w (x − x̄_w)²: the raw spread a demeaned column is compared with. */
export function centredSquares(k: Kernels, n: number, x: number, w: number, sw: number): number {
  const mean = k.sum(n, x, w) / sw;
  return k.dot(n, x, x, w) - sw * mean * mean;
}
