/**
 * A small seeded pseudo-random number generator for the synthetic data generators.
 *
 * Core: xoshiro128** (Blackman & Vigna), 128 bits of state kept in an Int32Array and advanced
 * with 32-bit integer arithmetic only (no BigInt), seeded through a murmur3-style mixer so that
 * nearby seeds give unrelated streams. Same seed → the same stream on every platform; R's streams
 * (Mersenne-Twister + inversion) are not reproduced, only the distributions.
 *
 * Variates:
 *  - uniform()         53-bit resolution on [0, 1) (two 32-bit outputs per draw)
 *  - normal()          Marsaglia–Tsang ziggurat (128 layers), the layer index and the signed
 *                      32-bit abscissa taken from separate outputs; exact tail sampling
 *  - geometric(p)      failures before the first success (R's rgeom), by inversion
 *  - binomial(n, p)    exact: Bernoulli sum for small n, geometric skipping otherwise
 */
import { InputError } from "./errors.js";

const TWO_POW_M53 = 1 / 9007199254740992; // 2^-53
const TWO_POW_26 = 67108864;

// Ziggurat tables for the standard normal (Marsaglia & Tsang 2000, 128 layers).
const ZIG_R = 3.442619855899;
const ZIG_K = new Float64Array(128);
const ZIG_W = new Float64Array(128);
const ZIG_F = new Float64Array(128);
{
  const m1 = 2147483648;
  const vn = 9.91256303526217e-3;
  let dn = ZIG_R;
  let tn = dn;
  const q = vn / Math.exp(-0.5 * dn * dn);
  ZIG_K[0] = (dn / q) * m1;
  ZIG_K[1] = 0;
  ZIG_W[0] = q / m1;
  ZIG_W[127] = dn / m1;
  ZIG_F[0] = 1;
  ZIG_F[127] = Math.exp(-0.5 * dn * dn);
  for (let i = 126; i >= 1; i--) {
    dn = Math.sqrt(-2 * Math.log(vn / dn + Math.exp(-0.5 * dn * dn)));
    ZIG_K[i + 1] = (dn / tn) * m1;
    tn = dn;
    ZIG_F[i] = Math.exp(-0.5 * dn * dn);
    ZIG_W[i] = dn / m1;
  }
}

function mix32(x: number): number {
  x = Math.imul(x ^ (x >>> 16), 0x85ebca6b);
  x = Math.imul(x ^ (x >>> 13), 0xc2b2ae35);
  return (x ^ (x >>> 16)) | 0;
}

export class Rng {
  private readonly s: Int32Array = new Int32Array(4);

  /** `seed`: any finite number; its integer part (up to 2^53 in magnitude) selects the stream. */
  constructor(seed: number) {
    if (!Number.isFinite(seed)) throw new InputError("option", `Rng seed must be a finite number, got ${seed}`);
    const t = Math.trunc(seed);
    const lo = t >>> 0;
    const hi = Math.floor(t / 4294967296) | 0;
    let x = (lo ^ mix32(hi ^ 0x5bd1e995)) | 0;
    for (let i = 0; i < 4; i++) {
      x = (x + 0x9e3779b9) | 0;
      this.s[i] = mix32(x);
    }
    if ((this.s[0]! | this.s[1]! | this.s[2]! | this.s[3]!) === 0) this.s[0] = 1;
  }

  /** Next raw 32-bit output as an unsigned integer in [0, 2^32). */
  nextUint32(): number {
    const s = this.s;
    const s0 = s[0]!, s1 = s[1]!, s2 = s[2]!, s3 = s[3]!;
    const r = Math.imul(s1, 5);
    const result = Math.imul((r << 7) | (r >>> 25), 9);
    const t = s1 << 9;
    const n2 = s2 ^ s0;
    const n3 = s3 ^ s1;
    s[1] = s1 ^ n2;
    s[0] = s0 ^ n3;
    s[2] = n2 ^ t;
    s[3] = (n3 << 11) | (n3 >>> 21);
    return result >>> 0;
  }

  /** Uniform on [min, max) (default [0, 1)), 53-bit resolution. */
  uniform(min = 0, max = 1): number {
    const a = this.nextUint32() >>> 5;
    const b = this.nextUint32() >>> 6;
    const u = (a * TWO_POW_26 + b) * TWO_POW_M53;
    return min === 0 && max === 1 ? u : min + (max - min) * u;
  }

  /** Normal with the given mean and standard deviation (ziggurat, 128 layers). */
  normal(mean = 0, sd = 1): number {
    const hz = this.nextUint32() | 0;
    const iz = this.nextUint32() >>> 25;
    const z = Math.abs(hz) < ZIG_K[iz]! ? hz * ZIG_W[iz]! : this.normalSlow(hz, iz);
    return mean + sd * z;
  }

  /** Rejection / tail branch of the ziggurat (taken about 1.2% of the time). */
  private normalSlow(hz: number, iz: number): number {
    for (;;) {
      const x = hz * ZIG_W[iz]!;
      if (iz === 0) {
        // Base strip: sample the tail beyond ZIG_R (Marsaglia's method).
        let tx: number, ty: number;
        do {
          tx = -Math.log(1 - this.uniform()) / ZIG_R;
          ty = -Math.log(1 - this.uniform());
        } while (ty + ty < tx * tx);
        return hz > 0 ? ZIG_R + tx : -ZIG_R - tx;
      }
      if (ZIG_F[iz]! + this.uniform() * (ZIG_F[iz - 1]! - ZIG_F[iz]!) < Math.exp(-0.5 * x * x)) return x;
      hz = this.nextUint32() | 0;
      iz = this.nextUint32() >>> 25;
      if (Math.abs(hz) < ZIG_K[iz]!) return hz * ZIG_W[iz]!;
    }
  }

  /** exp(N(mu, sigma^2)), as R's rlnorm(1, mu, sigma). */
  lognormal(mu = 0, sigma = 1): number {
    return Math.exp(this.normal(mu, sigma));
  }

  /** Uniform integer in 0..n-1. */
  integer(n: number): number {
    if (!(Number.isInteger(n) && n > 0 && n <= 9007199254740992)) {
      throw new InputError("option", `Rng.integer needs a positive integer bound, got ${n}`);
    }
    return Math.floor(this.uniform() * n);
  }

  /** 1 with probability p, else 0. */
  bernoulli(p: number): number {
    checkProb(p, "bernoulli");
    return this.uniform() < p ? 1 : 0;
  }

  /** Binomial(n, p) successes, exact (R's rbinom(1, n, p)). */
  binomial(n: number, p: number): number {
    if (!(Number.isInteger(n) && n >= 0)) throw new InputError("option", `Rng.binomial needs an integer n >= 0, got ${n}`);
    checkProb(p, "binomial");
    if (n === 0 || p === 0) return 0;
    if (p === 1) return n;
    if (n <= 32) {
      let k = 0;
      for (let i = 0; i < n; i++) if (this.uniform() < p) k++;
      return k;
    }
    // Count successes by jumping over geometric runs of failures: expected O(n * min(p, 1-p)).
    const flip = p > 0.5;
    const q = flip ? 1 - p : p;
    const logFail = Math.log1p(-q);
    let k = 0;
    let pos = 0;
    for (;;) {
      pos += Math.floor(Math.log(1 - this.uniform()) / logFail) + 1;
      if (pos > n) break;
      k++;
    }
    return flip ? n - k : k;
  }

  /** Number of failures before the first success, success probability p in (0, 1] (R's rgeom). */
  geometric(p: number): number {
    if (!(p > 0 && p <= 1)) throw new InputError("option", `Rng.geometric needs p in (0, 1], got ${p}`);
    if (p === 1) return 0;
    return Math.floor(Math.log(1 - this.uniform()) / Math.log1p(-p));
  }

  /** Index i drawn with probability weights[i] / sum(weights); weights need not sum to 1. */
  categorical(weights: ArrayLike<number>): number {
    let total = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (!(w >= 0 && Number.isFinite(w))) throw new InputError("option", `Rng.categorical weight ${i} is invalid: ${w}`);
      total += w;
    }
    if (!(total > 0)) throw new InputError("option", "Rng.categorical needs at least one positive weight");
    const target = this.uniform() * total;
    let acc = 0;
    let last = 0;
    for (let i = 0; i < weights.length; i++) {
      const w = weights[i]!;
      if (w === 0) continue;
      acc += w;
      last = i;
      if (target < acc) return i;
    }
    return last; // rounding: target landed at the very top
  }

  /** Shuffles `array` in place (Fisher–Yates) and returns it. */
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  shuffle<A extends { length: number; [i: number]: any }>(array: A): A {
    for (let i = array.length - 1; i > 0; i--) {
      const j = Math.floor(this.uniform() * (i + 1));
      const tmp = array[i];
      array[i] = array[j];
      array[j] = tmp;
    }
    return array;
  }
}

function checkProb(p: number, what: string): void {
  if (!(p >= 0 && p <= 1)) throw new InputError("option", `Rng.${what} needs a probability in [0, 1], got ${p}`);
}

/**
 * A reusable sampler for fixed weights: cumulative table built once, binary search per draw.
 * Returns indices 0..weights.length-1 with probability proportional to the weights.
 */
export function categoricalSampler(rng: Rng, weights: ArrayLike<number>): () => number {
  const n = weights.length;
  const cum = new Float64Array(n);
  let total = 0;
  for (let i = 0; i < n; i++) {
    const w = weights[i]!;
    if (!(w >= 0 && Number.isFinite(w))) throw new InputError("option", `categorical weight ${i} is invalid: ${w}`);
    total += w;
    cum[i] = total;
  }
  if (!(total > 0)) throw new InputError("option", "categorical sampler needs at least one positive weight");
  let lastPositive = n - 1;
  while (weights[lastPositive] === 0) lastPositive--;
  return () => {
    const target = rng.uniform() * total;
    let lo = 0;
    let hi = lastPositive;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (target < cum[mid]!) hi = mid;
      else lo = mid + 1;
    }
    return lo;
  };
}
