// Cross-products over contiguous f64 columns: the one place the rows are read in order, so
// these loops use f64x2 SIMD. Columns are stored one after another (column-major, stride n).

/** Σ a_i·b_i·(w_i or 1). */
export function dot(n: i32, a: usize, b: usize, w: usize): f64 {
  const m = <usize>n;
  const pairs = m & ~(<usize>1);
  let acc0 = f64x2.splat(0.0);
  let acc1 = f64x2.splat(0.0);
  let i: usize = 0;
  if (w == 0) {
    for (; i + 4 <= m; i += 4) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
      acc1 = f64x2.add(acc1, f64x2.mul(v128.load(a + o + 16), v128.load(b + o + 16)));
    }
    for (; i < pairs; i += 2) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(v128.load(a + o), v128.load(b + o)));
    }
  } else {
    for (; i + 4 <= m; i += 4) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(v128.load(a + o), v128.load(b + o)), v128.load(w + o)));
      acc1 = f64x2.add(acc1, f64x2.mul(f64x2.mul(v128.load(a + o + 16), v128.load(b + o + 16)), v128.load(w + o + 16)));
    }
    for (; i < pairs; i += 2) {
      const o = i << 3;
      acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(v128.load(a + o), v128.load(b + o)), v128.load(w + o)));
    }
  }
  const acc = f64x2.add(acc0, acc1);
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < m; i++) {
    const o = i << 3;
    let v = load<f64>(a + o) * load<f64>(b + o);
    if (w != 0) v *= load<f64>(w + o);
    s += v;
  }
  return s;
}

/** Σ x_i·(w_i or 1). */
export function sum(n: i32, x: usize, w: usize): f64 {
  const m = <usize>n;
  let acc = f64x2.splat(0.0);
  let i: usize = 0;
  if (w == 0) {
    for (; i + 2 <= m; i += 2) acc = f64x2.add(acc, v128.load(x + (i << 3)));
  } else {
    for (; i + 2 <= m; i += 2) acc = f64x2.add(acc, f64x2.mul(v128.load(x + (i << 3)), v128.load(w + (i << 3))));
  }
  let s = f64x2.extract_lane(acc, 0) + f64x2.extract_lane(acc, 1);
  for (; i < m; i++) s += load<f64>(x + (i << 3)) * (w == 0 ? 1.0 : load<f64>(w + (i << 3)));
  return s;
}

/** Rows per block of the one-pass cross-products: k columns of them stay in the first-level cache. */
const BLOCK_ROWS: usize = 512;

/**
 * out (k×k, row-major) = X'·diag(w)·X for k columns starting at x, each n long, in one pass over
 * the rows: blocks of BLOCK_ROWS rows, every pair's two accumulators kept in `acc` (4 f64 per
 * pair a ≤ b, k(k+1)/2 pairs) from one block to the next. Each entry is summed in exactly dot's
 * order (the same lanes, steps and tail), so it equals dot of its two columns bit for bit; only
 * the memory traffic differs: each column is read once rather than once per pair.
 */
export function crossprod(n: i32, k: i32, x: usize, w: usize, acc: usize, out: usize): void {
  crossprod_pairs(n, k, x, w, acc, out, 0, k);
}

/**
 * crossprod's entries (a, b) for the rows a = from..to-1 of the upper triangle only (b ≥ a, and
 * their mirrors), each summed as crossprod sums it: so two calls over complementary ranges, on
 * two threads, give crossprod's matrix bit for bit. acc holds 4 f64 per pair of the range.
 */
export function crossprod_pairs(n: i32, k: i32, x: usize, w: usize, acc: usize, out: usize, from: i32, to: i32): void {
  const m = <usize>n;
  const kk = <usize>k;
  const stride = m << 3;
  const quads = m & ~(<usize>3);
  const first = <usize>from;
  const end = <usize>to;
  // Pairs (a, b ≥ a) with a in [first, end): Σ (k − a).
  const pairs = (end - first) * kk - ((end * (end - 1) - first * (first - 1)) >> 1);
  memory.fill(acc, 0, pairs << 5);
  // At least one pass over the pairs, so that the last block finishes each entry as dot does.
  for (let lo: usize = 0; ; lo += BLOCK_ROWS) {
    const hi = min<usize>(lo + BLOCK_ROWS, quads);
    const last = hi == quads;
    let pair = acc;
    for (let a: usize = first; a < end; a++) {
      const ca = x + a * stride;
      for (let b = a; b < kk; b++) {
        const cb = x + b * stride;
        let acc0 = v128.load(pair);
        let acc1 = v128.load(pair, 16);
        if (w == 0) {
          for (let i = lo; i < hi; i += 4) {
            const o = i << 3;
            acc0 = f64x2.add(acc0, f64x2.mul(v128.load(ca + o), v128.load(cb + o)));
            acc1 = f64x2.add(acc1, f64x2.mul(v128.load(ca + o + 16), v128.load(cb + o + 16)));
          }
        } else {
          for (let i = lo; i < hi; i += 4) {
            const o = i << 3;
            acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(v128.load(ca + o), v128.load(cb + o)), v128.load(w + o)));
            acc1 = f64x2.add(acc1, f64x2.mul(f64x2.mul(v128.load(ca + o + 16), v128.load(cb + o + 16)), v128.load(w + o + 16)));
          }
        }
        if (last) {
          const s = dotTail(m, quads, ca, cb, w, acc0, acc1);
          store<f64>(out + ((a * kk + b) << 3), s);
          store<f64>(out + ((b * kk + a) << 3), s);
        } else {
          v128.store(pair, acc0);
          v128.store(pair, acc1, 16);
        }
        pair += 32;
      }
    }
    if (last) break;
  }
}

/** dot's finish from row `from` (a multiple of 4): one more pair of rows into acc0, the lanes added, the last row. */
// @ts-ignore: decorator
@inline
function dotTail(m: usize, from: usize, ca: usize, cb: usize, w: usize, acc0: v128, acc1: v128): f64 {
  const pairs = m & ~(<usize>1);
  let i = from;
  for (; i < pairs; i += 2) {
    const o = i << 3;
    const ab = f64x2.mul(v128.load(ca + o), v128.load(cb + o));
    acc0 = f64x2.add(acc0, w == 0 ? ab : f64x2.mul(ab, v128.load(w + o)));
  }
  const both = f64x2.add(acc0, acc1);
  let s = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
  for (; i < m; i++) {
    const o = i << 3;
    let v = load<f64>(ca + o) * load<f64>(cb + o);
    if (w != 0) v *= load<f64>(w + o);
    s += v;
  }
  return s;
}

/** out (k) = X'·diag(w)·y. */
export function crossprod_vec(n: i32, k: i32, x: usize, y: usize, w: usize, out: usize): void {
  const stride = <usize>n << 3;
  for (let a: usize = 0; a < <usize>k; a++) {
    store<f64>(out + (a << 3), dot(n, x + a * stride, y, w));
  }
}

/**
 * out = y − X·beta (k columns of X): each value is y − β₀x₀ − β₁x₁ − … taken off in column order.
 * A block of rows at a time, every column taken off it while it is in cache, so out is written
 * once rather than once per column.
 */
export function residuals(n: i32, k: i32, x: usize, beta: usize, y: usize, out: usize): void {
  residuals_rows(n, k, x, beta, y, out, 0, n);
}

/** residuals for rows from..to-1 only (every value is computed on its own, so calls over complementary rows, on two threads, give residuals' column). */
export function residuals_rows(n: i32, k: i32, x: usize, beta: usize, y: usize, out: usize, from: i32, to: i32): void {
  const m = <usize>to;
  const stride = <usize>n << 3;
  for (let lo = <usize>from; lo < m; lo += BLOCK_ROWS) {
    const hi = min<usize>(lo + BLOCK_ROWS, m);
    memory.copy(out + (lo << 3), y + (lo << 3), (hi - lo) << 3);
    for (let a: usize = 0; a < <usize>k; a++) {
      const b = load<f64>(beta + (a << 3));
      const bv = f64x2.splat(b);
      const col = x + a * stride;
      let i = lo;
      for (; i + 2 <= hi; i += 2) {
        const o = i << 3;
        v128.store(out + o, f64x2.sub(v128.load(out + o), f64x2.mul(bv, v128.load(col + o))));
      }
      for (; i < hi; i++) {
        const o = i << 3;
        store<f64>(out + o, load<f64>(out + o) - b * load<f64>(col + o));
      }
    }
  }
}

/**
 * One pass over a column for what the model matrix needs of it: out[0] = max |x| (from 0; NaN
 * when any value is NaN), out[1] = Σ x·(w or 1) (as sum), out[2] = Σ x²·(w or 1) (as dot(x, x)),
 * the sums in exactly the order of the kernel named, so each equals it bit for bit.
 */
export function column_stats(n: i32, x: usize, w: usize, out: usize): void {
  statsPass(n, x, 0, 0, w, out, false);
}

/**
 * The gather of gather_f64 (dst[i] = x[rows[i]]) and column_stats of what it writes, in one
 * pass: the values are summed as they are written, in the order column_stats sums them, so its
 * results are the same bytes, without reading the column again.
 */
export function gather_stats(n: i32, x: usize, rows: usize, dst: usize, w: usize, out: usize): void {
  statsPass(n, x, rows, dst, w, out, true);
}

/** Value i of the pass: x[rows[i]], written to dst[i], when gathered (a constant, so each kernel has one loop); else x[i]. */
// @ts-ignore: decorator
@inline
function valueAt(x: usize, rows: usize, dst: usize, i: usize, gathered: bool): f64 {
  if (!gathered) return load<f64>(x + (i << 3));
  const v = load<f64>(x + (<usize>load<i32>(rows + (i << 2)) << 3));
  store<f64>(dst + (i << 3), v);
  return v;
}

/** Values i and i + 1 of the pass (valueAt), as one vector. */
// @ts-ignore: decorator
@inline
function pairAt(x: usize, rows: usize, dst: usize, i: usize, gathered: bool): v128 {
  if (!gathered) return v128.load(x + (i << 3));
  const lo = valueAt(x, rows, dst, i, true);
  return f64x2.replace_lane(f64x2.splat(lo), 1, valueAt(x, rows, dst, i + 1, true));
}

// @ts-ignore: decorator
@inline
function statsPass(n: i32, x: usize, rows: usize, dst: usize, w: usize, out: usize, gathered: bool): void {
  const m = <usize>n;
  const quads = m & ~(<usize>3);
  const pairs = m & ~(<usize>1);
  // The largest |x| by pmax (one compare and select; NaN never enters) and a lane mask of NaNs
  // seen, instead of NaN-propagating max, whose lowering is several times longer.
  let largest = f64x2.splat(0.0);
  let nan = i64x2.splat(0);
  let total = f64x2.splat(0.0);
  let acc0 = f64x2.splat(0.0);
  let acc1 = f64x2.splat(0.0);
  let i: usize = 0;
  for (; i < quads; i += 4) {
    const o = i << 3;
    const a = pairAt(x, rows, dst, i, gathered);
    const b = pairAt(x, rows, dst, i + 2, gathered);
    largest = f64x2.pmax(f64x2.pmax(largest, f64x2.abs(a)), f64x2.abs(b));
    nan = v128.or(nan, v128.or(f64x2.ne(a, a), f64x2.ne(b, b)));
    if (w == 0) {
      total = f64x2.add(f64x2.add(total, a), b);
      acc0 = f64x2.add(acc0, f64x2.mul(a, a));
      acc1 = f64x2.add(acc1, f64x2.mul(b, b));
    } else {
      const wa = v128.load(w + o);
      const wb = v128.load(w + o, 16);
      total = f64x2.add(f64x2.add(total, f64x2.mul(a, wa)), f64x2.mul(b, wb));
      acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(a, a), wa));
      acc1 = f64x2.add(acc1, f64x2.mul(f64x2.mul(b, b), wb));
    }
  }
  for (; i < pairs; i += 2) {
    const o = i << 3;
    const a = pairAt(x, rows, dst, i, gathered);
    largest = f64x2.pmax(largest, f64x2.abs(a));
    nan = v128.or(nan, f64x2.ne(a, a));
    if (w == 0) {
      total = f64x2.add(total, a);
      acc0 = f64x2.add(acc0, f64x2.mul(a, a));
    } else {
      const wa = v128.load(w + o);
      total = f64x2.add(total, f64x2.mul(a, wa));
      acc0 = f64x2.add(acc0, f64x2.mul(f64x2.mul(a, a), wa));
    }
  }
  let mx = v128.any_true(nan) ? NaN : max<f64>(f64x2.extract_lane(largest, 0), f64x2.extract_lane(largest, 1));
  let s = f64x2.extract_lane(total, 0) + f64x2.extract_lane(total, 1);
  const both = f64x2.add(acc0, acc1);
  let ss = f64x2.extract_lane(both, 0) + f64x2.extract_lane(both, 1);
  for (; i < m; i++) {
    const v = valueAt(x, rows, dst, i, gathered);
    mx = max<f64>(mx, abs<f64>(v));
    s += v * (w == 0 ? 1.0 : load<f64>(w + (i << 3)));
    let sq = v * v;
    if (w != 0) sq *= load<f64>(w + (i << 3));
    ss += sq;
  }
  store<f64>(out, mx);
  store<f64>(out, s, 8);
  store<f64>(out, ss, 16);
}
