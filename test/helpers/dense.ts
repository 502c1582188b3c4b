/**
 * Hand computations for tests, independent of absorb's code paths: dense matrices as arrays of
 * rows, Gauss–Jordan inversion, least squares with explicit dummy variables for fixed effects.
 */
export type Matrix = number[][];

export function transpose(a: Matrix): Matrix {
  return a[0].map((_, j) => a.map((row) => row[j]));
}

export function matmul(a: Matrix, b: Matrix): Matrix {
  return a.map((row) => b[0].map((_, j) => row.reduce((s, v, l) => s + v * b[l][j], 0)));
}

export function inverse(a: Matrix): Matrix {
  const n = a.length;
  const m = a.map((row, i) => [...row, ...row.map((_, j) => (i === j ? 1 : 0))]);
  for (let c = 0; c < n; c++) {
    let p = c;
    for (let r = c + 1; r < n; r++) if (Math.abs(m[r][c]) > Math.abs(m[p][c])) p = r;
    [m[c], m[p]] = [m[p], m[c]];
    const d = m[c][c];
    if (Math.abs(d) < 1e-300) throw new Error("singular");
    for (let j = 0; j < 2 * n; j++) m[c][j] /= d;
    for (let r = 0; r < n; r++) {
      if (r === c) continue;
      const f = m[r][c];
      if (f !== 0) for (let j = 0; j < 2 * n; j++) m[r][j] -= f * m[c][j];
    }
  }
  return m.map((row) => row.slice(n));
}

/** Columns → matrix with rows as observations. */
export function fromColumns(cols: number[][]): Matrix {
  return cols[0].map((_, i) => cols.map((c) => c[i]));
}

/** Dummy columns for the levels of `codes` (all levels, or all but the first). */
export function dummies(codes: readonly (number | string)[], dropFirst: boolean): number[][] {
  const levels = [...new Set(codes)].sort((a, b) => (a < b ? -1 : a > b ? 1 : 0));
  return levels.slice(dropFirst ? 1 : 0).map((l) => codes.map((c) => (c === l ? 1 : 0)));
}

/** Weighted least squares: coefficients and residuals of y on the columns X. */
export function ols(y: number[], X: number[][], w?: number[]): { beta: number[]; resid: number[]; xtxInv: Matrix } {
  const n = y.length;
  const wt = w ?? y.map(() => 1);
  const k = X.length;
  const xtx: Matrix = Array.from({ length: k }, (_, a) => Array.from({ length: k }, (_, b) => X[a].reduce((s, v, i) => s + wt[i] * v * X[b][i], 0)));
  const xty = X.map((c) => c.reduce((s, v, i) => s + wt[i] * v * y[i], 0));
  const inv = inverse(xtx);
  const beta = inv.map((row) => row.reduce((s, v, j) => s + v * xty[j], 0));
  const resid = Array.from({ length: n }, (_, i) => y[i] - X.reduce((s, c, j) => s + c[i] * beta[j], 0));
  return { beta, resid, xtxInv: inv };
}

/** Residuals of each column of `cols` on `on` (the FWL partialling). */
export function partial(cols: number[][], on: number[][], w?: number[]): number[][] {
  if (on.length === 0) return cols.map((c) => [...c]);
  return cols.map((c) => ols(c, on, w).resid);
}

/** B M B for the sandwich. */
export function sandwich(bread: Matrix, meat: Matrix): Matrix {
  return matmul(matmul(bread, meat), bread);
}

/** Σ over groups of s_g s_g', s_g the sum of the score rows in group g. */
export function groupMeat(scores: Matrix, groups: readonly (number | string)[]): Matrix {
  const k = scores[0].length;
  const sums = new Map<number | string, number[]>();
  scores.forEach((s, i) => {
    const acc = sums.get(groups[i]) ?? new Array(k).fill(0);
    s.forEach((v, j) => (acc[j] += v));
    sums.set(groups[i], acc);
  });
  const meat: Matrix = Array.from({ length: k }, () => new Array(k).fill(0));
  for (const s of sums.values()) for (let a = 0; a < k; a++) for (let b = 0; b < k; b++) meat[a][b] += s[a] * s[b];
  return meat;
}
