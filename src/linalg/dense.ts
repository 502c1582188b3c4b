import { choleskyDropping, inverseFactor, solveFactor } from "./cholesky.js";
import { symmetricEigen } from "./matrix.js";

/**
 * Small dense helpers for the statistics computed from cross-products (IV diagnostics, Wald
 * tests, the bootstrap's set-up): row-major rectangular matrices as { rows, cols, data }.
 */
export interface Mat {
  readonly rows: number;
  readonly cols: number;
  readonly data: Float64Array;
}

export function mat(rows: number, cols: number, data?: ArrayLike<number>): Mat {
  return { rows, cols, data: data ? Float64Array.from(data) : new Float64Array(rows * cols) };
}

/** Rows `ri`, columns `ci` of a size×size row-major matrix. */
export function pick(a: Float64Array, size: number, ri: readonly number[], ci: readonly number[]): Mat {
  const out = mat(ri.length, ci.length);
  for (let r = 0; r < ri.length; r++) for (let c = 0; c < ci.length; c++) out.data[r * ci.length + c] = a[ri[r] * size + ci[c]];
  return out;
}

export function mul(a: Mat, b: Mat): Mat {
  if (a.cols !== b.rows) throw new Error(`mul: ${a.rows}×${a.cols} by ${b.rows}×${b.cols}`);
  const out = mat(a.rows, b.cols);
  for (let i = 0; i < a.rows; i++) {
    for (let l = 0; l < a.cols; l++) {
      const v = a.data[i * a.cols + l];
      if (v === 0) continue;
      for (let j = 0; j < b.cols; j++) out.data[i * b.cols + j] += v * b.data[l * b.cols + j];
    }
  }
  return out;
}

export function transpose(a: Mat): Mat {
  const out = mat(a.cols, a.rows);
  for (let i = 0; i < a.rows; i++) for (let j = 0; j < a.cols; j++) out.data[j * a.rows + i] = a.data[i * a.cols + j];
  return out;
}

export function sub(a: Mat, b: Mat): Mat {
  return { rows: a.rows, cols: a.cols, data: a.data.map((v, i) => v - b.data[i]) };
}

/** Solves S X = B for symmetric positive definite S (columns of B). Throws if S is singular. */
export function solveSpd(s: Mat, b: Mat): Mat {
  const f = choleskyDropping(s.data, s.rows, 0);
  if (f.kept.length < s.rows) throw new Error("solveSpd: matrix is not positive definite");
  const out = mat(b.rows, b.cols);
  const col = new Float64Array(b.rows);
  for (let j = 0; j < b.cols; j++) {
    for (let i = 0; i < b.rows; i++) col[i] = b.data[i * b.cols + j];
    const x = solveFactor(f, col);
    for (let i = 0; i < b.rows; i++) out.data[i * b.cols + j] = x[i];
  }
  return out;
}

/** Inverse of a symmetric positive definite matrix; null when it is (numerically) singular. */
export function invSpd(s: Mat, tol = 1e-12): Mat | null {
  if (s.rows === 0) return mat(0, 0);
  const f = choleskyDropping(s.data, s.rows, tol);
  if (f.kept.length < s.rows) return null;
  return { rows: s.rows, cols: s.cols, data: inverseFactor(f) };
}

/** Lower Cholesky factor L (L L' = S), or null if S is not positive definite. */
export function cholLower(s: Mat): Mat | null {
  const f = choleskyDropping(s.data, s.rows, 0);
  if (f.kept.length < s.rows) return null;
  return { rows: s.rows, cols: s.rows, data: f.lower };
}

/** Inverse of a lower-triangular matrix. */
export function lowerInverse(l: Mat): Mat {
  const k = l.rows;
  const out = mat(k, k);
  for (let c = 0; c < k; c++) {
    for (let r = c; r < k; r++) {
      let s = r === c ? 1 : 0;
      for (let m = c; m < r; m++) s -= l.data[r * k + m] * out.data[m * k + c];
      out.data[r * k + c] = s / l.data[r * k + r];
    }
  }
  return out;
}

/** Eigen-decomposition of a symmetric matrix, eigenvalues ascending; vectors are the columns. */
export function eigenAscending(s: Mat): { values: Float64Array; vectors: Mat } {
  const k = s.rows;
  const { values, vectors } = symmetricEigen(s.data, k);
  const order = Array.from(values, (_, i) => i).sort((a, b) => values[a] - values[b]);
  const v = mat(k, k);
  for (let c = 0; c < k; c++) for (let r = 0; r < k; r++) v.data[r * k + c] = vectors[r * k + order[c]];
  return { values: Float64Array.from(order, (i) => values[i]), vectors: v };
}

/** Columns `ci` of a matrix. */
export function columns(a: Mat, ci: readonly number[]): Mat {
  const out = mat(a.rows, ci.length);
  for (let r = 0; r < a.rows; r++) for (let c = 0; c < ci.length; c++) out.data[r * ci.length + c] = a.data[r * a.cols + ci[c]];
  return out;
}

/** x' S⁻¹ x for SPD S (null if singular). */
export function quadInv(x: ArrayLike<number>, s: Mat): number | null {
  const f = choleskyDropping(s.data, s.rows, 1e-12);
  if (f.kept.length < s.rows) return null;
  const z = solveFactor(f, x);
  let q = 0;
  for (let i = 0; i < s.rows; i++) q += x[i] * z[i];
  return q;
}
