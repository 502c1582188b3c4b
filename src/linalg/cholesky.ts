/**
 * Cholesky factorisation of a symmetric positive semi-definite matrix that drops, in order,
 * every column whose pivot is (relatively) zero: the column is a linear combination of the
 * columns kept before it. This is how collinear regressors are found (the later of two
 * collinear columns goes, as in fixest) and how the rank-deficient fixed-effect systems of the
 * exact solver are solved with a generalised inverse (dropped coordinates are set to 0).
 */
export interface Factor {
  /** Dimension of the original matrix. */
  readonly size: number;
  /** Indices of the kept columns, ascending. */
  readonly kept: readonly number[];
  /** Indices of the dropped (collinear) columns. */
  readonly dropped: readonly number[];
  /** Lower-triangular factor of the kept block, row-major, kept.length². */
  readonly lower: Float64Array;
}

/**
 * @param a row-major size×size matrix (not modified)
 * @param tol a pivot below tol × the column's own diagonal counts as collinear
 */
export function choleskyDropping(a: Float64Array, size: number, tol: number): Factor {
  const kept: number[] = [];
  const dropped: number[] = [];
  // L rows for kept columns, stored densely in kept order.
  const lower = new Float64Array(size * size);
  for (let j = 0; j < size; j++) {
    const diag = a[j * size + j];
    const m = kept.length;
    // Row m of L: l[m][c] for c < m.
    const row = m * size;
    for (let c = 0; c < m; c++) {
      let s = a[j * size + kept[c]];
      const rc = c * size;
      for (let d = 0; d < c; d++) s -= lower[row + d] * lower[rc + d];
      lower[row + c] = s / lower[rc + c];
    }
    let pivot = diag;
    for (let c = 0; c < m; c++) pivot -= lower[row + c] * lower[row + c];
    if (!(diag > 0) || !(pivot > tol * diag)) {
      lower.fill(0, row, row + m);
      dropped.push(j);
      continue;
    }
    lower[row + m] = Math.sqrt(pivot);
    kept.push(j);
  }
  const k = kept.length;
  const packed = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let c = 0; c <= r; c++) packed[r * k + c] = lower[r * size + c];
  return { size, kept, dropped, lower: packed };
}

/** Solves A x = b over the kept coordinates; dropped coordinates of x are 0. */
export function solveFactor(f: Factor, b: ArrayLike<number>): Float64Array {
  const k = f.kept.length;
  const l = f.lower;
  const z = new Float64Array(k);
  for (let r = 0; r < k; r++) {
    let s = b[f.kept[r]];
    for (let c = 0; c < r; c++) s -= l[r * k + c] * z[c];
    z[r] = s / l[r * k + r];
  }
  for (let r = k - 1; r >= 0; r--) {
    let s = z[r];
    for (let c = r + 1; c < k; c++) s -= l[c * k + r] * z[c];
    z[r] = s / l[r * k + r];
  }
  const x = new Float64Array(f.size);
  for (let r = 0; r < k; r++) x[f.kept[r]] = z[r];
  return x;
}

/** Inverse of the kept block (k×k, row-major, in kept order). */
export function inverseFactor(f: Factor): Float64Array {
  const k = f.kept.length;
  const inv = new Float64Array(k * k);
  const e = new Float64Array(f.size);
  for (let c = 0; c < k; c++) {
    e.fill(0);
    e[f.kept[c]] = 1;
    const col = solveFactor(f, e);
    for (let r = 0; r < k; r++) inv[r * k + c] = col[f.kept[r]];
  }
  return inv;
}
