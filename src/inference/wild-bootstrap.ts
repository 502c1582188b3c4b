import type { DataInput } from "../data/input.js";
import { feols } from "../estimators/feols.js";
import type { FeolsOptions } from "../estimators/options.js";
import type { FeolsResult } from "../estimators/result.js";
import type { FitState } from "../estimators/fit-hook.js";
import { parseFormula } from "../formula/parse.js";
import { EstimationError, InputError } from "../errors.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";

/**
 * Wild cluster bootstrap of one coefficient's t test, restricted (WCR: the null is imposed on
 * the bootstrap data-generating process), as boottest and fwildclusterboot do:
 *
 *   y* = X β̈ + ü ⊙ v_g,  β̈, ü the estimates and residuals under H0: β_j = h0,
 *   t* = (β*_j − h0) / se*(β*_j),  se* clustered like the model's (same small-sample factors),
 *   p  = share of replications with |t*| ≥ |t|  (symmetric),
 *
 * with v_g Rademacher (±1) or Webb (±√½, ±1, ±√(3/2)) weights per cluster, drawn by a seeded
 * xoshiro256** generator (the same seed gives the same p-value and interval). With Rademacher
 * weights and 2^G ≤ B every sign vector is enumerated instead (B = 2^G). Everything happens
 * after the fixed effects are partialled out, at the cluster level: the wasm kernel
 * (assembly/bootstrap.ts) costs O(G·k) per replication, not O(n). The confidence interval
 * inverts the test: the set of h0 not rejected at 1 − level, found by bisection on each side.
 */
export interface WildBootstrapOptions extends FeolsOptions {
  /** The coefficient to test. */
  readonly param: string;
  /** Bootstrap cluster column (default: the one-way cluster of `vcov`). */
  readonly cluster?: string;
  /** Replications (default 9,999). */
  readonly B?: number;
  /** Cluster weights (default "rademacher"). */
  readonly dist?: "rademacher" | "webb";
  /** Seed of the weights' generator (default 1). */
  readonly seed?: number;
  /** Null value h0 of the coefficient (default 0). */
  readonly h0?: number;
  /** Confidence level of the interval (default 0.95); `ci: false` skips it. */
  readonly level?: number;
  readonly ci?: boolean;
}

export interface WildBootstrapResult {
  readonly param: string;
  readonly estimate: number;
  readonly h0: number;
  /** The t statistic (β̂ − h0)/se with the model's clustered se. */
  readonly t: number;
  /** Bootstrap p-value (symmetric). */
  readonly p: number;
  /** Confidence interval by test inversion; null when not asked for. */
  readonly ci: readonly [number, number] | null;
  readonly level: number;
  /** Replications made (2^G when enumerated). */
  readonly B: number;
  readonly dist: "rademacher" | "webb";
  readonly enumerated: boolean;
  readonly seed: number;
  readonly cluster: string;
  readonly clusters: number;
  /** t* at h0, one per replication. */
  readonly tStar: Float64Array;
  /** The analytic clustered test from the fit, for comparison. */
  readonly analytic: { readonly se: number; readonly t: number; readonly p: number; readonly dfT: number };
  readonly fit: FeolsResult;
  readonly timings: { readonly fit: number; readonly bootstrap: number };
}

interface Replications {
  /** Per replication: N0, N1, AA, AB, BB. */
  readonly out: Float64Array;
  readonly reps: number;
  readonly adj: number;
  readonly clusters: number;
  readonly enumerated: boolean;
  readonly ms: number;
}

export async function wildBootstrap(data: DataInput, formula: string, options: WildBootstrapOptions): Promise<WildBootstrapResult> {
  const spec = parseFormula(formula);
  if (spec.endogenous.length > 0) throw new InputError("formula", "the wild cluster bootstrap is implemented for OLS models, not IV");
  const B = options.B ?? 9999;
  if (!(Number.isInteger(B) && B >= 1)) throw new InputError("option", `B must be a positive integer (got ${B})`);
  const dist = options.dist ?? "rademacher";
  if (dist !== "rademacher" && dist !== "webb") throw new InputError("option", `dist must be "rademacher" or "webb" (got ${JSON.stringify(dist)})`);
  const seed = options.seed ?? 1;
  if (!Number.isFinite(seed)) throw new InputError("option", `seed must be a finite number (got ${seed})`);
  const h0 = options.h0 ?? 0;
  const level = options.level ?? 0.95;
  if (!(level > 0 && level < 1)) throw new InputError("option", `level must be between 0 and 1 (got ${level})`);
  const cluster = bootstrapCluster(options);
  const started = performance.now();
  let reps: Replications | null = null;
  const fit = await feols(data, formula, { ...options, vcov: { cluster } }, (state) => {
    reps = replicate(state, options.param, B, dist, seed);
  });
  const fitMs = performance.now() - started - (reps as Replications | null)!.ms;
  const r = reps as unknown as Replications;
  const coef = fit.coef(options.param)!;
  const se = coef.se;
  const estimate = coef.estimate;
  const tAt = (h: number) => (estimate - h) / se;
  const pAt = (h: number): number => {
    const t = Math.abs(tAt(h));
    const tol = 1e-10 * Math.max(t, 1);
    let count = 0;
    const o = r.out;
    for (let b = 0; b < r.reps; b++) {
      const num = o[b * 5] - h * o[b * 5 + 1];
      const v = o[b * 5 + 2] - 2 * h * o[b * 5 + 3] + h * h * o[b * 5 + 4];
      const ts = Math.abs(num) / Math.sqrt(r.adj * v);
      if (!(ts < t - tol)) count++;
    }
    return count / r.reps;
  };
  const tStar = new Float64Array(r.reps);
  for (let b = 0; b < r.reps; b++) {
    const o = r.out;
    tStar[b] = (o[b * 5] - h0 * o[b * 5 + 1]) / Math.sqrt(r.adj * (o[b * 5 + 2] - 2 * h0 * o[b * 5 + 3] + h0 * h0 * o[b * 5 + 4]));
  }
  const ci = options.ci === false ? null : invert(pAt, estimate, se, 1 - level);
  return {
    param: options.param,
    estimate,
    h0,
    t: tAt(h0),
    p: pAt(h0),
    ci,
    level,
    B: r.reps,
    dist,
    enumerated: r.enumerated,
    seed,
    cluster,
    clusters: r.clusters,
    tStar,
    analytic: { se, t: coef.t, p: coef.p, dfT: fit.dfT },
    fit,
    timings: { fit: fitMs, bootstrap: r.ms },
  };
}

function bootstrapCluster(o: WildBootstrapOptions): string {
  if (o.cluster) {
    if (o.vcov !== undefined) {
      const v = o.vcov;
      const same = typeof v === "object" && "cluster" in v && [v.cluster].flat().length === 1 && [v.cluster].flat()[0] === o.cluster;
      if (!same) throw new InputError("option", `the bootstrap t statistic uses the cluster-robust se of the bootstrap cluster "${o.cluster}"; leave vcov out or set it to { cluster: "${o.cluster}" }`);
    }
    return o.cluster;
  }
  const v = o.vcov;
  if (typeof v === "object" && "cluster" in v) {
    const cols = [v.cluster].flat();
    if (cols.length === 1) return cols[0];
    throw new InputError("option", `the wild cluster bootstrap clusters one way: pass cluster: "${cols[0]}" (multi-way clustering is not bootstrapped)`);
  }
  throw new InputError("option", 'the wild cluster bootstrap needs a cluster column: cluster: "firm_id" (or vcov: { cluster: "firm_id" })');
}

/** Precomputes the per-cluster quantities (see assembly/bootstrap.ts) and runs the replications in wasm. */
function replicate(st: FitState, param: string, B: number, dist: "rademacher" | "webb", seed: number): Replications {
  const { k, arena, n, w } = st;
  const j = st.names.indexOf(param);
  if (j < 0) throw new InputError("option", `"${param}" is not an estimated coefficient of the model (coefficients: ${st.names.join(", ")})`);
  const K = st.names.length;
  const col = (c: number) => st.x + c * n * 8;
  const enc = st.sample.clusters[0];
  const G = enc.size;
  if (G < 2) throw new EstimationError("singular", `the bootstrap needs at least 2 clusters (got ${G})`);
  const Q = st.bread;
  const a = Float64Array.from({ length: K }, (_, c) => Q[c * K + j]);

  // Restricted residuals ü(h) = ü0 − h·m: ü0 = M_{−j} y, m = M_{−j} x_j.
  const u0 = arena.allocF64(n, "restricted residuals");
  const mj = arena.allocF64(n, "restricted x_j");
  const others = Array.from({ length: K }, (_, c) => c).filter((c) => c !== j);
  if (others.length === 0) {
    arena.f64(u0, n).set(arena.f64(st.y, n));
    arena.f64(mj, n).set(arena.f64(col(j), n));
  } else {
    const o = others.length;
    const xo = arena.allocF64(n * o, "other regressors");
    others.forEach((c, i) => arena.f64(xo + i * n * 8, n).set(arena.f64(col(c), n)));
    const xtx = arena.allocF64(o * o);
    k.crossprod(n, o, xo, w, xtx);
    const f = choleskyDropping(arena.f64(xtx, o * o).slice(), o, 0);
    const xty = arena.allocF64(o);
    k.crossprod_vec(n, o, xo, st.y, w, xty);
    k.residuals(n, o, xo, arena.putF64(solveFactor(f, arena.f64(xty, o))), st.y, u0);
    k.crossprod_vec(n, o, xo, col(j), w, xty);
    k.residuals(n, o, xo, arena.putF64(solveFactor(f, arena.f64(xty, o))), col(j), mj);
  }
  const codes = arena.putI32(enc.codes, "bootstrap cluster codes");
  const clusterSums = (e: number): Float64Array => {
    const out = arena.allocF64(G * K);
    arena.f64(out, G * K).fill(0);
    k.cluster_scores(n, K, st.x, e, w, codes, out);
    return arena.f64(out, G * K).slice();
  };
  const S0 = clusterSums(u0);
  const S1 = clusterSums(mj);
  // z = X a, then H_h a = X_h'W_h z_h and d_h = Q H_h a.
  const zeros = arena.allocF64(n);
  arena.f64(zeros, n).fill(0);
  const z = arena.allocF64(n);
  k.residuals(n, K, st.x, arena.putF64(a.map((v) => -v)), zeros, z);
  const Ha = clusterSums(z);
  // Per-cluster features F_h = (c0, c1, S0, S1, c0·d, c1·d), feature-major, and D = Σ d_h d_h'.
  const m = 2 + 4 * K;
  const F = new Float64Array(m * G);
  const D = new Float64Array(K * K);
  const sq = [0, 0, 0];
  const F2 = new Float64Array(3 * G);
  const d = new Float64Array(K);
  for (let h = 0; h < G; h++) {
    let c0 = 0;
    let c1 = 0;
    for (let r = 0; r < K; r++) {
      c0 += a[r] * S0[h * K + r];
      c1 += a[r] * S1[h * K + r];
      let x = 0;
      for (let c = 0; c < K; c++) x += Q[r * K + c] * Ha[h * K + c];
      d[r] = x;
    }
    F[h] = c0;
    F[G + h] = c1;
    for (let r = 0; r < K; r++) {
      F[(2 + r) * G + h] = S0[h * K + r];
      F[(2 + K + r) * G + h] = S1[h * K + r];
      F[(2 + 2 * K + r) * G + h] = c0 * d[r];
      F[(2 + 3 * K + r) * G + h] = c1 * d[r];
      for (let c = 0; c < K; c++) D[r * K + c] += d[r] * d[c];
    }
    F2[h] = c0 * c0;
    F2[G + h] = c0 * c1;
    F2[2 * G + h] = c1 * c1;
    sq[0] += c0 * c0;
    sq[1] += c0 * c1;
    sq[2] += c1 * c1;
  }
  const enumerated = dist === "rademacher" && G <= 30 && 2 ** G <= B;
  const reps = enumerated ? 2 ** G : B;
  // v² = 1 for Rademacher signs and enumeration: the squared terms are constants.
  const m2 = dist === "webb" ? 3 : 0;
  const kAdjN = st.ssc.kAdj ? n - st.dfK : n;
  const adj = (st.ssc.kAdj ? (n - 1) / kAdjN : 1) * (st.ssc.gAdj ? G / (G - 1) : 1);
  const started = performance.now();
  const fPtr = arena.putF64(F, "bootstrap features");
  const f2Ptr = arena.putF64(F2);
  const vPtr = arena.allocF64(4 * G);
  const v2Ptr = arena.allocF64(4 * G);
  const stride = m + m2;
  const outPtr = arena.allocF64(reps * stride, "bootstrap replications");
  const lo = Math.trunc(seed) >>> 0;
  const hi = Math.floor(Math.trunc(seed) / 4294967296) >>> 0;
  k.wild_bootstrap(G, m, fPtr, m2, f2Ptr, reps, enumerated ? 2 : dist === "webb" ? 1 : 0, lo, hi, vPtr, v2Ptr, outPtr);
  const sums = arena.f64(outPtr, reps * stride);
  // Per replication: N0, N1 and V(r) = AA − 2r·AB + r²·BB.
  const out = new Float64Array(reps * 5);
  const dot = (x: number, y: number) => {
    let t = 0;
    for (let r = 0; r < K; r++) t += sums[x + r] * sums[y + r];
    return t;
  };
  const quad = (x: number, y: number) => {
    let t = 0;
    for (let r = 0; r < K; r++) for (let c = 0; c < K; c++) t += sums[x + r] * D[r * K + c] * sums[y + c];
    return t;
  };
  for (let b = 0; b < reps; b++) {
    const o = b * stride;
    const s0 = o + 2;
    const s1 = o + 2 + K;
    const u0 = o + 2 + 2 * K;
    const u1 = o + 2 + 3 * K;
    const q00 = m2 ? sums[o + m] : sq[0];
    const q01 = m2 ? sums[o + m + 1] : sq[1];
    const q11 = m2 ? sums[o + m + 2] : sq[2];
    out[b * 5] = sums[o];
    out[b * 5 + 1] = sums[o + 1];
    out[b * 5 + 2] = q00 - 2 * dot(u0, s0) + quad(s0, s0);
    out[b * 5 + 3] = q01 - dot(u0, s1) - dot(u1, s0) + quad(s0, s1);
    out[b * 5 + 4] = q11 - 2 * dot(u1, s1) + quad(s1, s1);
  }
  return { out, reps, adj, clusters: G, enumerated, ms: performance.now() - started };
}

/** The interval {h : p(h) ≥ alpha} around the estimate, by bracketing and bisection on each side. */
function invert(pAt: (h: number) => number, estimate: number, se: number, alpha: number): [number, number] {
  const side = (dir: 1 | -1): number => {
    let inside = estimate;
    let step = se;
    let outside = estimate + dir * step;
    let tries = 0;
    while (pAt(outside) >= alpha) {
      inside = outside;
      step *= 2;
      outside = estimate + dir * step;
      if (++tries > 60) return dir * Infinity;
    }
    for (let i = 0; i < 100 && Math.abs(outside - inside) > 1e-12 * Math.max(se, Math.abs(estimate)); i++) {
      const mid = (inside + outside) / 2;
      if (pAt(mid) >= alpha) inside = mid;
      else outside = mid;
    }
    return (inside + outside) / 2;
  };
  return [side(-1), side(1)];
}
