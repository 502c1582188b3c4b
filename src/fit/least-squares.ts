import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { choleskyDropping, inverseFactor, solveFactor } from "../linalg/cholesky.js";
import { submatrix } from "../linalg/matrix.js";
import { EstimationError } from "../core/errors.js";
import { crossprodLanes, residualsLanes } from "../engine/cross-products.js";
import { isAbsorbed } from "./absorbed.js";

/** Pivot tolerance for collinearity among the (demeaned) regressors, relative to each one's own norm. */
export const COLLINEAR_TOL = 1e-10;

export interface LeastSquaresInput {
  readonly n: number;
  /**
   * The dependent variable (f64, n), then right after it p regressor columns; on return the kept
   * regressors are moved to the front of theirs.
   */
  readonly y: number;
  readonly p: number;
  /** Row weights or 0. */
  readonly w: number;
  /** Regressors known to be absorbed by the fixed effects (indices 0..p-1): dropped first. */
  readonly absorbed: ReadonlySet<number>;
  /** Regressor names, for the error when nothing is left to estimate. */
  readonly names: readonly string[];
  /** The cross-products of [y X] (augmentedGram). */
  readonly gram: Float64Array;
  /** Threads for the residuals (1, the default: on the calling thread). */
  readonly threads?: number;
}

export interface LeastSquares {
  /** Indices (0..p-1) of the estimated regressors, in order; their columns now sit at x. */
  readonly kept: readonly number[];
  /** Indices of the regressors dropped as collinear or absorbed. */
  readonly dropped: readonly number[];
  readonly beta: Float64Array;
  /** (X'WX)⁻¹ over the kept regressors. */
  readonly bread: Float64Array;
  /** Residuals y − Xβ (f64, n, in the arena). */
  readonly resid: number;
  /** Σ w e². */
  readonly ssr: number;
  /**
   * 1-norm condition number of X'WX over the kept regressors, each scaled to unit length first
   * (so it measures near-collinearity, not units): about the factor by which rounding errors in
   * the data are magnified in β.
   */
  readonly condition: number;
}

/** Above this condition number a fit warns: β may have lost the last 10 of its ~16 significant digits. */
export const CONDITION_WARNING = 1e10;

/** Weighted least squares with collinear columns dropped in order (the later of a collinear pair goes). */
export async function leastSquares(k: Kernels, arena: Arena, q: LeastSquaresInput): Promise<LeastSquares> {
  const { n, p, w } = q;
  const x = q.y + n * 8;
  const col = (j: number) => x + j * n * 8;
  const { xtx, xty } = normalEquations(q.gram, p);
  const solved = solveNormalEquations(xtx, xty, p, q.absorbed, q.names);
  const { kept } = solved;
  kept.forEach((c, idx) => {
    if (c !== idx) arena.f64(col(idx), n).set(arena.f64(col(c), n));
  });
  const betaPtr = arena.putF64(solved.beta);
  const resid = arena.allocF64(n, "residuals");
  await residualsLanes(k, n, kept.length, x, betaPtr, q.y, resid, q.threads ?? 1);
  return { ...solved, resid, ssr: k.dot(n, resid, resid, w) };
}

/**
 * The cross-products of [y X] for y and the p regressor columns right after it ((p+1)×(p+1),
 * row-major: y'Wy, then y'WX, then X'WX), in one pass over the columns: each entry is the dot
 * product of its two columns, bit for bit, so the regressors' spreads and y'Wy can be read off it.
 */
export async function augmentedGram(k: Kernels, arena: Arena, n: number, y: number, p: number, w: number, threads: number): Promise<Float64Array> {
  const out = arena.allocF64((p + 1) * (p + 1));
  await crossprodLanes(k, arena, n, p + 1, y, w, out, threads);
  return arena.f64(out, (p + 1) * (p + 1)).slice();
}

/** X'WX (p×p) and X'Wy, read off the augmented Gram matrix of [y X]. */
function normalEquations(gram: Float64Array, p: number): { xtx: Float64Array; xty: Float64Array } {
  const xtx = new Float64Array(p * p);
  for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) xtx[a * p + b] = gram[(a + 1) * (p + 1) + b + 1];
  return { xtx, xty: gram.slice(1, p + 1) };
}

/**
 * The regressors (indices 0..p-1) absorbed by the fixed effects (fit/absorbed.ts), from the
 * augmented Gram matrix of the demeaned [y X] (their within spreads are its diagonal) and their
 * spreads before demeaning.
 */
export function absorbedRegressors(gram: Float64Array, p: number, rawSpreads: (c: number) => number): Set<number> {
  const absorbed = new Set<number>();
  for (let c = 0; c < p; c++) if (isAbsorbed(gram[(c + 1) * (p + 2)], rawSpreads(c))) absorbed.add(c);
  return absorbed;
}

/** What least squares gives from the cross-products alone. */
export type NormalSolution = Pick<LeastSquares, "kept" | "dropped" | "beta" | "bread" | "condition">;

/**
 * Solves X'WX β = X'Wy with collinear and absorbed columns dropped (the later of a collinear pair
 * goes): the part of least squares that needs only the p×p and p-long cross-products, shared by
 * the in-memory fit and the out-of-core one (src/outofcore), which gets them from SQL.
 */
export function solveNormalEquations(xtx: Float64Array, xty: Float64Array, p: number, absorbed: ReadonlySet<number>, names: readonly string[]): NormalSolution {
  for (const a of absorbed) for (let c = 0; c < p; c++) { xtx[a * p + c] = 0; xtx[c * p + a] = 0; }
  const factor = choleskyDropping(xtx, p, COLLINEAR_TOL);
  const kept = factor.kept;
  if (kept.length === 0) {
    const why = absorbed.size === p ? "absorbed by the fixed effects" : absorbed.size > 0 ? "collinear or absorbed by the fixed effects" : "collinear (or zero)";
    throw new EstimationError("singular", `every regressor (${names.join(", ")}) is ${why}; nothing can be estimated`);
  }
  const keptXtx = submatrix(xtx, p, kept);
  const keptFactor = choleskyDropping(keptXtx, kept.length, 0);
  const beta = solveFactor(keptFactor, kept.map((c) => xty[c]));
  const bread = inverseFactor(keptFactor);
  return { kept, dropped: factor.dropped, beta, bread, condition: scaledCondition(keptXtx, bread, kept.length) };
}

/** ‖S A S‖₁ ‖(S A S)⁻¹‖₁ with S = diag(A)^(-1/2), from A and its inverse (both k×k, row-major). */
function scaledCondition(a: Float64Array, inverse: Float64Array, k: number): number {
  const d = Array.from({ length: k }, (_, i) => Math.sqrt(a[i * k + i]));
  let normA = 0;
  let normInverse = 0;
  for (let j = 0; j < k; j++) {
    let colA = 0;
    let colInverse = 0;
    for (let i = 0; i < k; i++) {
      colA += Math.abs(a[i * k + j]) / (d[i] * d[j]);
      colInverse += Math.abs(inverse[i * k + j]) * d[i] * d[j];
    }
    normA = Math.max(normA, colA);
    normInverse = Math.max(normInverse, colInverse);
  }
  return normA * normInverse;
}
