// Variance "meat" kernels: per-cluster score sums and their outer products. The vcov code
// in TypeScript combines them with the bread and the small-sample corrections.

/**
 * out[g·k + a] += s_i·X[a][i], s_i = e_i·(w_i or 1), over rows in cluster g = codes[i].
 * out must be zeroed (G×k). X holds k contiguous columns of length n.
 */
export function cluster_scores(n: i32, k: i32, x: usize, e: usize, w: usize, codes: usize, out: usize): void {
  const m = <usize>n;
  const kk = <usize>k;
  const stride = m << 3;
  for (let i: usize = 0; i < m; i++) {
    let s = load<f64>(e + (i << 3));
    if (w != 0) s *= load<f64>(w + (i << 3));
    const row = out + ((<usize>load<i32>(codes + (i << 2)) * kk) << 3);
    for (let a: usize = 0; a < kk; a++) {
      const p = row + (a << 3);
      store<f64>(p, load<f64>(p) + s * load<f64>(x + a * stride + (i << 3)));
    }
  }
}

/**
 * cluster_scores of columns from..to-1 only, into a block of one g-long column of sums per
 * column (column a at out + (a − from)·g·8), zeroed here: calls over complementary ranges, on two
 * threads, write apart. Each group's sum is formed as cluster_scores forms it (rows in order).
 */
export function cluster_scores_cols(n: i32, k: i32, x: usize, e: usize, w: usize, codes: usize, g: i32, from: i32, to: i32, out: usize): void {
  const m = <usize>n;
  const stride = m << 3;
  const groups = <usize>g << 3;
  const lo = <usize>from;
  const hi = <usize>to;
  memory.fill(out, 0, (hi - lo) * groups);
  for (let i: usize = 0; i < m; i++) {
    let s = load<f64>(e + (i << 3));
    if (w != 0) s *= load<f64>(w + (i << 3));
    const at = out + (<usize>load<i32>(codes + (i << 2)) << 3);
    for (let a = lo; a < hi; a++) {
      const p = at + (a - lo) * groups;
      store<f64>(p, load<f64>(p) + s * load<f64>(x + a * stride + (i << 3)));
    }
  }
}

/** Entries p[0..3] += Σ_{lo ≤ c < hi, sa_c ≠ 0} sa_c·sb_c for the four score columns from cb, `groups` bytes apart. */
// @ts-ignore: decorator
@inline
function outerEntries4(ca: usize, cb: usize, groups: usize, lo: usize, hi: usize, p: usize): void {
  let a0 = load<f64>(p);
  let a1 = load<f64>(p, 8);
  let a2 = load<f64>(p, 16);
  let a3 = load<f64>(p, 24);
  for (let c = lo; c < hi; c++) {
    const sa = load<f64>(ca + (c << 3));
    const at = cb + (c << 3);
    const use = sa != 0;
    a0 = select<f64>(a0 + sa * load<f64>(at), a0, use);
    a1 = select<f64>(a1 + sa * load<f64>(at + groups), a1, use);
    a2 = select<f64>(a2 + sa * load<f64>(at + 2 * groups), a2, use);
    a3 = select<f64>(a3 + sa * load<f64>(at + 3 * groups), a3, use);
  }
  store<f64>(p, a0);
  store<f64>(p, a1, 8);
  store<f64>(p, a2, 16);
  store<f64>(p, a3, 24);
}

/** outerEntries4 for one entry. */
// @ts-ignore: decorator
@inline
function outerEntry(ca: usize, cb: usize, lo: usize, hi: usize, p: usize): void {
  let a0 = load<f64>(p);
  for (let c = lo; c < hi; c++) {
    const sa = load<f64>(ca + (c << 3));
    a0 = select<f64>(a0 + sa * load<f64>(cb + (c << 3)), a0, sa != 0);
  }
  store<f64>(p, a0);
}

/** Groups per block of score_outer: the block's k score columns stay in cache across its k(k+1)/2 entries. */
const OUTER_BLOCK: usize = 512;

/**
 * out (k×k row-major) += Σ_g s_g·s_g' over the G groups' score sums, one g-long column per score
 * (cluster_scores_cols). A block of groups at a time, each entry summed in a register over the
 * block: every entry adds the same terms in the same order (group by group, skipping groups
 * whose first score is zero) as a group-at-a-time loop, without a load and store of the entry
 * per term.
 */
export function score_outer(g: i32, k: i32, scores: usize, out: usize): void {
  const gg = <usize>g;
  const kk = <usize>k;
  const groups = gg << 3;
  for (let lo: usize = 0; lo < gg; lo += OUTER_BLOCK) {
    const hi = min<usize>(lo + OUTER_BLOCK, gg);
    for (let a: usize = 0; a < kk; a++) {
      const ca = scores + a * groups;
      const row = out + ((a * kk) << 3);
      let b = a;
      // Four entries at a time (independent sums, so their additions overlap), then one at a time.
      for (; b + 4 <= kk; b += 4) outerEntries4(ca, scores + b * groups, groups, lo, hi, row + (b << 3));
      for (; b < kk; b++) outerEntry(ca, scores + b * groups, lo, hi, row + (b << 3));
    }
  }
  for (let a: usize = 0; a < kk; a++) {
    for (let b: usize = 0; b < a; b++) {
      store<f64>(out + ((a * kk + b) << 3), load<f64>(out + ((b * kk + a) << 3)));
    }
  }
}
