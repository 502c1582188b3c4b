// The exact solver's one-off setup: rows grouped by the largest fixed effect (counting sort),
// then the small effects' Schur complement A = D₂'WD₂ − Σ_g c_g c_g' / W_g, where c_g holds
// group g's weight in each small level. Each group's c_g is accumulated sparsely, so the cost
// is the square of the levels a group touches, not of all levels.

import { addAt } from "./access";

/**
 * start[g] = first position of group g in order (start has G + 1 entries); order lists rows by
 * group. Returns 1 when the codes never decrease: the order is then the identity and is not
 * written (its pages stay untouched), and the kernels reading it are given 0 for it; else 0.
 */
export function counting_sort(n: i32, codes: usize, g: i32, start: usize, order: usize): i32 {
  const m = <usize>n;
  memory.fill(start, 0, (<usize>g + 1) << 2);
  // Whether the codes never decrease (a panel sorted by its largest effect, as most are): then
  // each group's rows are already together and in order, and the order is the identity.
  let descents: i32 = 0;
  let previous: i32 = 0;
  for (let i: usize = 0; i < m; i++) {
    const code = load<i32>(codes + (i << 2));
    descents |= <i32>(code < previous);
    previous = code;
    const p = start + ((<usize>code + 1) << 2);
    store<i32>(p, load<i32>(p) + 1);
  }
  for (let c: usize = 0; c < <usize>g; c++) {
    const p = start + ((c + 1) << 2);
    store<i32>(p, load<i32>(p) + load<i32>(p - 4));
  }
  if (descents == 0) return 1;
  // fill positions: reuse order as output, a cursor per group kept in `start` shifted by one
  for (let i: usize = 0; i < m; i++) {
    const c = <usize>load<i32>(codes + (i << 2));
    const p = start + (c << 2);
    const pos = <usize>load<i32>(p);
    store<i32>(order + (pos << 2), <i32>i);
    store<i32>(p, <i32>pos + 1);
  }
  // the cursors now sit at each group's end: shift back so start[g] is the group's first row
  for (let c = <isize>g; c > 0; c--) store<i32>(start + (<usize>c << 2), load<i32>(start + (<usize>(c - 1) << 2)));
  store<i32>(start, 0);
  return 0;
}

/**
 * a (levels×levels, row-major) = Σ_i w_i u_i u_i' − Σ_g c_g c_g' / W_g, with u_i the
 * indicator of row i's small levels (m small effects; global level = offsets[j] + codes_j[i]).
 * c (levels f64, zero on entry and exit) and touched (levels i32) are scratch; order 0: the
 * identity (counting_sort found the rows grouped). The lower
 * triangle (what the Cholesky factorisation reads) is summed, then copied to the upper one.
 */
export function schur_complement(
  g: i32, start: usize, order: usize, m: i32, codeTable: usize, offsets: usize,
  w: usize, levels: i32, a: usize, c: usize, touched: usize,
): void {
  const mm = <usize>m;
  const stride = <usize>levels;
  // One or two small effects (years; years and industry × year): their pointers in locals, since
  // the stores could alias the tables and would make the compiler reload them on every row.
  const codes0 = <usize>load<u32>(codeTable);
  const first0 = <usize>load<i32>(offsets);
  const codes1 = mm > 1 ? <usize>load<u32>(codeTable, 4) : 0;
  const first1 = mm > 1 ? <usize>load<i32>(offsets, 4) : 0;
  for (let grp: usize = 0; grp < <usize>g; grp++) {
    const lo = <usize>load<i32>(start + (grp << 2));
    const hi = <usize>load<i32>(start + ((grp + 1) << 2));
    let wg = 0.0;
    let nt: usize = 0;
    for (let r = lo; r < hi; r++) {
      const i = order == 0 ? r : <usize>load<i32>(order + (r << 2));
      const wi = w == 0 ? 1.0 : load<f64>(w + (i << 3));
      wg += wi;
      if (mm <= 2) {
        const l0 = first0 + <usize>load<i32>(codes0 + (i << 2));
        nt = touch(c, touched, nt, l0, wi);
        addAt(a, l0 * stride + l0, wi);
        if (mm == 2) {
          const l1 = first1 + <usize>load<i32>(codes1 + (i << 2));
          nt = touch(c, touched, nt, l1, wi);
          // The second effect's levels come after the first's: (l1, l0) is in the lower triangle.
          addAt(a, l1 * stride + l0, wi);
          addAt(a, l1 * stride + l1, wi);
        }
        continue;
      }
      for (let j: usize = 0; j < mm; j++) {
        const lj = <usize>load<i32>(offsets + (j << 2)) + <usize>load<i32>(<usize>load<u32>(codeTable + (j << 2)) + (i << 2));
        nt = touch(c, touched, nt, lj, wi);
        // Effects' levels lie in ascending ranges: k ≤ j gives the lower triangle.
        for (let k: usize = 0; k <= j; k++) {
          const lk = <usize>load<i32>(offsets + (k << 2)) + <usize>load<i32>(<usize>load<u32>(codeTable + (k << 2)) + (i << 2));
          addAt(a, lj * stride + lk, wi);
        }
      }
    }
    // With two or more effects a group touches enough levels to be worth sorting them (insertion
    // sort: a firm touches a few), so that v ≤ u is the lower triangle; with one, every pair is
    // cheaper than the sort.
    const lower = mm > 1;
    if (lower) {
      for (let u: usize = 1; u < nt; u++) {
        const l = load<i32>(touched + (u << 2));
        let v = u;
        for (; v > 0 && load<i32>(touched + ((v - 1) << 2)) > l; v--) store<i32>(touched + (v << 2), load<i32>(touched + ((v - 1) << 2)));
        store<i32>(touched + (v << 2), l);
      }
    }
    for (let u: usize = 0; u < nt; u++) {
      const lu = <usize>load<i32>(touched + (u << 2));
      const cu = load<f64>(c + (lu << 3)) / wg;
      const row = a + ((lu * stride) << 3);
      const end = lower ? u + 1 : nt;
      for (let v: usize = 0; v < end; v++) {
        const lv = <usize>load<i32>(touched + (v << 2));
        const pa = row + (lv << 3);
        store<f64>(pa, load<f64>(pa) - cu * load<f64>(c + (lv << 3)));
      }
    }
    for (let u: usize = 0; u < nt; u++) store<f64>(c + (<usize>load<i32>(touched + (u << 2)) << 3), 0.0);
  }
  for (let i: usize = 1; i < stride; i++) {
    for (let j: usize = 0; j < i; j++) store<f64>(a + ((j * stride + i) << 3), load<f64>(a + ((i * stride + j) << 3)));
  }
}

/** Adds a row's weight to level l's c, listing l in `touched` the first time; the new count of touched levels. */
// @ts-ignore: decorator
@inline
function touch(c: usize, touched: usize, nt: usize, l: usize, wi: f64): usize {
  const pc = c + (l << 3);
  const cv = load<f64>(pc);
  store<f64>(pc, cv + wi);
  if (cv != 0) return nt;
  store<i32>(touched + (nt << 2), <i32>l);
  return nt + 1;
}
