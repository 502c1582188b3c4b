// Sample building over whole columns: row flags (one u8 per row, 1 = kept), factor codes of
// integer-valued columns and their dense renumbering. Exact compares and integer work only, so
// the results are the same bytes wherever and however often they run.

// The screening marks what is wrong with each row in `bad` (one u8 per row): MISSING for a NaN
// or a negative code in any used column, INFINITE for ±Infinity in a numeric one; then one pass
// counts and drops, each row under its first reason (missing before non-finite).
const MISSING: u8 = 1;
const INFINITE: u8 = 2;

/** The exponent bits of a float64: all set for ±Infinity and NaN, and only for them. */
const EXPONENT: u64 = 0x7ff0000000000000;

/** The mark of one value: MISSING for NaN, `inf` for ±Infinity, 0 when finite. */
// @ts-ignore: decorator
@inline
function markOf(v: f64, inf: u8): u8 {
  return v != v ? MISSING : abs<f64>(v) == Infinity ? inf : 0;
}

/**
 * Marks the rows where the f64 column is NaN (MISSING) or, when `infinite` is 1 (a regressor,
 * not an id), ±Infinity (INFINITE). out[0] = the largest finite |x| (0 when there is none): the
 * overflow check needs the kept rows' largest only when this one could overflow; out[1] = how
 * many rows it marked. Two rows at a time: a pair with no non-finite value (the usual case) only
 * updates the largest, and `bad` is written for the rare rows that are marked.
 */
export function mark_unusable_f64(n: i32, x: usize, infinite: i32, bad: usize, out: usize): void {
  const inf: u8 = infinite != 0 ? INFINITE : 0;
  const m = <usize>n;
  const exponent = i64x2.splat(<i64>EXPONENT);
  let largest = f64x2.splat(0.0);
  let marked: i32 = 0;
  let r: usize = 0;
  for (; r + 2 <= m; r += 2) {
    const v = v128.load(x + (r << 3));
    if (v128.any_true(i64x2.eq(v128.and(v, exponent), exponent))) {
      for (let i = r; i < r + 2; i++) {
        const w = load<f64>(x + (i << 3));
        const mark = markOf(w, inf);
        if (mark != 0) {
          store<u8>(bad + i, load<u8>(bad + i) | mark);
          marked++;
        } else if (w == w && abs<f64>(w) != Infinity) largest = f64x2.max(largest, f64x2.splat(abs<f64>(w)));
      }
    } else {
      largest = f64x2.pmax(largest, f64x2.abs(v));
    }
  }
  for (; r < m; r++) {
    const w = load<f64>(x + (r << 3));
    const mark = markOf(w, inf);
    if (mark != 0) {
      store<u8>(bad + r, load<u8>(bad + r) | mark);
      marked++;
    } else if (w == w && abs<f64>(w) != Infinity) largest = f64x2.max(largest, f64x2.splat(abs<f64>(w)));
  }
  store<f64>(out, max<f64>(f64x2.extract_lane(largest, 0), f64x2.extract_lane(largest, 1)));
  store<f64>(out, <f64>marked, 8);
}

/** Marks the rows where the i32 code is negative (MISSING); four codes at a time, as above. Returns how many it marked. */
export function mark_missing_i32(n: i32, codes: usize, bad: usize): i32 {
  const m = <usize>n;
  let marked: i32 = 0;
  let r: usize = 0;
  for (; r + 4 <= m; r += 4) {
    if (!v128.any_true(i32x4.lt_s(v128.load(codes + (r << 2)), i32x4.splat(0)))) continue;
    for (let i = r; i < r + 4; i++) {
      if (load<i32>(codes + (i << 2)) < 0) {
        store<u8>(bad + i, load<u8>(bad + i) | MISSING);
        marked++;
      }
    }
  }
  for (; r < m; r++) {
    if (load<i32>(codes + (r << 2)) < 0) {
      store<u8>(bad + r, load<u8>(bad + r) | MISSING);
      marked++;
    }
  }
  return marked;
}

/**
 * The rows mark_unusable_f64 marks, listed in order: rows[j] and marks[j] for each; returns how
 * many. For a column kept for later fits (the screen's memory): they mark these rows
 * (mark_rows) without reading the column again.
 */
export function unusable_rows_f64(n: i32, x: usize, infinite: i32, rows: usize, marks: usize): i32 {
  const inf: u8 = infinite != 0 ? INFINITE : 0;
  const m = <usize>n;
  const exponent = i64x2.splat(<i64>EXPONENT);
  let listed: usize = 0;
  let r: usize = 0;
  for (; r < m; r += 2) {
    if (r + 2 <= m && !v128.any_true(i64x2.eq(v128.and(v128.load(x + (r << 3)), exponent), exponent))) continue;
    for (let i = r; i < min<usize>(r + 2, m); i++) {
      const mark = markOf(load<f64>(x + (i << 3)), inf);
      if (mark == 0) continue;
      store<i32>(rows + (listed << 2), <i32>i);
      store<u8>(marks + listed, mark);
      listed++;
    }
  }
  return <i32>listed;
}

/** The rows mark_missing_i32 marks (a negative code), listed as unusable_rows_f64 lists them. */
export function missing_rows_i32(n: i32, codes: usize, rows: usize, marks: usize): i32 {
  let listed: usize = 0;
  for (let r: usize = 0; r < <usize>n; r++) {
    if (load<i32>(codes + (r << 2)) >= 0) continue;
    store<i32>(rows + (listed << 2), <i32>r);
    store<u8>(marks + listed, MISSING);
    listed++;
  }
  return <i32>listed;
}

/**
 * Marks the `count` listed rows with their marks (unusable_rows_f64), less INFINITE when
 * `infinite` is 0 (a column listed as a regressor, now used as an id).
 */
export function mark_rows(count: i32, rows: usize, marks: usize, infinite: i32, bad: usize): void {
  const mask: u8 = infinite != 0 ? MISSING | INFINITE : MISSING;
  for (let j: usize = 0; j < <usize>count; j++) {
    const at = bad + <usize>load<i32>(rows + (j << 2));
    store<u8>(at, load<u8>(at) | (load<u8>(marks + j) & mask));
  }
}

/** The sum of the 16 u8 lanes of v, as an i32x4 to accumulate (each lane at most 4 × 255). */
// @ts-ignore: decorator
@inline
function laneSums(v: v128): v128 {
  return i32x4.extadd_pairwise_i16x8_u(i16x8.extadd_pairwise_i8x16_u(v));
}

/** The four i32 lanes of v added up. */
// @ts-ignore: decorator
@inline
function total(v: v128): i32 {
  return i32x4.extract_lane(v, 0) + i32x4.extract_lane(v, 1) + i32x4.extract_lane(v, 2) + i32x4.extract_lane(v, 3);
}

/**
 * Clears keep[r] where bad[r] is marked; out[0] = the kept rows that were missing, out[1] = those
 * that were not missing but infinite (i32s). Sixteen rows at a time.
 */
export function drop_unusable(n: i32, keep: usize, bad: usize, out: usize): void {
  const m = <usize>n;
  const one = i8x16.splat(1);
  const zero = i8x16.splat(0);
  const infinite = i8x16.splat(<i8>INFINITE);
  let missing = i32x4.splat(0);
  let infinites = i32x4.splat(0);
  let r: usize = 0;
  for (; r + 16 <= m; r += 16) {
    const k = v128.load(keep + r);
    const b = v128.load(bad + r);
    missing = i32x4.add(missing, laneSums(v128.and(k, v128.and(b, one))));
    infinites = i32x4.add(infinites, laneSums(v128.and(k, i8x16.eq(b, infinite))));
    v128.store(keep + r, v128.and(k, i8x16.eq(b, zero)));
  }
  let missed = total(missing);
  let inf = total(infinites);
  for (; r < m; r++) {
    const k = <i32>load<u8>(keep + r);
    const b = load<u8>(bad + r);
    missed += k & <i32>(b & MISSING);
    inf += k & <i32>(b == INFINITE);
    store<u8>(keep + r, <u8>(k & <i32>(b == 0)));
  }
  store<i32>(out, missed);
  store<i32>(out, inf, 4);
}

/** How many rows are flagged (flags are 0 or 1). */
export function count_kept(n: i32, keep: usize): i32 {
  const m = <usize>n;
  let acc = i32x4.splat(0);
  let r: usize = 0;
  for (; r + 16 <= m; r += 16) acc = i32x4.add(acc, laneSums(v128.load(keep + r)));
  let kept = total(acc);
  for (; r < m; r++) kept += <i32>load<u8>(keep + r);
  return kept;
}

/** The first kept row holding the largest |x| (above 0), or -1 when none does. */
export function argmax_abs_kept(n: i32, x: usize, keep: usize): i32 {
  let max = 0.0;
  let at = -1;
  for (let r: usize = 0; r < <usize>n; r++) {
    if (load<u8>(keep + r) == 0) continue;
    const a = abs<f64>(load<f64>(x + (r << 3)));
    if (a > max) {
      max = a;
      at = <i32>r;
    }
  }
  return at;
}

/** Row r of a column read through `rows` (i32 row indices), or row r itself when `rows` is 0. */
// @ts-ignore: decorator
@inline
function rowAt(rows: usize, r: usize): usize {
  return rows == 0 ? r : <usize>load<i32>(rows + (r << 2));
}

/**
 * out[0..2] = the smallest and largest non-missing value of x at the n rows (see rowAt) and 1
 * when every non-missing value is an integer (else 0); the smallest stays +Infinity above the
 * largest when all are missing.
 */
export function int_range(n: i32, x: usize, rows: usize, out: usize): void {
  const m = <usize>n;
  // Two rows at a time: pmin / pmax keep the bound unless the value is strictly beyond it (so
  // NaN never enters, as below), and a lane is marked where a value is a number but not whole.
  let lo2 = f64x2.splat(Infinity);
  let hi2 = f64x2.splat(-Infinity);
  let fraction = i64x2.splat(0);
  let r: usize = 0;
  for (; r + 2 <= m; r += 2) {
    const v = rows == 0
      ? v128.load(x + (r << 3))
      : f64x2.replace_lane(f64x2.splat(load<f64>(x + (rowAt(rows, r) << 3))), 1, load<f64>(x + (rowAt(rows, r + 1) << 3)));
    lo2 = f64x2.pmin(lo2, v);
    hi2 = f64x2.pmax(hi2, v);
    fraction = v128.or(fraction, v128.and(f64x2.ne(f64x2.floor(v), v), f64x2.eq(v, v)));
  }
  let lo = f64x2.extract_lane(lo2, 0);
  let hi = f64x2.extract_lane(hi2, 0);
  if (f64x2.extract_lane(lo2, 1) < lo) lo = f64x2.extract_lane(lo2, 1);
  if (f64x2.extract_lane(hi2, 1) > hi) hi = f64x2.extract_lane(hi2, 1);
  let integral = v128.any_true(fraction) ? 0 : 1;
  for (; r < m; r++) {
    const v = load<f64>(x + (rowAt(rows, r) << 3));
    if (v < lo) lo = v;
    if (v > hi) hi = v;
    if (floor<f64>(v) != v && v == v) integral = 0;
  }
  store<f64>(out, lo);
  store<f64>(out, hi, 8);
  store<f64>(out, <f64>integral, 16);
}

/**
 * Codes of integer values in [min, min + span) at the n rows (see rowAt) by direct indexing:
 * out[r] is the rank of the row's value among the distinct values (-1 where missing), levels[c]
 * the offset from min of the c-th value; `slot` (span + 1 i32s) is scratch. Returns the number
 * of distinct values.
 */
export function dense_codes(n: i32, x: usize, rows: usize, min: f64, span: i32, slot: usize, out: usize, levels: usize): i32 {
  memory.fill(slot, 0xff, (<usize>span + 1) << 2);
  if (rows == 0) {
    for (let r: usize = 0; r < <usize>n; r++) denseSlot(load<f64>(x + (r << 3)), min, span, slot, out + (r << 2));
  } else {
    for (let r: usize = 0; r < <usize>n; r++) denseSlot(load<f64>(x + (<usize>load<i32>(rows + (r << 2)) << 3)), min, span, slot, out + (r << 2));
  }
  return rankSlots(n, span, slot, out, levels);
}

/** dense_codes' first pass at one row: its offset from min, -1 when missing (markSlot). */
// @ts-ignore: decorator
@inline
function denseSlot(v: f64, min: f64, span: i32, slot: usize, at: usize): void {
  markSlot(v == v ? <i32>(v - min) : -1, span, slot, at);
}

/**
 * The first pass of dense_codes and interaction_codes at one row: its offset `o` (-1 when
 * missing) written at `at` and its slot marked; a missing value marks the spare slot past the
 * span (slot holds span + 1), so there is no branch to mispredict.
 */
// @ts-ignore: decorator
@inline
function markSlot(o: i32, span: i32, slot: usize, at: usize): void {
  store<i32>(at, o);
  store<i32>(slot + (<usize>(o < 0 ? span : o) << 2), 0);
}

/**
 * Codes of the interaction of codes a and b (b of bSize levels) by direct indexing over the
 * span aSize·bSize of keys a·bSize + b: out[r] is the rank of row r's key among the keys that
 * occur (-1 where either code is missing), levels[c] the c-th key; `slot` (span + 1 i32s) is
 * scratch. Returns the number of distinct keys. The same codes as dense_codes of the keys.
 */
export function interaction_codes(n: i32, a: usize, b: usize, bSize: i32, span: i32, slot: usize, out: usize, levels: usize): i32 {
  memory.fill(slot, 0xff, (<usize>span + 1) << 2);
  for (let r: usize = 0; r < <usize>n; r++) {
    const ca = load<i32>(a + (r << 2));
    const cb = load<i32>(b + (r << 2));
    markSlot(ca < 0 || cb < 0 ? -1 : ca * bSize + cb, span, slot, out + (r << 2));
  }
  return rankSlots(n, span, slot, out, levels);
}

/**
 * The second half of dense_codes and interaction_codes: the marked slots (0) numbered in order
 * and listed in `levels`, then the n offsets in `out` replaced by their slot's number.
 */
function rankSlots(n: i32, span: i32, slot: usize, out: usize, levels: usize): i32 {
  let size = 0;
  for (let s: usize = 0; s < <usize>span; s++) {
    if (load<i32>(slot + (s << 2)) == 0) {
      store<i32>(slot + (s << 2), size);
      store<i32>(levels + (<usize>size << 2), <i32>s);
      size++;
    }
  }
  // Every slot taken: each rank is its offset, so the codes written are the codes already.
  if (size < span) remap_codes(n, out, slot, out);
  return size;
}

/** Keys of the interaction of codes a and b: a·bSize + b as f64, NaN where either is missing (-1). */
export function interaction_keys(n: i32, a: usize, b: usize, bSize: i32, out: usize): void {
  for (let r: usize = 0; r < <usize>n; r++) {
    const ca = load<i32>(a + (r << 2));
    const cb = load<i32>(b + (r << 2));
    store<f64>(out + (r << 3), ca < 0 || cb < 0 ? NaN : <f64>ca * <f64>bSize + <f64>cb);
  }
}

/** out[r] = map[codes[r]], -1 where the code is negative (out may be codes). */
export function remap_codes(n: i32, codes: usize, map: usize, out: usize): void {
  for (let r: usize = 0; r < <usize>n; r++) {
    const c = load<i32>(codes + (r << 2));
    store<i32>(out + (r << 2), c >= 0 ? load<i32>(map + (<usize>c << 2)) : -1);
  }
}

/**
 * Renumbers codes (0..size-1, or -1) in place to 0..m-1 over the codes that occur, in their
 * order; map[c] (size i32s) is left as each old code's new one, -1 for codes that do not occur.
 * Returns m.
 */
export function densify_codes(n: i32, codes: usize, size: i32, map: usize): i32 {
  memory.fill(map, 0xff, <usize>size << 2);
  for (let r: usize = 0; r < <usize>n; r++) {
    const c = load<i32>(codes + (r << 2));
    if (c >= 0) store<i32>(map + (<usize>c << 2), 0);
  }
  let m = 0;
  for (let c: usize = 0; c < <usize>size; c++) {
    if (load<i32>(map + (c << 2)) == 0) store<i32>(map + (c << 2), m++);
  }
  if (m < size) remap_codes(n, codes, map, codes);
  return m;
}

/** out[i] = src[rows[i]] for i < n (i32 values). */
export function gather_i32(n: i32, src: usize, rows: usize, out: usize): void {
  for (let i: usize = 0; i < <usize>n; i++) {
    store<i32>(out + (i << 2), load<i32>(src + (<usize>load<i32>(rows + (i << 2)) << 2)));
  }
}

/** out[i] = src[rows[i]] for i < n (f64 values). */
export function gather_f64(n: i32, src: usize, rows: usize, out: usize): void {
  for (let i: usize = 0; i < <usize>n; i++) {
    store<f64>(out + (i << 3), load<f64>(src + (<usize>load<i32>(rows + (i << 2)) << 3)));
  }
}

/** The i32 values at the flagged rows, packed into out in order; returns how many. */
export function select_i32(n: i32, src: usize, keep: usize, out: usize): i32 {
  let m: usize = 0;
  for (let r: usize = 0; r < <usize>n; r++) {
    store<i32>(out + (m << 2), load<i32>(src + (r << 2)));
    m += <usize>load<u8>(keep + r);
  }
  return <i32>m;
}

/** The indices of the flagged rows, ascending, into out; returns how many. */
export function flagged_rows(n: i32, keep: usize, out: usize): i32 {
  let m: usize = 0;
  for (let r: usize = 0; r < <usize>n; r++) {
    store<i32>(out + (m << 2), <i32>r);
    m += <usize>load<u8>(keep + r);
  }
  return <i32>m;
}

/**
 * Iterative singleton removal over q fixed effects: codeTable and countTable hold q pointers,
 * to each effect's n codes and to room for its level counts (sizes given in sizeTable). Sets
 * keep[r] to 1 for every row, then clears the rows alone in their level of any effect, pass
 * after pass (counts decremented as rows go) until a pass drops none; the rows left are the
 * largest set in which every level has two rows, whatever the order. Returns how many went.
 */
export function drop_singletons(n: i32, q: i32, codeTable: usize, countTable: usize, sizeTable: usize, keep: usize): i32 {
  const m = <usize>n;
  memory.fill(keep, 1, m);
  for (let j: usize = 0; j < <usize>q; j++) {
    const codes = <usize>load<u32>(codeTable + (j << 2));
    const counts = <usize>load<u32>(countTable + (j << 2));
    memory.fill(counts, 0, <usize>load<i32>(sizeTable + (j << 2)) << 2);
    for (let r: usize = 0; r < m; r++) {
      const at = counts + (<usize>load<i32>(codes + (r << 2)) << 2);
      store<i32>(at, load<i32>(at) + 1);
    }
  }
  let dropped = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (let r: usize = 0; r < m; r++) {
      if (load<u8>(keep + r) == 0) continue;
      let single = false;
      for (let j: usize = 0; j < <usize>q; j++) {
        const c = load<i32>(<usize>load<u32>(codeTable + (j << 2)) + (r << 2));
        if (load<i32>(<usize>load<u32>(countTable + (j << 2)) + (<usize>c << 2)) == 1) single = true;
      }
      if (!single) continue;
      store<u8>(keep + r, 0);
      changed = true;
      dropped++;
      for (let j: usize = 0; j < <usize>q; j++) {
        const c = load<i32>(<usize>load<u32>(codeTable + (j << 2)) + (r << 2));
        const at = <usize>load<u32>(countTable + (j << 2)) + (<usize>c << 2);
        store<i32>(at, load<i32>(at) - 1);
      }
    }
  }
  return dropped;
}
