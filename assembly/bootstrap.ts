// Wild cluster bootstrap (WCR: restricted residuals, null imposed) at the cluster level. For
// one coefficient j, the driver precomputes per cluster h (a = row j of (X'WX)⁻¹, X demeaned):
//
//   c_h = (a'S0_h, a'S1_h),  S0_h = X_h'W_h ü0_h, S1_h = X_h'W_h m_h  (ü(r) = ü0 − r·m restricted)
//   d_h = (X'WX)⁻¹ X_h'W_h X_h a
//
// With cluster weights v_h the bootstrap numerator is N(r) = Σ v_h c_h(r) and the clustered
// variance Σ_h (v_h c_h − d_h's* − ε_h'ψ)², s* = Σ v_h S_h, where ψ = Σ v_h φ_h re-projects the
// bootstrap residuals on the fixed effects that are not nested in the clusters (φ_h: per-level
// sums of the cluster's restricted residuals, sparse). Expanding the square, one replication
// only needs weighted sums over clusters of fixed per-cluster features (dense: c0, c1, S0, S1,
// c0·d, c1·d; sparse: φ0, φ1, c0·ζ, c1·ζ) with weights v_h, and of (c0², c0c1, c1²) with weights
// v_h² (constant for Rademacher signs). This kernel computes those sums for blocks of four
// replications (dense features two at a time with the sums in registers; sparse ones scattered
// into a small accumulator), O(G·(k + levels per cluster)) per replication; the driver forms
// t*(r) from them for any null value r.

// xoshiro256** (Blackman & Vigna), seeded through splitmix64.
let s0: u64 = 0;
let s1: u64 = 0;
let s2: u64 = 0;
let s3: u64 = 0;

@inline function rotl(x: u64, k: u64): u64 {
  return (x << k) | (x >> (64 - k));
}

function splitmix(x: u64): u64 {
  let z = x + 0x9e3779b97f4a7c15;
  z = (z ^ (z >> 30)) * 0xbf58476d1ce4e5b9;
  z = (z ^ (z >> 27)) * 0x94d049bb133111eb;
  return z ^ (z >> 31);
}

function seed(lo: u32, hi: u32): void {
  let x: u64 = (<u64>hi << 32) | <u64>lo;
  x = splitmix(x);
  s0 = x;
  x = splitmix(x);
  s1 = x;
  x = splitmix(x);
  s2 = x;
  x = splitmix(x);
  s3 = x;
  if ((s0 | s1 | s2 | s3) == 0) s0 = 1;
}


const WEBB_A: f64 = 0.7071067811865476; // √(1/2)
const WEBB_C: f64 = 1.224744871391589; // √(3/2)
const WEBB_A_BITS: u64 = reinterpret<u64>(WEBB_A);
const WEBB_C_BITS: u64 = reinterpret<u64>(WEBB_C);
const ONE_BITS: u64 = 0x3ff0000000000000;

/** ±1 with the sign from bit 0 of x, without a branch (random bits mispredict). */
@inline function sign1(x: u64): f64 {
  return reinterpret<f64>(0x3ff0000000000000 | ((x & 1) << 63));
}

/** A Webb weight from 32 random bits: ±√(1/2), ±1, ±√(3/2) with probability 1/6 each, branch-free. */
@inline function webb(u: u64): f64 {
  const idx = <i32>((u * 6) >> 32); // 0..5, uniform
  const q = 2 * idx - 5; // −5, −3, −1, 1, 3, 5
  const sgn = q >> 31;
  const j = (q ^ sgn) - sgn; // |q|: 5, 3, 1, 1, 3, 5
  // Integer selects on the bit patterns (engines may turn float selects into branches).
  const mag = select<u64>(WEBB_C_BITS, select<u64>(ONE_BITS, WEBB_A_BITS, j == 3), j == 5);
  return reinterpret<f64>(mag | (<u64>(sgn & 1) << 63));
}

/**
 * Fills v (G×4: cluster h, replication r at v[4h + r]) with the weights of replications
 * b0..b0+3. dist: 0 Rademacher, 1 Webb, 2 enumeration (weight of cluster h in replication b is
 * the sign of bit h of b).
 */
function draw4(g: usize, dist: i32, b0: i32, v: usize): void {
  if (dist == 2) {
    for (let h: usize = 0; h < g; h++) {
      for (let r = 0; r < 4; r++) store<f64>(v + (((h << 2) + <usize>r) << 3), sign1(<u64>((b0 + r) >> <i32>h)));
    }
    return;
  }
  // The generator's state is kept in locals here (global i64 traffic is slow in some engines).
  let x0 = s0;
  let x1 = s1;
  let x2 = s2;
  let x3 = s3;
  if (dist == 0) {
    // 64 random bits give the signs of 16 clusters × 4 replications.
    let h: usize = 0;
    while (h < g) {
      let bits = rotl(x1 * 5, 7) * 9;
      const t = x1 << 17;
      x2 ^= x0;
      x3 ^= x1;
      x1 ^= x2;
      x0 ^= x3;
      x2 ^= t;
      x3 = rotl(x3, 45);
      const end = h + 16 < g ? h + 16 : g;
      for (; h < end; h++) {
        const p = v + (h << 5);
        store<f64>(p, sign1(bits));
        store<f64>(p + 8, sign1(bits >> 1));
        store<f64>(p + 16, sign1(bits >> 2));
        store<f64>(p + 24, sign1(bits >> 3));
        bits >>= 4;
      }
    }
  } else {
    for (let h: usize = 0; h < g; h++) {
      const p = v + (h << 5);
      for (let half: usize = 0; half < 2; half++) {
        const r = rotl(x1 * 5, 7) * 9;
        const t = x1 << 17;
        x2 ^= x0;
        x3 ^= x1;
        x1 ^= x2;
        x0 ^= x3;
        x2 ^= t;
        x3 = rotl(x3, 45);
        store<f64>(p + (half << 4), webb(r & 0xffffffff));
        store<f64>(p + (half << 4) + 8, webb(r >> 32));
      }
    }
  }
  s0 = x0;
  s1 = x1;
  s2 = x2;
  s3 = x3;
}

/**
 * out[b·m + f] = Σ_h v_h(b) · F[f][h] for features f < m stored feature-major (F + f·G·8), for
 * replications b0..b0+3 (weights in v: cluster h, replication r at v[4h + r]). Two features at a
 * time, four replications each: eight running sums in four f64x2 registers.
 */
function weightedSums4(g: usize, m: usize, F: usize, v: usize, b0: i32, reps: i32, out: usize, stride: usize, offset: usize): void {
  const zero = f64x2.splat(0.0);
  let f: usize = 0;
  for (; f + 2 <= m; f += 2) {
    const fa = F + ((f * g) << 3);
    const fb = fa + (g << 3);
    let a01 = zero, a23 = zero, b01 = zero, b23 = zero;
    for (let h: usize = 0; h < g; h++) {
      const vp = v + (h << 5);
      const v01 = v128.load(vp);
      const v23 = v128.load(vp + 16);
      const xa = f64x2.splat(load<f64>(fa + (h << 3)));
      const xb = f64x2.splat(load<f64>(fb + (h << 3)));
      a01 = f64x2.add(a01, f64x2.mul(v01, xa));
      a23 = f64x2.add(a23, f64x2.mul(v23, xa));
      b01 = f64x2.add(b01, f64x2.mul(v01, xb));
      b23 = f64x2.add(b23, f64x2.mul(v23, xb));
    }
    store4(out, stride, offset + f, b0, reps, a01, a23);
    store4(out, stride, offset + f + 1, b0, reps, b01, b23);
  }
  if (f < m) {
    const fa = F + ((f * g) << 3);
    let a01 = zero, a23 = zero;
    for (let h: usize = 0; h < g; h++) {
      const vp = v + (h << 5);
      const xa = f64x2.splat(load<f64>(fa + (h << 3)));
      a01 = f64x2.add(a01, f64x2.mul(v128.load(vp), xa));
      a23 = f64x2.add(a23, f64x2.mul(v128.load(vp + 16), xa));
    }
    store4(out, stride, offset + f, b0, reps, a01, a23);
  }
}

@inline function store4(out: usize, stride: usize, col: usize, b0: i32, reps: i32, x01: v128, x23: v128): void {
  const base = out + ((<usize>b0 * stride + col) << 3);
  const step = stride << 3;
  store<f64>(base, f64x2.extract_lane(x01, 0));
  if (b0 + 1 < reps) store<f64>(base + step, f64x2.extract_lane(x01, 1));
  if (b0 + 2 < reps) store<f64>(base + 2 * step, f64x2.extract_lane(x23, 0));
  if (b0 + 3 < reps) store<f64>(base + 3 * step, f64x2.extract_lane(x23, 1));
}

/**
 * Sparse features in groups of four: cluster h has pairs start[h]..start[h+1), each a level
 * idx[e] with four values val[4e..4e+3] (features q·L + level, q = 0..3). acc (16·L doubles:
 * level ℓ's four features × four replications at acc[16ℓ..16ℓ+15]) gets Σ_h v_h(r)·value.
 */
function sparseSums4(g: usize, start: usize, idx: usize, val: usize, levels: usize, v: usize, acc: usize, b0: i32, reps: i32, out: usize, stride: usize, offset: usize): void {
  const zero = f64x2.splat(0.0);
  for (let f: usize = 0; f < levels << 3; f++) v128.store(acc + (f << 4), zero);
  for (let h: usize = 0; h < g; h++) {
    const vp = v + (h << 5);
    const v01 = v128.load(vp);
    const v23 = v128.load(vp + 16);
    const e1 = <usize>load<i32>(start + ((h + 1) << 2));
    for (let e = <usize>load<i32>(start + (h << 2)); e < e1; e++) {
      const a = acc + (<usize>load<i32>(idx + (e << 2)) << 7);
      const x = val + (e << 5);
      const x0 = f64x2.splat(load<f64>(x));
      const x1 = f64x2.splat(load<f64>(x + 8));
      const x2 = f64x2.splat(load<f64>(x + 16));
      const x3 = f64x2.splat(load<f64>(x + 24));
      v128.store(a, f64x2.add(v128.load(a), f64x2.mul(v01, x0)));
      v128.store(a + 16, f64x2.add(v128.load(a + 16), f64x2.mul(v23, x0)));
      v128.store(a + 32, f64x2.add(v128.load(a + 32), f64x2.mul(v01, x1)));
      v128.store(a + 48, f64x2.add(v128.load(a + 48), f64x2.mul(v23, x1)));
      v128.store(a + 64, f64x2.add(v128.load(a + 64), f64x2.mul(v01, x2)));
      v128.store(a + 80, f64x2.add(v128.load(a + 80), f64x2.mul(v23, x2)));
      v128.store(a + 96, f64x2.add(v128.load(a + 96), f64x2.mul(v01, x3)));
      v128.store(a + 112, f64x2.add(v128.load(a + 112), f64x2.mul(v23, x3)));
    }
  }
  for (let l: usize = 0; l < levels; l++) {
    for (let q: usize = 0; q < 4; q++) {
      const a = acc + (l << 7) + (q << 5);
      store4(out, stride, offset + q * levels + l, b0, reps, v128.load(a), v128.load(a + 16));
    }
  }
}

/**
 * Runs `reps` replications. F: m dense features × G (feature-major); F2: m2 features × G
 * weighted by v² (m2 = 0 skips them: v² = 1 for Rademacher signs); ms = 4L sparse features as
 * (cluster, level) pairs (start: G + 1 offsets, idx: level, val: four values per pair) with
 * accumulator acc (16L doubles). v, v2: 4G scratch. out:
 * reps × (m + m2 + ms): per replication Σ v_h F_h, Σ v_h² F2_h, then the sparse sums. dist: 0
 * Rademacher, 1 Webb, 2 enumeration of all sign vectors (replication b: bit h of b gives
 * cluster h's sign). Seeded by (seedLo, seedHi): the same seed and B give the same draws.
 */
export function wild_bootstrap(
  g: i32, m: i32, F: usize, m2: i32, F2: usize,
  ms: i32, start: usize, idx: usize, val: usize, acc: usize,
  reps: i32, dist: i32, seedLo: u32, seedHi: u32,
  v: usize, v2: usize, out: usize,
): void {
  const gg = <usize>g;
  const stride = <usize>(m + m2 + ms);
  seed(seedLo, seedHi);
  for (let b0 = 0; b0 < reps; b0 += 4) {
    draw4(gg, dist, b0, v);
    weightedSums4(gg, <usize>m, F, v, b0, reps, out, stride, 0);
    if (m2 > 0) {
      for (let i: usize = 0; i < gg << 2; i += 2) {
        const x = v128.load(v + (i << 3));
        v128.store(v2 + (i << 3), f64x2.mul(x, x));
      }
      weightedSums4(gg, <usize>m2, F2, v2, b0, reps, out, stride, <usize>m);
    }
    if (ms > 0) sparseSums4(gg, start, idx, val, <usize>ms >> 2, v, acc, b0, reps, out, stride, <usize>(m + m2));
  }
}
