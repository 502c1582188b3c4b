// Fixed-effect projection kernels. Everything works on raw pointers into the one shared
// memory: codes are int32 group indices, values are f64, a weight pointer of 0 means
// unweighted. The driver owns the iteration (MAP with acceleration, or the exact solve);
// these are the passes over the rows that the iteration needs, each streaming once.

@inline function f64At(base: usize, i: usize): f64 {
  return load<f64>(base + (i << 3));
}

@inline function codeAt(base: usize, i: usize): usize {
  return <usize>load<i32>(base + (i << 2));
}

@inline function addAt(base: usize, g: usize, v: f64): void {
  const p = base + (g << 3);
  store<f64>(p, load<f64>(p) + v);
}

/** out[g] += w_i·x_i over rows with codes[i] = g (out must be zeroed by the caller). */
export function group_sums(n: i32, x: usize, w: usize, codes: usize, out: usize): void {
  const m = <usize>n;
  if (w == 0) {
    for (let i: usize = 0; i < m; i++) addAt(out, codeAt(codes, i), f64At(x, i));
  } else {
    for (let i: usize = 0; i < m; i++) addAt(out, codeAt(codes, i), f64At(w, i) * f64At(x, i));
  }
}

/** out[g] += w_i (or 1) over rows of group g: the group sizes the means divide by. */
export function group_weights(n: i32, w: usize, codes: usize, out: usize): void {
  const m = <usize>n;
  if (w == 0) {
    for (let i: usize = 0; i < m; i++) addAt(out, codeAt(codes, i), 1.0);
  } else {
    for (let i: usize = 0; i < m; i++) addAt(out, codeAt(codes, i), f64At(w, i));
  }
}

/** out[dst[i]] += w_i·coef[src[i]]: one other fixed effect's coefficients summed into dst's groups. */
export function gather_scatter1(n: i32, dst: usize, out: usize, w: usize, src: usize, coef: usize): void {
  const m = <usize>n;
  if (w == 0) {
    for (let i: usize = 0; i < m; i++) addAt(out, codeAt(dst, i), f64At(coef, codeAt(src, i)));
  } else {
    for (let i: usize = 0; i < m; i++) addAt(out, codeAt(dst, i), f64At(w, i) * f64At(coef, codeAt(src, i)));
  }
}

/** As gather_scatter1 with two other fixed effects (the three-way case). */
export function gather_scatter2(
  n: i32, dst: usize, out: usize, w: usize,
  src0: usize, coef0: usize, src1: usize, coef1: usize,
): void {
  const m = <usize>n;
  for (let i: usize = 0; i < m; i++) {
    let s = f64At(coef0, codeAt(src0, i)) + f64At(coef1, codeAt(src1, i));
    if (w != 0) s *= f64At(w, i);
    addAt(out, codeAt(dst, i), s);
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
      s += f64At(coef, codeAt(src, i));
    }
    if (w != 0) s *= f64At(w, i);
    addAt(out, codeAt(dst, i), s);
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
      store<f64>(out + (i << 3), f64At(x, i) - f64At(coef, codeAt(src, i)));
    }
    return;
  }
  for (let i: usize = 0; i < m; i++) {
    let s = 0.0;
    for (let j: usize = 0; j < kk; j++) {
      const src = <usize>load<u32>(srcTable + (j << 2));
      const coef = <usize>load<u32>(coefTable + (j << 2));
      s += f64At(coef, codeAt(src, i));
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
      addAt(s0, codeAt(c0, i), v);
      addAt(s1, codeAt(c1, i), v);
    }
    return;
  }
  if (qq == 3 && w == 0) {
    const c0 = <usize>load<u32>(codeTable), c1 = <usize>load<u32>(codeTable, 4), c2 = <usize>load<u32>(codeTable, 8);
    const s0 = <usize>load<u32>(sumsTable), s1 = <usize>load<u32>(sumsTable, 4), s2 = <usize>load<u32>(sumsTable, 8);
    for (let i: usize = 0; i < m; i++) {
      const v = f64At(x, i);
      addAt(s0, codeAt(c0, i), v);
      addAt(s1, codeAt(c1, i), v);
      addAt(s2, codeAt(c2, i), v);
    }
    return;
  }
  for (let i: usize = 0; i < m; i++) {
    const v = w == 0 ? f64At(x, i) : f64At(w, i) * f64At(x, i);
    for (let j: usize = 0; j < qq; j++) {
      addAt(<usize>load<u32>(sumsTable + (j << 2)), codeAt(<usize>load<u32>(codeTable + (j << 2)), i), v);
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
      const r = f64At(x, i) - f64At(coef, codeAt(src, i));
      store<f64>(out + (i << 3), r);
      addAt(sums, codeAt(codes, i), r);
    }
    return;
  }
  if (kk == 2 && w == 0) {
    // The sum of the two coefficients as the general loop forms it: 0 + first + second.
    const src0 = <usize>load<u32>(srcTable), coef0 = <usize>load<u32>(coefTable);
    const src1 = <usize>load<u32>(srcTable, 4), coef1 = <usize>load<u32>(coefTable, 4);
    for (let i: usize = 0; i < m; i++) {
      const r = f64At(x, i) - (0.0 + f64At(coef0, codeAt(src0, i)) + f64At(coef1, codeAt(src1, i)));
      store<f64>(out + (i << 3), r);
      addAt(sums, codeAt(codes, i), r);
    }
    return;
  }
  for (let i: usize = 0; i < m; i++) {
    let r: f64;
    if (kk == 1) {
      r = f64At(x, i) - f64At(<usize>load<u32>(coefTable), codeAt(<usize>load<u32>(srcTable), i));
    } else {
      let s = 0.0;
      for (let j: usize = 0; j < kk; j++) s += f64At(<usize>load<u32>(coefTable + (j << 2)), codeAt(<usize>load<u32>(srcTable + (j << 2)), i));
      r = f64At(x, i) - s;
    }
    store<f64>(out + (i << 3), r);
    addAt(sums, codeAt(codes, i), w == 0 ? r : f64At(w, i) * r);
  }
}
