// Kernels of the "cg" demeaning method (driver: src/engine/cg.ts).
//
// The largest fixed effect (index 0, G groups) is absorbed by group means; the other m effects
// have L levels in all, numbered globally (effect j's level c is offsets[j] + c). Their Schur
// complement A = D₂'W M₁ D₂ (M₁ = the projection off effect 0) is
//   * assembled once per fit as a sparse matrix (cg_group_levels, cg_pairs, cg_block, cg_emit:
//     passes over the groups and rows that read memory in order) and factored in its envelope
//     (env_factor, env_solve) to precondition, and
//   * applied to vectors without forming it, by passes over the rows (cg_apply), which is
//     what conjugate gradients iterates on, together with the right-hand side (cg_rhs) and the
//     final residual (cg_residual).
// Code tables are u32 arrays of m pointers to int32 code columns; offsets are m int32 values.
// A weight pointer of 0 means unweighted.

import { addAt, f64At, i32At } from "./access";

@inline function tablePtr(table: usize, j: usize): usize {
  return <usize>load<u32>(table + (j << 2));
}

/** Global level of row i in small effect j. */
@inline function levelOf(codeTable: usize, offsets: usize, j: usize, i: usize): usize {
  return i32At(offsets, j) + i32At(tablePtr(codeTable, j), i);
}

// ---------------------------------------------------------------------------------------------
// One-off assembly of the sparse Schur complement.

/**
 * C = D₁'W D₂ by group of the first effect, sparse: group g touches levels cidx[cstart[g] ..
 * cstart[g+1]) with weights cval. start/order list the rows by group (counting_sort; order 0:
 * the identity).
 * pos (L int32) is scratch. cidx/cval need room for n·m entries. Returns the entries written.
 */
export function cg_group_levels(
  g: i32, start: usize, order: usize, m: i32, codeTable: usize, offsets: usize, w: usize,
  levels: i32, pos: usize, cstart: usize, cidx: usize, cval: usize,
): i32 {
  const mm = <usize>m;
  memory.fill(pos, 0xff, <usize>levels << 2); // -1: never seen
  let nnz: usize = 0;
  store<i32>(cstart, 0);
  for (let grp: usize = 0; grp < <usize>g; grp++) {
    const first = nnz;
    const lo = i32At(start, grp);
    const hi = i32At(start, grp + 1);
    for (let r = lo; r < hi; r++) {
      const i = order == 0 ? r : i32At(order, r);
      const wi = w == 0 ? 1.0 : f64At(w, i);
      for (let j: usize = 0; j < mm; j++) {
        const u = levelOf(codeTable, offsets, j, i);
        const pp = pos + (u << 2);
        const at = load<i32>(pp);
        if (at < <i32>first) {
          store<i32>(pp, <i32>nnz);
          store<i32>(cidx + (nnz << 2), <i32>u);
          store<f64>(cval + (nnz << 3), wi);
          nnz++;
        } else {
          addAt(cval, <usize>at, wi);
        }
      }
    }
    store<i32>(cstart + ((grp + 1) << 2), <i32>nnz);
  }
  return <i32>nnz;
}

/**
 * The entries of A = D₂'WD₂ − C' W₁⁻¹ C among the levels below `limit` (the sparse part S),
 * upper triangle (u ≤ v), as a list of terms bucketed by row u, in two passes over the groups
 * and the rows (sequential reads only). fill = 0 counts the terms of each row into pstart[u+1]
 * (pstart: limit + 1 int32, zero on entry); the caller turns the counts into offsets and copies
 * them into `cursor`; fill = 1 then writes column pcol and value pval of each term at cursor[u]++.
 * Terms: −c_gu c_gv / W_g for each pair of S levels in group g's level set (cstart/cidx/cval),
 * and +w_i for each pair of S levels of row i in different effects (the effects in S are the
 * first mS). Returns the number of terms.
 */
export function cg_pairs(
  g: i32, cstart: usize, cidx: usize, cval: usize, firstW: usize, n: i32, mS: i32, codeTable: usize, offsets: usize,
  w: usize, limit: i32, pstart: usize, cursor: usize, pcol: usize, pval: usize, fill: i32,
): i32 {
  const lim = <usize>limit;
  let total: usize = 0;
  for (let grp: usize = 0; grp < <usize>g; grp++) {
    const lo = i32At(cstart, grp);
    const hi = i32At(cstart, grp + 1);
    const inv = fill != 0 ? 1.0 / f64At(firstW, grp) : 0.0;
    for (let a = lo; a < hi; a++) {
      const u = i32At(cidx, a);
      if (u >= lim) continue;
      const cu = f64At(cval, a) * inv;
      for (let b = lo; b < hi; b++) {
        const v = i32At(cidx, b);
        if (v < u || v >= lim) continue;
        if (fill == 0) {
          const p = pstart + ((u + 1) << 2);
          store<i32>(p, load<i32>(p) + 1);
        } else {
          const p = cursor + (u << 2);
          const at = <usize>load<i32>(p);
          store<i32>(pcol + (at << 2), <i32>v);
          store<f64>(pval + (at << 3), -cu * f64At(cval, b));
          store<i32>(p, <i32>at + 1);
        }
        total++;
      }
    }
  }
  const mm = <usize>mS;
  if (mm > 1) {
    for (let i: usize = 0; i < <usize>n; i++) {
      const wi = w == 0 ? 1.0 : f64At(w, i);
      for (let j: usize = 0; j + 1 < mm; j++) {
        const u = levelOf(codeTable, offsets, j, i);
        for (let k = j + 1; k < mm; k++) {
          const v = levelOf(codeTable, offsets, k, i);
          if (fill == 0) {
            const p = pstart + ((u + 1) << 2);
            store<i32>(p, load<i32>(p) + 1);
          } else {
            const p = cursor + (u << 2);
            const at = <usize>load<i32>(p);
            store<i32>(pcol + (at << 2), <i32>v);
            store<f64>(pval + (at << 3), wi);
            store<i32>(p, <i32>at + 1);
          }
          total++;
        }
      }
    }
  }
  return <i32>total;
}

/**
 * The rows of A touching the last small effect B = levels limit .. L − 1 (d of them, e.g.
 * years), accumulated densely: sb (limit × d) holds A's S×B block, bb (d × d) its B×B block,
 * both zero on entry (bb: upper triangle only). Group by group, then row
 * by row for the S×B part of D₂'WD₂ (the last effect is effect m − 1); the diagonal is added
 * later. sIdx/sVal and bIdx/bVal are scratch for one group's entries (L each).
 */
export function cg_block(
  g: i32, cstart: usize, cidx: usize, cval: usize, firstW: usize, n: i32, m: i32, codeTable: usize, offsets: usize,
  w: usize, limit: i32, levels: i32, sb: usize, bb: usize, sIdx: usize, sVal: usize, bIdx: usize, bVal: usize,
): void {
  const lim = <usize>limit;
  const d = <usize>levels - lim;
  for (let grp: usize = 0; grp < <usize>g; grp++) {
    const lo = i32At(cstart, grp);
    const hi = i32At(cstart, grp + 1);
    let ns: usize = 0;
    let nb: usize = 0;
    const inv = 1.0 / f64At(firstW, grp);
    for (let e = lo; e < hi; e++) {
      const v = i32At(cidx, e);
      if (v >= lim) {
        store<i32>(bIdx + (nb << 2), <i32>(v - lim));
        store<f64>(bVal + (nb << 3), f64At(cval, e));
        nb++;
      } else {
        store<i32>(sIdx + (ns << 2), <i32>v);
        store<f64>(sVal + (ns << 3), f64At(cval, e) * inv);
        ns++;
      }
    }
    for (let a: usize = 0; a < nb; a++) {
      const va = i32At(bIdx, a);
      const ca = f64At(bVal, a) * inv;
      for (let b = a; b < nb; b++) {
        // the pair into the upper triangle, whichever order its levels came in
        const vb = i32At(bIdx, b);
        const lo = select<usize>(va, vb, va < vb);
        const hi = select<usize>(vb, va, va < vb);
        addAt(bb, lo * d + hi, -ca * f64At(bVal, b));
      }
    }
    for (let a: usize = 0; a < ns; a++) {
      const row = sb + ((i32At(sIdx, a) * d) << 3);
      const ca = f64At(sVal, a);
      for (let b: usize = 0; b < nb; b++) addAt(row, i32At(bIdx, b), -ca * f64At(bVal, b));
    }
  }
  const mm = <usize>m;
  const cb = tablePtr(codeTable, mm - 1);
  for (let i: usize = 0; i < <usize>n; i++) {
    const wi = w == 0 ? 1.0 : f64At(w, i);
    const b = i32At(cb, i);
    for (let j: usize = 0; j + 1 < mm; j++) addAt(sb, levelOf(codeTable, offsets, j, i) * d + b, wi);
  }
}

/**
 * Rows of A's upper triangle into colIdx/vals from rowCap[u] (their lengths into rowLen): for
 * u < limit the sum of its terms (pstart/pcol/pval, combined with stamp (L int32, −1 on entry)
 * and acc (L f64)) and its nonzero S×B entries; for u ≥ limit its B×B row; plus diag[u] on the
 * diagonal (the levels' own weights). Returns the number of entries.
 */
export function cg_emit(
  levels: i32, limit: i32, pstart: usize, pcol: usize, pval: usize, sb: usize, bb: usize, diag: usize,
  stamp: usize, acc: usize, rowCap: usize, rowLen: usize, colIdx: usize, vals: usize,
): i32 {
  const ll = <usize>levels;
  const lim = <usize>limit;
  const d = ll - lim;
  let total: usize = 0;
  for (let u: usize = 0; u < ll; u++) {
    const base = i32At(rowCap, u);
    const list = colIdx + (base << 2);
    const out = vals + (base << 3);
    let nt: usize = 0;
    if (u < lim) {
      const tag = <i32>u;
      store<i32>(stamp + (u << 2), tag);
      store<i32>(list, <i32>u);
      store<f64>(acc + (u << 3), f64At(diag, u));
      nt = 1;
      const hi = i32At(pstart, u + 1);
      for (let e = i32At(pstart, u); e < hi; e++) {
        const v = i32At(pcol, e);
        const ps = stamp + (v << 2);
        if (load<i32>(ps) != tag) {
          store<i32>(ps, tag);
          store<i32>(list + (nt << 2), <i32>v);
          nt++;
          store<f64>(acc + (v << 3), f64At(pval, e));
        } else {
          addAt(acc, v, f64At(pval, e));
        }
      }
      for (let t: usize = 0; t < nt; t++) store<f64>(out + (t << 3), f64At(acc, i32At(list, t)));
      const row = sb + ((u * d) << 3);
      for (let b: usize = 0; b < d; b++) {
        const a = f64At(row, b);
        if (a == 0) continue;
        store<i32>(list + (nt << 2), <i32>(lim + b));
        store<f64>(out + (nt << 3), a);
        nt++;
      }
    } else {
      const row = bb + (((u - lim) * d) << 3);
      for (let v = u; v < ll; v++) {
        let a = f64At(row, v - lim);
        if (v == u) a += f64At(diag, u);
        else if (a == 0) continue;
        store<i32>(list + (nt << 2), <i32>v);
        store<f64>(out + (nt << 3), a);
        nt++;
      }
    }
    store<i32>(rowLen + (u << 2), <i32>nt);
    total += nt;
  }
  return <i32>total;
}

// ---------------------------------------------------------------------------------------------
// Envelope (profile) Cholesky: row i of the lower factor holds columns first[i] .. i, stored
// contiguously at vals[estart[i] .. estart[i+1]) with the diagonal last.

@inline function dotSpan(a: usize, b: usize, len: usize): f64 {
  let s0 = f64x2.splat(0.0);
  let s1 = f64x2.splat(0.0);
  let k: usize = 0;
  for (; k + 4 <= len; k += 4) {
    s0 = f64x2.add(s0, f64x2.mul(v128.load(a + (k << 3)), v128.load(b + (k << 3))));
    s1 = f64x2.add(s1, f64x2.mul(v128.load(a + ((k + 2) << 3)), v128.load(b + ((k + 2) << 3))));
  }
  s0 = f64x2.add(s0, s1);
  let s = f64x2.extract_lane(s0, 0) + f64x2.extract_lane(s0, 1);
  for (; k < len; k++) s += f64At(a, k) * f64At(b, k);
  return s;
}

/**
 * Factors the envelope in place (A = L L'). A pivot at or below dropTol · raw[i] (raw: the
 * level's own weight, the scale of its rounding) means the level depends on the earlier ones
 * (a null direction of A); its pivot is replaced by raw[i], which keeps the preconditioner
 * positive definite. Returns the number of pivots replaced.
 */
export function env_factor(levels: i32, estart: usize, first: usize, vals: usize, raw: usize, dropTol: f64): i32 {
  const ll = <usize>levels;
  let replaced: i32 = 0;
  for (let i: usize = 0; i < ll; i++) {
    const fi = i32At(first, i);
    const row = vals + (i32At(estart, i) << 3) - (fi << 3); // row[k] = L[i,k]
    for (let j = fi; j < i; j++) {
      const fj = i32At(first, j);
      const rowj = vals + (i32At(estart, j) << 3) - (fj << 3);
      const k0 = fi > fj ? fi : fj;
      const s = f64At(row, j) - dotSpan(row + (k0 << 3), rowj + (k0 << 3), j - k0);
      store<f64>(row + (j << 3), s / f64At(rowj, j));
    }
    const d = f64At(row, i) - dotSpan(row + (fi << 3), row + (fi << 3), i - fi);
    const r = f64At(raw, i);
    if (d > dropTol * r && d > 0) {
      store<f64>(row + (i << 3), Math.sqrt(d));
    } else {
      store<f64>(row + (i << 3), Math.sqrt(r > 0 ? r : 1.0));
      replaced++;
    }
  }
  return replaced;
}

/** z = P L⁻ᵀ L⁻¹ P' r: y (L f64) is scratch; perm[i] is the level at position i. z may alias r. */
export function env_solve(levels: i32, estart: usize, first: usize, vals: usize, perm: usize, r: usize, z: usize, y: usize): void {
  const ll = <usize>levels;
  for (let i: usize = 0; i < ll; i++) store<f64>(y + (i << 3), f64At(r, i32At(perm, i)));
  for (let i: usize = 0; i < ll; i++) {
    const fi = i32At(first, i);
    const row = vals + (i32At(estart, i) << 3) - (fi << 3);
    const s = f64At(y, i) - dotSpan(row + (fi << 3), y + (fi << 3), i - fi);
    store<f64>(y + (i << 3), s / f64At(row, i));
  }
  for (let i = <isize>ll - 1; i >= 0; i--) {
    const ii = <usize>i;
    const fi = i32At(first, ii);
    const row = vals + (i32At(estart, ii) << 3) - (fi << 3);
    const yi = f64At(y, ii) / f64At(row, ii);
    store<f64>(y + (ii << 3), yi);
    for (let k = fi; k < ii; k++) addAt(y, k, -f64At(row, k) * yi);
  }
  for (let i: usize = 0; i < ll; i++) store<f64>(z + (i32At(perm, i) << 3), f64At(y, i));
}

// ---------------------------------------------------------------------------------------------
// Per-column passes over the rows. means (G f64) is scratch that ends holding the first effect's
// group means; firstW holds its group weights.

@inline function divideMeans(g: usize, means: usize, firstW: usize): void {
  for (let k: usize = 0; k < g; k++) {
    const wk = f64At(firstW, k);
    store<f64>(means + (k << 3), wk > 0 ? f64At(means, k) / wk : 0.0);
  }
}

/** Σ_j v[level_j(i)]: the small effects' combined value at row i. */
@inline function gatherRow(m: usize, c0: usize, v0: usize, c1: usize, v1: usize, codeTable: usize, offsets: usize, v: usize, i: usize): f64 {
  if (m == 1) return f64At(v0, i32At(c0, i));
  if (m == 2) return f64At(v0, i32At(c0, i)) + f64At(v1, i32At(c1, i));
  let s = 0.0;
  for (let j: usize = 0; j < m; j++) s += f64At(v, levelOf(codeTable, offsets, j, i));
  return s;
}

/** out[level_j(i)] += x for every small effect j. */
@inline function scatterRow(m: usize, c0: usize, o0: usize, c1: usize, o1: usize, codeTable: usize, offsets: usize, out: usize, i: usize, x: f64): void {
  if (m == 1) {
    addAt(o0, i32At(c0, i), x);
  } else if (m == 2) {
    addAt(o0, i32At(c0, i), x);
    addAt(o1, i32At(c1, i), x);
  } else {
    for (let j: usize = 0; j < m; j++) addAt(out, levelOf(codeTable, offsets, j, i), x);
  }
}

/** out (L) = D₂'W M₁ D₂ p: the Schur complement applied to p, two passes over the rows. */
export function cg_apply(
  n: i32, w: usize, m: i32, codeTable: usize, offsets: usize, first: usize, firstW: usize, g: i32,
  means: usize, p: usize, levels: i32, out: usize,
): void {
  const nn = <usize>n;
  const mm = <usize>m;
  const c0 = tablePtr(codeTable, 0);
  const c1 = mm > 1 ? tablePtr(codeTable, 1) : 0;
  const p0 = p + (i32At(offsets, 0) << 3);
  const p1 = mm > 1 ? p + (i32At(offsets, 1) << 3) : 0;
  const o0 = out + (i32At(offsets, 0) << 3);
  const o1 = mm > 1 ? out + (i32At(offsets, 1) << 3) : 0;
  memory.fill(means, 0, <usize>g << 3);
  memory.fill(out, 0, <usize>levels << 3);
  for (let i: usize = 0; i < nn; i++) {
    let t = gatherRow(mm, c0, p0, c1, p1, codeTable, offsets, p, i);
    if (w != 0) t *= f64At(w, i);
    addAt(means, i32At(first, i), t);
  }
  divideMeans(<usize>g, means, firstW);
  for (let i: usize = 0; i < nn; i++) {
    let t = gatherRow(mm, c0, p0, c1, p1, codeTable, offsets, p, i) - f64At(means, i32At(first, i));
    if (w != 0) t *= f64At(w, i);
    scatterRow(mm, c0, o0, c1, o1, codeTable, offsets, out, i, t);
  }
}

/** out (L) = D₂'W M₁ x, the right-hand side; returns Σ w (M₁x)², the squared norm of M₁x. */
export function cg_rhs(
  n: i32, w: usize, m: i32, codeTable: usize, offsets: usize, first: usize, firstW: usize, g: i32,
  means: usize, x: usize, levels: i32, out: usize,
): f64 {
  const nn = <usize>n;
  const mm = <usize>m;
  const c0 = tablePtr(codeTable, 0);
  const c1 = mm > 1 ? tablePtr(codeTable, 1) : 0;
  const o0 = out + (i32At(offsets, 0) << 3);
  const o1 = mm > 1 ? out + (i32At(offsets, 1) << 3) : 0;
  memory.fill(means, 0, <usize>g << 3);
  memory.fill(out, 0, <usize>levels << 3);
  if (w == 0) {
    for (let i: usize = 0; i < nn; i++) addAt(means, i32At(first, i), f64At(x, i));
  } else {
    for (let i: usize = 0; i < nn; i++) addAt(means, i32At(first, i), f64At(w, i) * f64At(x, i));
  }
  divideMeans(<usize>g, means, firstW);
  let ss = 0.0;
  for (let i: usize = 0; i < nn; i++) {
    const v = f64At(x, i) - f64At(means, i32At(first, i));
    const wv = w == 0 ? v : f64At(w, i) * v;
    ss += wv * v;
    scatterRow(mm, c0, o0, c1, o1, codeTable, offsets, out, i, wv);
  }
  return ss;
}

/**
 * out = x − D₂γ − D₁m, with m (left in means) the group means of x − D₂γ by the first effect:
 * the demeaned column once γ solves the Schur system. out may alias x.
 */
export function cg_residual(
  n: i32, w: usize, m: i32, codeTable: usize, offsets: usize, first: usize, firstW: usize, g: i32,
  means: usize, x: usize, gamma: usize, out: usize,
): void {
  const nn = <usize>n;
  const mm = <usize>m;
  const c0 = tablePtr(codeTable, 0);
  const c1 = mm > 1 ? tablePtr(codeTable, 1) : 0;
  const g0 = gamma + (i32At(offsets, 0) << 3);
  const g1 = mm > 1 ? gamma + (i32At(offsets, 1) << 3) : 0;
  memory.fill(means, 0, <usize>g << 3);
  for (let i: usize = 0; i < nn; i++) {
    let t = f64At(x, i) - gatherRow(mm, c0, g0, c1, g1, codeTable, offsets, gamma, i);
    if (w != 0) t *= f64At(w, i);
    addAt(means, i32At(first, i), t);
  }
  divideMeans(<usize>g, means, firstW);
  for (let i: usize = 0; i < nn; i++) {
    const t = f64At(x, i) - gatherRow(mm, c0, g0, c1, g1, codeTable, offsets, gamma, i) - f64At(means, i32At(first, i));
    store<f64>(out + (i << 3), t);
  }
}
