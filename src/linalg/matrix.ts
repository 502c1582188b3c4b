/** Small dense row-major matrix helpers for k×k statistics (k = number of regressors). */

/** C = A·B for square k×k matrices. */
export function multiply(a: Float64Array, b: Float64Array, k: number): Float64Array {
  const c = new Float64Array(k * k);
  for (let i = 0; i < k; i++) {
    for (let l = 0; l < k; l++) {
      const v = a[i * k + l];
      if (v === 0) continue;
      for (let j = 0; j < k; j++) c[i * k + j] += v * b[l * k + j];
    }
  }
  return c;
}

/** The sandwich B·M·B. */
export function sandwich(bread: Float64Array, meat: Float64Array, k: number): Float64Array {
  return multiply(multiply(bread, meat, k), bread, k);
}

export function scale(a: Float64Array, s: number): Float64Array {
  return a.map((v) => v * s);
}

/** Extracts the rows/cols `idx` of a size×size matrix. */
export function submatrix(a: Float64Array, size: number, idx: readonly number[]): Float64Array {
  const k = idx.length;
  const out = new Float64Array(k * k);
  for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) out[r * k + c] = a[idx[r] * size + idx[c]];
  return out;
}

/**
 * Symmetric eigen-decomposition by cyclic Jacobi rotations: fine for the k ≤ a few dozen
 * matrices of multi-way clustering, where it repairs a non-positive-definite vcov.
 */
export function symmetricEigen(a: Float64Array, k: number): { values: Float64Array; vectors: Float64Array } {
  const m = Float64Array.from(a);
  const v = new Float64Array(k * k);
  for (let i = 0; i < k; i++) v[i * k + i] = 1;
  for (let sweep = 0; sweep < 100; sweep++) {
    let off = 0;
    for (let p = 0; p < k; p++) for (let q = p + 1; q < k; q++) off += m[p * k + q] ** 2;
    if (off < 1e-30) break;
    for (let p = 0; p < k; p++) {
      for (let q = p + 1; q < k; q++) {
        const apq = m[p * k + q];
        if (Math.abs(apq) < 1e-300) continue;
        const theta = (m[q * k + q] - m[p * k + p]) / (2 * apq);
        const t = Math.sign(theta || 1) / (Math.abs(theta) + Math.sqrt(theta * theta + 1));
        const c = 1 / Math.sqrt(t * t + 1);
        const s = t * c;
        for (let r = 0; r < k; r++) {
          const mrp = m[r * k + p];
          const mrq = m[r * k + q];
          m[r * k + p] = c * mrp - s * mrq;
          m[r * k + q] = s * mrp + c * mrq;
        }
        for (let r = 0; r < k; r++) {
          const mpr = m[p * k + r];
          const mqr = m[q * k + r];
          m[p * k + r] = c * mpr - s * mqr;
          m[q * k + r] = s * mpr + c * mqr;
        }
        for (let r = 0; r < k; r++) {
          const vrp = v[r * k + p];
          const vrq = v[r * k + q];
          v[r * k + p] = c * vrp - s * vrq;
          v[r * k + q] = s * vrp + c * vrq;
        }
      }
    }
  }
  const values = new Float64Array(k);
  for (let i = 0; i < k; i++) values[i] = m[i * k + i];
  return { values, vectors: v };
}
