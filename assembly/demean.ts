// Fixed-effect projection kernels. Everything works on raw pointers into the one shared
// memory: codes are int32 group indices, values are f64, a weight pointer of 0 means
// unweighted. The driver owns the iteration (MAP with acceleration, or the exact solve);
// these are the passes over the rows that the iteration needs, each streaming once.

import { addAt, f64At, i32At } from "./access";

/** out[g] += w_i·x_i over rows with codes[i] = g (out must be zeroed by the caller). */
export function group_sums(n: i32, x: usize, w: usize, codes: usize, out: usize): void {
  const m = <usize>n;
  if (w == 0) {
    for (let i: usize = 0; i < m; i++) addAt(out, i32At(codes, i), f64At(x, i));
  } else {
    for (let i: usize = 0; i < m; i++) addAt(out, i32At(codes, i), f64At(w, i) * f64At(x, i));
  }
}

/** out[g] += w_i (or 1) over rows of group g: the group sizes the means divide by. */
export function group_weights(n: i32, w: usize, codes: usize, out: usize): void {
  const m = <usize>n;
  if (w == 0) {
    for (let i: usize = 0; i < m; i++) addAt(out, i32At(codes, i), 1.0);
  } else {
    for (let i: usize = 0; i < m; i++) addAt(out, i32At(codes, i), f64At(w, i));
  }
}

/** out[dst[i]] += w_i·coef[src[i]]: one other fixed effect's coefficients summed into dst's groups. */
export function gather_scatter1(n: i32, dst: usize, out: usize, w: usize, src: usize, coef: usize): void {
  const m = <usize>n;
  if (w == 0) {
    for (let i: usize = 0; i < m; i++) addAt(out, i32At(dst, i), f64At(coef, i32At(src, i)));
  } else {
    for (let i: usize = 0; i < m; i++) addAt(out, i32At(dst, i), f64At(w, i) * f64At(coef, i32At(src, i)));
  }
}

/** As gather_scatter1 with two other fixed effects (the three-way case). */
export function gather_scatter2(
  n: i32, dst: usize, out: usize, w: usize,
  src0: usize, coef0: usize, src1: usize, coef1: usize,
): void {
  const m = <usize>n;
  for (let i: usize = 0; i < m; i++) {
    let s = f64At(coef0, i32At(src0, i)) + f64At(coef1, i32At(src1, i));
    if (w != 0) s *= f64At(w, i);
    addAt(out, i32At(dst, i), s);
  }
}

/**
 * General case: k other fixed effects whose code and coefficient pointers are listed in
 * two u32 tables (srcTable[j], coefTable[j]).
 */
export function gather_scatterN(
  n: i32, dst: usize, out: usize, w: usize, k: i32, srcTable: usize, coefTable: usize,
): void {
  const m = <usize>n;
  const kk = <usize>k;
  for (let i: usize = 0; i < m; i++) {
    let s = 0.0;
    for (let j: usize = 0; j < kk; j++) {
      const src = <usize>load<u32>(srcTable + (j << 2));
      const coef = <usize>load<u32>(coefTable + (j << 2));
      s += f64At(coef, i32At(src, i));
    }
    if (w != 0) s *= f64At(w, i);
    addAt(out, i32At(dst, i), s);
  }
}

/** out[i] = x[i] − Σ_j coef_j[src_j[i]]: the residual after the fixed effects. out may alias x. */
export function fe_residual(n: i32, x: usize, out: usize, k: i32, srcTable: usize, coefTable: usize): void {
  const m = <usize>n;
  const kk = <usize>k;
  if (kk == 1) {
    const src = <usize>load<u32>(srcTable);
    const coef = <usize>load<u32>(coefTable);
    for (let i: usize = 0; i < m; i++) {
      store<f64>(out + (i << 3), f64At(x, i) - f64At(coef, i32At(src, i)));
    }
    return;
  }
  for (let i: usize = 0; i < m; i++) {
    let s = 0.0;
    for (let j: usize = 0; j < kk; j++) {
      const src = <usize>load<u32>(srcTable + (j << 2));
      const coef = <usize>load<u32>(coefTable + (j << 2));
      s += f64At(coef, i32At(src, i));
    }
    store<f64>(out + (i << 3), f64At(x, i) - s);
  }
}

/**
 * coef[g] = (sums[g] − acc[g]) / weights[g]: the group means one projection step sets. acc 0:
 * nothing to take off, coef[g] = sums[g] / weights[g] (the same value: x − 0 is x).
 */
export function solve_groups(g: i32, sums: usize, acc: usize, weights: usize, coef: usize): void {
  const m = <usize>g;
  if (acc == 0) {
    for (let i: usize = 0; i < m; i++) store<f64>(coef + (i << 3), f64At(sums, i) / f64At(weights, i));
    return;
  }
  for (let i: usize = 0; i < m; i++) {
    store<f64>(coef + (i << 3), (f64At(sums, i) - f64At(acc, i)) / f64At(weights, i));
  }
}

/**
 * group_sums of x for q fixed effects at once (their code and sum pointers in two u32 tables):
 * x is read once; each effect's sums get the same terms in the same order as q calls would.
 */
export function group_sums_all(n: i32, x: usize, w: usize, q: i32, codeTable: usize, sumsTable: usize): void {
  const m = <usize>n;
  const qq = <usize>q;
  if (qq == 2 && w == 0) {
    // Two effects (firm and year), unweighted: the pointers in locals, since the stores below
    // could alias the tables and the compiler reloads them on every row otherwise.
    const c0 = <usize>load<u32>(codeTable), c1 = <usize>load<u32>(codeTable, 4);
    const s0 = <usize>load<u32>(sumsTable), s1 = <usize>load<u32>(sumsTable, 4);
    for (let i: usize = 0; i < m; i++) {
      const v = f64At(x, i);
      addAt(s0, i32At(c0, i), v);
      addAt(s1, i32At(c1, i), v);
    }
    return;
  }
  if (qq == 3 && w == 0) {
    const c0 = <usize>load<u32>(codeTable), c1 = <usize>load<u32>(codeTable, 4), c2 = <usize>load<u32>(codeTable, 8);
    const s0 = <usize>load<u32>(sumsTable), s1 = <usize>load<u32>(sumsTable, 4), s2 = <usize>load<u32>(sumsTable, 8);
    for (let i: usize = 0; i < m; i++) {
      const v = f64At(x, i);
      addAt(s0, i32At(c0, i), v);
      addAt(s1, i32At(c1, i), v);
      addAt(s2, i32At(c2, i), v);
    }
    return;
  }
  for (let i: usize = 0; i < m; i++) {
    const v = w == 0 ? f64At(x, i) : f64At(w, i) * f64At(x, i);
    for (let j: usize = 0; j < qq; j++) {
      addAt(<usize>load<u32>(sumsTable + (j << 2)), i32At(<usize>load<u32>(codeTable + (j << 2)), i), v);
    }
  }
}

/**
 * fe_residual (out = x − Σ the k effects' coefficients, as it computes it) and, of the result,
 * group_sums by `codes` into `sums`: one pass for what the two calls do in two.
 */
export function residual_group_sums(n: i32, x: usize, out: usize, k: i32, srcTable: usize, coefTable: usize, w: usize, codes: usize, sums: usize): void {
  const m = <usize>n;
  const kk = <usize>k;
  if (kk == 1 && w == 0) {
    // One other effect, unweighted: the pointers in locals (as in group_sums_all).
    const src = <usize>load<u32>(srcTable), coef = <usize>load<u32>(coefTable);
    for (let i: usize = 0; i < m; i++) {
      const r = f64At(x, i) - f64At(coef, i32At(src, i));
      store<f64>(out + (i << 3), r);
      addAt(sums, i32At(codes, i), r);
    }
    return;
  }
  if (kk == 2 && w == 0) {
    // The sum of the two coefficients as the general loop forms it: 0 + first + second.
    const src0 = <usize>load<u32>(srcTable), coef0 = <usize>load<u32>(coefTable);
    const src1 = <usize>load<u32>(srcTable, 4), coef1 = <usize>load<u32>(coefTable, 4);
    for (let i: usize = 0; i < m; i++) {
      const r = f64At(x, i) - (0.0 + f64At(coef0, i32At(src0, i)) + f64At(coef1, i32At(src1, i)));
      store<f64>(out + (i << 3), r);
      addAt(sums, i32At(codes, i), r);
    }
    return;
  }
  for (let i: usize = 0; i < m; i++) {
    let r: f64;
    if (kk == 1) {
      r = f64At(x, i) - f64At(<usize>load<u32>(coefTable), i32At(<usize>load<u32>(srcTable), i));
    } else {
      let s = 0.0;
      for (let j: usize = 0; j < kk; j++) s += f64At(<usize>load<u32>(coefTable + (j << 2)), i32At(<usize>load<u32>(srcTable + (j << 2)), i));
      r = f64At(x, i) - s;
    }
    store<f64>(out + (i << 3), r);
    addAt(sums, i32At(codes, i), w == 0 ? r : f64At(w, i) * r);
  }
}

// Pairs of columns: the exact method's passes for two columns at once, unweighted, with two or
// three fixed effects. The codes are read once for both (rows are streamed from memory, so a
// pass over two columns costs about two-thirds of two passes), and each column gets exactly
// what the one-column kernel above gives it: the same operations in the same order, into its
// own sums and coefficients. Each column's pointers come in a u32 table of its own.

/** group_sums_all (unweighted, q = 2 or 3) of columns xa and xb into their own sums tables. */
export function group_sums_all_pair(n: i32, xa: usize, xb: usize, q: i32, codeTable: usize, sumsA: usize, sumsB: usize): void {
  const m = <usize>n;
  const three = q == 3;
  const c0 = <usize>load<u32>(codeTable), c1 = <usize>load<u32>(codeTable, 4);
  const c2 = three ? <usize>load<u32>(codeTable, 8) : c1;
  const a0 = <usize>load<u32>(sumsA), a1 = <usize>load<u32>(sumsA, 4);
  const a2 = three ? <usize>load<u32>(sumsA, 8) : a1;
  const b0 = <usize>load<u32>(sumsB), b1 = <usize>load<u32>(sumsB, 4);
  const b2 = three ? <usize>load<u32>(sumsB, 8) : b1;
  for (let i: usize = 0; i < m; i++) {
    const va = f64At(xa, i);
    const vb = f64At(xb, i);
    const g0 = i32At(c0, i);
    const g1 = i32At(c1, i);
    addAt(a0, g0, va);
    addAt(a1, g1, va);
    addAt(b0, g0, vb);
    addAt(b1, g1, vb);
    if (three) {
      const g2 = i32At(c2, i);
      addAt(a2, g2, va);
      addAt(b2, g2, vb);
    }
  }
}

/** gather_scatter1 (unweighted) for two columns: outA[dst[i]] += coefA[src[i]], and the same for B. */
export function gather_scatter1_pair(n: i32, dst: usize, src: usize, outA: usize, coefA: usize, outB: usize, coefB: usize): void {
  const m = <usize>n;
  for (let i: usize = 0; i < m; i++) {
    const d = i32At(dst, i);
    const s = i32At(src, i);
    addAt(outA, d, f64At(coefA, s));
    addAt(outB, d, f64At(coefB, s));
  }
}

/**
 * residual_group_sums (unweighted, one or two other effects) for two columns: outA = xa − its
 * coefficients and sumsA[codes] += outA, and the same for B. Each column's tables hold its
 * coefficient pointers for the k other effects; srcTable their codes.
 */
export function residual_group_sums_pair(
  n: i32, k: i32, srcTable: usize, codes: usize,
  xa: usize, outA: usize, coefA: usize, sumsA: usize,
  xb: usize, outB: usize, coefB: usize, sumsB: usize,
): void {
  const m = <usize>n;
  const two = k == 2;
  const src0 = <usize>load<u32>(srcTable);
  const src1 = two ? <usize>load<u32>(srcTable, 4) : src0;
  const a0 = <usize>load<u32>(coefA), b0 = <usize>load<u32>(coefB);
  const a1 = two ? <usize>load<u32>(coefA, 4) : a0;
  const b1 = two ? <usize>load<u32>(coefB, 4) : b0;
  for (let i: usize = 0; i < m; i++) {
    const g0 = i32At(src0, i);
    const g = i32At(codes, i);
    let ra: f64, rb: f64;
    if (two) {
      // The sum of the two coefficients as the one-column kernel forms it: 0 + first + second.
      const g1 = i32At(src1, i);
      ra = f64At(xa, i) - (0.0 + f64At(a0, g0) + f64At(a1, g1));
      rb = f64At(xb, i) - (0.0 + f64At(b0, g0) + f64At(b1, g1));
    } else {
      ra = f64At(xa, i) - f64At(a0, g0);
      rb = f64At(xb, i) - f64At(b0, g0);
    }
    store<f64>(outA + (i << 3), ra);
    store<f64>(outB + (i << 3), rb);
    addAt(sumsA, g, ra);
    addAt(sumsB, g, rb);
  }
}

/** fe_residual with one effect for two columns: outA = xa − coefA[src], outB = xb − coefB[src] (each out may alias its x). */
export function fe_residual_pair(n: i32, src: usize, xa: usize, outA: usize, coefA: usize, xb: usize, outB: usize, coefB: usize): void {
  const m = <usize>n;
  for (let i: usize = 0; i < m; i++) {
    const g = i32At(src, i);
    store<f64>(outA + (i << 3), f64At(xa, i) - f64At(coefA, g));
    store<f64>(outB + (i << 3), f64At(xb, i) - f64At(coefB, g));
  }
}
