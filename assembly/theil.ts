// Moment sums for the Theil and generalized-entropy indices. One streaming pass over a row range
// accumulates, per group, everything the indices need; the indices themselves, the
// decomposition and the reduction over row blocks are computed in TypeScript from these sums.
// One logarithm per row serves Theil T (Σ w·x·ln x) and Theil L (Σ w·ln x); GE(α) reuses it
// as x^α = exp(α·ln x). The logarithm and exponential are written out here (no lookup tables,
// because the kernels keep no static data in the shared memory); the logarithm runs on two
// rows at a time in f64x2 lanes, which halves the pass's time.

// One group's record: STRIDE f64, laid out in pairs so one f64x2 add updates two fields.
// src/inequality/moments.ts mirrors this layout.
const N_POS: usize = 0; // rows with x > 0
const SUM_W: usize = 1; // Σ w over those rows
const SUM_WX: usize = 2; // Σ w·x
const SUM_WXLNX: usize = 3; // Σ w·x·ln x
const SUM_WLNX: usize = 4; // Σ w·ln x
const SUM_WXA: usize = 5; // Σ w·x^α (only when asked)
const N_ZERO: usize = 6; // rows with x = 0
const W_ZERO: usize = 7; // Σ w over those rows
const N_NEG: usize = 8; // rows with x < 0 (field 9 is padding)
const RECORD_BYTES: usize = 80;

// ln 2 split so that k·LN2_HI is exact for every binary exponent k.
const LN2_HI: f64 = 6.93147180369123816490e-1; // 0x3FE62E42FEE00000
const LN2_LO: f64 = 1.90821492927058770002e-10;
const MIN_NORMAL: f64 = 2.2250738585072014e-308;
// Adding this to a double's bits moves mantissas at or above 0x6A09E (√½ = 0x3FE6A09E…) into
// the next binade, so that the mantissa taken below lies in [√½, √2).
const SHIFT: u64 = 0x00095F6200000000; // 0x3FF00000… − 0x3FE6A09E…
const MANT: u64 = 0x000FFFFFFFFFFFFF;
const LOW_M: u64 = 0x3FE6A09E00000000;

// ln(1+f) = 2·atanh(s), s = f/(2+f): R(z) = Σ_{j=1..9} 2z^j/(2j+1), z = s² ≤ 0.0295 (|s| ≤ 0.1716),
// where the tenth term is below 2^-55 relative. Grouped as Estrin's scheme to shorten the chain.
const A1: f64 = 2.0 / 3.0;
const A2: f64 = 2.0 / 5.0;
const A3: f64 = 2.0 / 7.0;
const A4: f64 = 2.0 / 9.0;
const A5: f64 = 2.0 / 11.0;
const A6: f64 = 2.0 / 13.0;
const A7: f64 = 2.0 / 15.0;
const A8: f64 = 2.0 / 17.0;
const A9: f64 = 2.0 / 19.0;

/**
 * ln x for finite x > 0: x = 2^k·m, m in [√½, √2), f = m − 1, and
 * ln x = k·ln2 + f − (f²/2 − s(f²/2 + R)), which keeps the exact f in front (error ≤ 1 ulp).
 * The same operations in the same order as {@link lnPair}, so both give identical bits.
 */
@inline function lnPositive(x: f64): f64 {
  let bits = reinterpret<u64>(x);
  let bias: f64 = 0.0;
  if (bits < 0x0010000000000000) {
    // subnormal: scale into the normal range first
    bits = reinterpret<u64>(x * 18014398509481984.0); // 2^54
    bias = 54.0;
  }
  const u = bits + SHIFT;
  const k = reinterpret<f64>((u >> 52) | 0x4330000000000000) - 4503599627371519.0 - bias; // 2^52 + 1023
  const f = reinterpret<f64>((u & MANT) + LOW_M) - 1.0;
  const s = f / (2.0 + f);
  const z = s * s;
  const z2 = z * z;
  const z4 = z2 * z2;
  const z8 = z4 * z4;
  const q14 = (A1 + z * A2) + z2 * (A3 + z * A4);
  const q58 = (A5 + z * A6) + z2 * (A7 + z * A8);
  const r = z * ((q14 + z4 * q58) + z8 * A9);
  const hfsq = 0.5 * (f * f);
  return k * LN2_HI - ((hfsq - (s * (hfsq + r) + k * LN2_LO)) - f);
}

/** ln of both lanes; each lane must be a positive normal finite double. */
@inline function lnPair(x: v128): v128 {
  const u = i64x2.add(x, i64x2.splat(SHIFT));
  const k = f64x2.sub(v128.or(i64x2.shr_u(u, 52), i64x2.splat(0x4330000000000000)), f64x2.splat(4503599627371519.0));
  const f = f64x2.sub(i64x2.add(v128.and(u, i64x2.splat(MANT)), i64x2.splat(LOW_M)), f64x2.splat(1.0));
  const s = f64x2.div(f, f64x2.add(f64x2.splat(2.0), f));
  const z = f64x2.mul(s, s);
  const z2 = f64x2.mul(z, z);
  const z4 = f64x2.mul(z2, z2);
  const z8 = f64x2.mul(z4, z4);
  const q12 = f64x2.add(f64x2.splat(A1), f64x2.mul(z, f64x2.splat(A2)));
  const q34 = f64x2.add(f64x2.splat(A3), f64x2.mul(z, f64x2.splat(A4)));
  const q56 = f64x2.add(f64x2.splat(A5), f64x2.mul(z, f64x2.splat(A6)));
  const q78 = f64x2.add(f64x2.splat(A7), f64x2.mul(z, f64x2.splat(A8)));
  const q14 = f64x2.add(q12, f64x2.mul(z2, q34));
  const q58 = f64x2.add(q56, f64x2.mul(z2, q78));
  const r = f64x2.mul(z, f64x2.add(f64x2.add(q14, f64x2.mul(z4, q58)), f64x2.mul(z8, f64x2.splat(A9))));
  const hfsq = f64x2.mul(f64x2.splat(0.5), f64x2.mul(f, f));
  const inner = f64x2.add(f64x2.mul(s, f64x2.add(hfsq, r)), f64x2.mul(k, f64x2.splat(LN2_LO)));
  return f64x2.sub(f64x2.mul(k, f64x2.splat(LN2_HI)), f64x2.sub(f64x2.sub(hfsq, inner), f));
}

/** 2^k as a double for k in the normal exponent range. */
@inline function pow2(k: i64): f64 {
  return reinterpret<f64>(<u64>(k + 1023) << 52);
}

/**
 * e^t: t = k·ln 2 + r with |r| ≤ ln2/2, e^r by its Taylor series to r^13 (error below 1e-17),
 * scaled by 2^k in two halves so that results near the ends of the range come out right.
 */
@inline function expOf(t: f64): f64 {
  if (t > 709.8) return Infinity;
  if (t < -745.2) return 0.0;
  const kf = nearest<f64>(t * 1.4426950408889634);
  const r = (t - kf * LN2_HI) - kf * LN2_LO;
  const r2 = r * r;
  const r4 = r2 * r2;
  // Σ r^j / j!, j = 0..13, in pairs (Estrin's scheme)
  const p01 = 1.0 + r;
  const p23 = 1.0 / 2.0 + r * (1.0 / 6.0);
  const p45 = 1.0 / 24.0 + r * (1.0 / 120.0);
  const p67 = 1.0 / 720.0 + r * (1.0 / 5040.0);
  const p89 = 1.0 / 40320.0 + r * (1.0 / 362880.0);
  const p1011 = 1.0 / 3628800.0 + r * (1.0 / 39916800.0);
  const p1213 = 1.0 / 479001600.0 + r * (1.0 / 6227020800.0);
  const lo = p01 + r2 * p23;
  const mid = p45 + r2 * p67;
  const hi = p89 + r2 * p1011 + r4 * p1213;
  const p = lo + r4 * (mid + r4 * hi);
  const k = <i64>kf;
  const k1 = k >> 1;
  return p * pow2(k1) * pow2(k - k1);
}

@inline function addAt(rec: usize, field: usize, v: f64): void {
  const p = rec + (field << 3);
  store<f64>(p, load<f64>(p) + v);
}

@inline function addPair(rec: usize, field: usize, v: v128): void {
  const p = rec + (field << 3);
  v128.store(p, f64x2.add(v128.load(p), v));
}

/** One row into its group's record (the general path: any x, one lane). */
@inline function accumulate(rec: usize, x: f64, wi: f64, alpha: f64, withAlpha: bool): void {
  if (x > 0) {
    const lx = lnPositive(x);
    const wx = wi * x;
    addAt(rec, N_POS, 1.0);
    addAt(rec, SUM_W, wi);
    addAt(rec, SUM_WX, wx);
    addAt(rec, SUM_WXLNX, wx * lx);
    addAt(rec, SUM_WLNX, wi * lx);
    if (withAlpha) addAt(rec, SUM_WXA, wi * expOf(alpha * lx));
  } else if (x == 0) {
    addAt(rec, N_ZERO, 1.0);
    addAt(rec, W_ZERO, wi);
  } else if (x < 0) {
    addAt(rec, N_NEG, 1.0);
  }
  // NaN rows never reach here: the caller gives them code -1.
}

@inline function scalarRow(i: usize, x: usize, w: usize, codes: usize, alpha: f64, out: usize, weighted: bool, withAlpha: bool): void {
  const c = load<i32>(codes + (i << 2));
  if (c < 0) return;
  const wi = weighted ? load<f64>(w + (i << 3)) : 1.0;
  accumulate(out + <usize>c * RECORD_BYTES, load<f64>(x + (i << 3)), wi, alpha, withAlpha);
}

@inline function rowRange(start: usize, end: usize, x: usize, w: usize, codes: usize, alpha: f64, out: usize, weighted: bool, withAlpha: bool): void {
  const one = f64x2.splat(1.0);
  let i = start;
  for (; i + 1 < end; i += 2) {
    const xv = v128.load(x + (i << 3));
    const c0 = load<i32>(codes + (i << 2));
    const c1 = load<i32>(codes + (i << 2), 4);
    const normal = v128.and(f64x2.ge(xv, f64x2.splat(MIN_NORMAL)), f64x2.lt(xv, f64x2.splat(Infinity)));
    if ((c0 | c1) < 0 || !v128.all_true<i64>(normal)) {
      // a skipped row, a zero, a negative or a subnormal value: one row at a time
      scalarRow(i, x, w, codes, alpha, out, weighted, withAlpha);
      scalarRow(i + 1, x, w, codes, alpha, out, weighted, withAlpha);
      continue;
    }
    const lv = lnPair(xv);
    const wv = weighted ? v128.load(w + (i << 3)) : one;
    const wx = weighted ? f64x2.mul(wv, xv) : xv;
    const wxl = f64x2.mul(wx, lv);
    const wl = weighted ? f64x2.mul(wv, lv) : lv;
    let wa = f64x2.splat(0.0);
    if (withAlpha) {
      const a = f64x2.replace_lane(f64x2.splat(expOf(alpha * f64x2.extract_lane(lv, 0))), 1, expOf(alpha * f64x2.extract_lane(lv, 1)));
      wa = weighted ? f64x2.mul(wv, a) : a;
    }
    const r0 = out + <usize>c0 * RECORD_BYTES;
    const r1 = out + <usize>c1 * RECORD_BYTES;
    addPair(r0, N_POS, v128.shuffle<f64>(one, wv, 0, 2));
    addPair(r0, SUM_WX, v128.shuffle<f64>(wx, wxl, 0, 2));
    addPair(r0, SUM_WLNX, v128.shuffle<f64>(wl, wa, 0, 2));
    addPair(r1, N_POS, v128.shuffle<f64>(one, wv, 1, 3));
    addPair(r1, SUM_WX, v128.shuffle<f64>(wx, wxl, 1, 3));
    addPair(r1, SUM_WLNX, v128.shuffle<f64>(wl, wa, 1, 3));
  }
  if (i < end) scalarRow(i, x, w, codes, alpha, out, weighted, withAlpha);
}

/**
 * The moment records of rows [start, end) into out (g records of 10 f64, zeroed here first):
 * for the group codes[i] ≥ 0 of each row, x[i] > 0 adds to count, Σw, Σwx, Σwx·ln x, Σw·ln x
 * and (withAlpha ≠ 0) Σw·x^α; x[i] = 0 adds to the zero count and its Σw; x[i] < 0 is only
 * counted. Rows with code −1 (missing values, as the caller decides) are skipped; w = 0 means
 * unit weights. A block's partial sums depend on no other block, so blocks can run on any
 * thread and be added in a fixed order.
 */
export function theil_moments(start: i32, end: i32, x: usize, w: usize, codes: usize, g: i32, alpha: f64, withAlpha: i32, out: usize): void {
  memory.fill(out, 0, <usize>g * RECORD_BYTES);
  const s = <usize>start;
  const e = <usize>end;
  if (w == 0) {
    if (withAlpha != 0) rowRange(s, e, x, 0, codes, alpha, out, false, true);
    else rowRange(s, e, x, 0, codes, alpha, out, false, false);
  } else {
    if (withAlpha != 0) rowRange(s, e, x, w, codes, alpha, out, true, true);
    else rowRange(s, e, x, w, codes, alpha, out, true, false);
  }
}

/** ln x (x > 0) and e^t exactly as the kernel computes them, for tests of their accuracy. */
export function theil_ln(x: f64): f64 {
  return lnPositive(x);
}

export function theil_exp(t: f64): f64 {
  return expOf(t);
}
