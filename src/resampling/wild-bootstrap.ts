import { encodingNamed } from "../data/encode.js";
import type { DataInput } from "../data/input.js";
import { fitOls } from "../fit/feols.js";
import type { FeolsOptions } from "../fit/options.js";
import type { FeolsResult } from "../fit/result.js";
import type { FitState } from "../fit/fit-hook.js";
import { parseFormula } from "../formula/parse.js";
import { EstimationError, InputError } from "../core/errors.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import { countingSort, splitEffects, type EffectSplit } from "./cluster-sums.js";
import { crossprodInto } from "../engine/cross-products.js";

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
  if (spec.fixedEffects.some((fe) => fe.slopes)) throw new InputError("formula", "the wild cluster bootstrap does not support varying slopes");
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
  const fit = await fitOls(data, formula, { ...options, vcov: { cluster } }, (state) => {
    reps = replicate(state, options.param, cluster, B, dist, seed);
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

/** Most fixed-effect levels not nested in the bootstrap cluster that the bootstrap re-projects on (dense Gram matrix). */
export const MAX_CROSSED_LEVELS = 1500;

/**
 * Precomputes the per-cluster features (see assembly/bootstrap.ts) and runs the replications in
 * wasm. Fixed effects: the largest one nested in the bootstrap cluster needs nothing (the
 * bootstrap residuals stay orthogonal to it); the others ("crossed") are re-projected on in
 * every replication through Γ = D'W M_N D (D their dummies, M_N the projection off the nested
 * effect), so the t* are those of refitting the full model, fixed effects included.
 */
function replicate(st: FitState, param: string, cluster: string, B: number, dist: "rademacher" | "webb", seed: number): Replications {
  const { k, arena, n } = st;
  const j = st.names.indexOf(param);
  if (j < 0) throw new InputError("option", `"${param}" is not an estimated coefficient of the model (coefficients: ${st.names.join(", ")})`);
  const K = st.names.length;
  const enc = encodingNamed(st.sample.clusters, cluster);
  const G = enc.size;
  if (G < 2) throw new EstimationError("singular", `the bootstrap needs at least 2 clusters (got ${G})`);
  const Q = st.bread;
  const a = Float64Array.from({ length: K }, (_, c) => Q[c * K + j]);

  const { u0, mj } = restrictedResiduals(st, j);
  const codes = arena.putI32(enc.codes, "bootstrap cluster codes");
  const clusterSums = (e: number): Float64Array => {
    const out = arena.allocF64(G * K);
    arena.f64(out, G * K).fill(0);
    k.cluster_scores(n, K, st.x, e, st.w, codes, out);
    return arena.f64(out, G * K).slice();
  };
  const S0 = clusterSums(u0);
  const S1 = clusterSums(mj);
  // z = X a, then H_h a = X_h'W_h z_h and d_h = Q H_h a.
  const zeros = arena.allocF64(n);
  arena.f64(zeros, n).fill(0);
  const z = arena.allocF64(n);
  k.residuals(n, K, st.x, arena.putF64(a.map((v) => -v)), zeros, z);
  const f = clusterFeatures(a, Q, S0, S1, clusterSums(z), G);

  // Crossed fixed effects: sparse per-cluster features φ0, φ1 (level sums of w·ü0, w·m) and c·ζ (ζ: level sums of w·z).
  const crossed = crossedEffects(st, enc);
  const L = crossed.levels;
  const sp = L > 0 ? sparseFeatures(st, enc, crossed, arena.f64(u0, n), arena.f64(mj, n), arena.f64(z, n), st.sample.weights, f.c0s, f.c1s, f.dAll, K) : null;

  const enumerated = dist === "rademacher" && G <= 30 && 2 ** G <= B;
  const reps = enumerated ? 2 ** G : B;
  const kAdjN = st.ssc.kAdj ? n - st.dfK : n;
  const adj = (st.ssc.kAdj ? (n - 1) / kAdjN : 1) * (st.ssc.gAdj ? G / (G - 1) : 1);
  const started = performance.now();
  const layout: ReplicationLayout = { K, L, m: 2 + 4 * K, m2: dist === "webb" ? 3 : 0, ms: 4 * L };
  const stride = layout.m + layout.m2 + layout.ms;
  const fPtr = arena.putF64(f.F, "bootstrap features");
  const f2Ptr = arena.putF64(f.F2);
  const startPtr = sp ? arena.putI32(sp.start) : 0;
  const idxPtr = sp ? arena.putI32(sp.idx) : 0;
  const valPtr = sp ? arena.putF64(sp.val) : 0;
  const accPtr = arena.allocF64(16 * Math.max(L, 1));
  const vPtr = arena.allocF64(4 * G);
  const v2Ptr = arena.allocF64(4 * G);
  const outPtr = arena.allocF64(reps * stride, "bootstrap replications");
  const lo = Math.trunc(seed) >>> 0;
  const hi = Math.floor(Math.trunc(seed) / 4294967296) >>> 0;
  k.wild_bootstrap(G, layout.m, fPtr, layout.m2, f2Ptr, layout.ms, startPtr, idxPtr, valPtr, accPtr, reps, enumerated ? 2 : dist === "webb" ? 1 : 0, lo, hi, vPtr, v2Ptr, outPtr);
  const sums = arena.f64(outPtr, reps * stride).slice();
  const out = replicationMoments(sums, reps, layout, f, sp);
  return { out, reps, adj, clusters: G, enumerated, ms: performance.now() - started };
}

/** Restricted residuals ü(h) = ü0 − h·m: ü0 = M_{−j} y, m = M_{−j} x_j (arena pointers). */
function restrictedResiduals(st: FitState, j: number): { u0: number; mj: number } {
  const { k, arena, n, w } = st;
  const K = st.names.length;
  const col = (c: number) => st.x + c * n * 8;
  const u0 = arena.allocF64(n, "restricted residuals");
  const mj = arena.allocF64(n, "restricted x_j");
  const others = Array.from({ length: K }, (_, c) => c).filter((c) => c !== j);
  if (others.length === 0) {
    arena.f64(u0, n).set(arena.f64(st.y, n));
    arena.f64(mj, n).set(arena.f64(col(j), n));
    return { u0, mj };
  }
  const o = others.length;
  const xo = arena.allocF64(n * o, "other regressors");
  others.forEach((c, i) => arena.f64(xo + i * n * 8, n).set(arena.f64(col(c), n)));
  const xtx = arena.allocF64(o * o);
  crossprodInto(k, arena, n, o, xo, w, xtx);
  const f = choleskyDropping(arena.f64(xtx, o * o).slice(), o, 0);
  const xty = arena.allocF64(o);
  k.crossprod_vec(n, o, xo, st.y, w, xty);
  k.residuals(n, o, xo, arena.putF64(solveFactor(f, arena.f64(xty, o))), st.y, u0);
  k.crossprod_vec(n, o, xo, col(j), w, xty);
  k.residuals(n, o, xo, arena.putF64(solveFactor(f, arena.f64(xty, o))), col(j), mj);
  return { u0, mj };
}

interface ClusterFeatures {
  /** Dense per-cluster features (c0, c1, S0, S1, c0·d, c1·d), feature-major. */
  readonly F: Float64Array;
  /** c0², c0·c1, c1² per cluster (Webb weights square to other than 1). */
  readonly F2: Float64Array;
  /** D = Σ d_h d_h'. */
  readonly Dm: Float64Array;
  /** Σ c0², Σ c0·c1, Σ c1² (Rademacher weights square to 1). */
  readonly sq: readonly number[];
  readonly dAll: Float64Array;
  readonly c0s: Float64Array;
  readonly c1s: Float64Array;
}

/** The features F_h of each cluster h from its score sums S0, S1 and H_h a. */
function clusterFeatures(a: Float64Array, Q: Float64Array, S0: Float64Array, S1: Float64Array, Ha: Float64Array, G: number): ClusterFeatures {
  const K = a.length;
  const m = 2 + 4 * K;
  const F = new Float64Array(m * G);
  const Dm = new Float64Array(K * K);
  const sq = [0, 0, 0];
  const F2 = new Float64Array(3 * G);
  const d = new Float64Array(K);
  const dAll = new Float64Array(G * K);
  const c0s = new Float64Array(G);
  const c1s = new Float64Array(G);
  for (let h = 0; h < G; h++) {
    let c0 = 0;
    let c1 = 0;
    for (let r = 0; r < K; r++) {
      c0 += a[r] * S0[h * K + r];
      c1 += a[r] * S1[h * K + r];
      let x = 0;
      for (let c = 0; c < K; c++) x += Q[r * K + c] * Ha[h * K + c];
      d[r] = x;
      dAll[h * K + r] = x;
    }
    c0s[h] = c0;
    c1s[h] = c1;
    F[h] = c0;
    F[G + h] = c1;
    for (let r = 0; r < K; r++) {
      F[(2 + r) * G + h] = S0[h * K + r];
      F[(2 + K + r) * G + h] = S1[h * K + r];
      F[(2 + 2 * K + r) * G + h] = c0 * d[r];
      F[(2 + 3 * K + r) * G + h] = c1 * d[r];
      for (let c = 0; c < K; c++) Dm[r * K + c] += d[r] * d[c];
    }
    F2[h] = c0 * c0;
    F2[G + h] = c0 * c1;
    F2[2 * G + h] = c1 * c1;
    sq[0] += c0 * c0;
    sq[1] += c0 * c1;
    sq[2] += c1 * c1;
  }
  return { F, F2, Dm, sq, dAll, c0s, c1s };
}

/** Where each replication's sums lie in the kernel's output: m dense, m2 squared, ms sparse values. */
interface ReplicationLayout {
  readonly K: number;
  readonly L: number;
  readonly m: number;
  readonly m2: number;
  readonly ms: number;
}

/** Per replication: N0, N1 and V(r) = AA − 2r·AB + r²·BB, from the kernel's sums. */
function replicationMoments(sums: Float64Array, reps: number, layout: ReplicationLayout, f: ClusterFeatures, sp: SparseFeatures | null): Float64Array {
  const { K, L, m, m2 } = layout;
  const { Dm, sq } = f;
  const stride = m + m2 + layout.ms;
  const out = new Float64Array(reps * 5);
  const dot = (x: ArrayLike<number>, xo: number, y: ArrayLike<number>, yo: number, len: number) => {
    let t = 0;
    for (let r = 0; r < len; r++) t += x[xo + r] * y[yo + r];
    return t;
  };
  const quad = (x: number, M: Float64Array, y: number) => {
    let t = 0;
    for (let r = 0; r < K; r++) for (let c = 0; c < K; c++) t += sums[x + r] * M[r * K + c] * sums[y + c];
    return t;
  };
  const omega: Float64Array[] = [new Float64Array(L), new Float64Array(L)];
  for (let b = 0; b < reps; b++) {
    const o = b * stride;
    const s0 = o + 2;
    const s1 = o + 2 + K;
    const u0o = o + 2 + 2 * K;
    const u1o = o + 2 + 3 * K;
    const q00 = m2 ? sums[o + m] : sq[0];
    const q01 = m2 ? sums[o + m + 1] : sq[1];
    const q11 = m2 ? sums[o + m + 2] : sq[2];
    let AA = q00 - 2 * dot(sums, u0o, sums, s0, K) + quad(s0, Dm, s0);
    let AB = q01 - dot(sums, u0o, sums, s1, K) - dot(sums, u1o, sums, s0, K) + quad(s0, Dm, s1);
    let BB = q11 - 2 * dot(sums, u1o, sums, s1, K) + quad(s1, Dm, s1);
    if (sp) {
      const base = o + m + m2;
      const psi0 = base;
      const psi1 = base + L;
      // ω = Γ⁺ Σ v c ζ, E ψ = Γ⁺ Z2 Γ⁺ ψ; C = Σ d ε' = Cζ Γ⁺.
      omega[0] = sp.solve(sums.subarray(base + 2 * L, base + 3 * L));
      omega[1] = sp.solve(sums.subarray(base + 3 * L, base + 4 * L));
      const g0 = sp.solve(sums.subarray(psi0, psi0 + L)); // Γ⁺ψ0
      const g1 = sp.solve(sums.subarray(psi1, psi1 + L));
      const zg0 = sp.z2times(g0);
      const zg1 = sp.z2times(g1);
      // ψ'Eψ = (Γ⁺ψ)' Z2 (Γ⁺ψ); s'Cψ = s' Cζ Γ⁺ψ.
      const cz0 = sp.czTimes(g0);
      const cz1 = sp.czTimes(g1);
      AA += dot(g0, 0, zg0, 0, L) - 2 * dot(omega[0], 0, sums, psi0, L) + 2 * dot(sums, s0, cz0, 0, K);
      AB += dot(g0, 0, zg1, 0, L) - dot(omega[0], 0, sums, psi1, L) - dot(omega[1], 0, sums, psi0, L) + dot(sums, s0, cz1, 0, K) + dot(sums, s1, cz0, 0, K);
      BB += dot(g1, 0, zg1, 0, L) - 2 * dot(omega[1], 0, sums, psi1, L) + 2 * dot(sums, s1, cz1, 0, K);
    }
    out[b * 5] = sums[o];
    out[b * 5 + 1] = sums[o + 1];
    out[b * 5 + 2] = AA;
    out[b * 5 + 3] = AB;
    out[b * 5 + 4] = BB;
  }
  return out;
}

/**
 * The fixed effects split as the cluster Gram matrices split them (cluster-sums.ts): the largest
 * one nested in the bootstrap cluster, projected out implicitly, and the others, re-projected on.
 */
function crossedEffects(st: FitState, enc: { readonly codes: Int32Array; readonly size: number }): EffectSplit {
  const split = splitEffects(st.sample.fixedEffects, { name: "", ...enc, levels: [] });
  if (split.levels > MAX_CROSSED_LEVELS) {
    throw new EstimationError(
      "memory",
      `the bootstrap re-projects on the fixed effects not nested in the bootstrap cluster, here ${split.levels} levels ` +
        `(at most ${MAX_CROSSED_LEVELS}); cluster on a variable the large fixed effects are nested in`,
    );
  }
  return split;
}

interface SparseFeatures {
  readonly start: Int32Array;
  readonly idx: Int32Array;
  readonly val: Float64Array;
  /** Γ⁺x for a crossed-level vector. */
  readonly solve: (x: ArrayLike<number>) => Float64Array;
  /** Z2 x, Z2 = Σ_h ζ_h ζ_h'. */
  readonly z2times: (x: Float64Array) => Float64Array;
  /** Cζ x, Cζ = Σ_h d_h ζ_h' (K×L). */
  readonly czTimes: (x: Float64Array) => Float64Array;
}

/**
 * Γ = D'WD − Σ_f c_f c_f'/W_f over the crossed levels (f: groups of the nested effect, c_f their
 * crossed-level weights), factored with redundant levels dropped (a generalised inverse: the
 * projection is what matters), and per cluster the sparse level sums φ0, φ1, ζ.
 */
function sparseFeatures(
  st: FitState,
  enc: { readonly codes: Int32Array; readonly size: number },
  cr: EffectSplit,
  u0: Float64Array,
  mj: Float64Array,
  z: Float64Array,
  wv: Float64Array | null,
  c0s: Float64Array,
  c1s: Float64Array,
  dAll: Float64Array,
  K: number,
): SparseFeatures {
  const n = st.n;
  const L = cr.levels;
  const G = enc.size;
  const q = cr.others.length;
  const levelOf = (e: number, i: number) => cr.offsets[e] + cr.others[e].codes[i];
  const gram = new Float64Array(L * L);
  for (let i = 0; i < n; i++) {
    const wi = wv ? wv[i] : 1;
    for (let e = 0; e < q; e++) for (let f = 0; f < q; f++) gram[levelOf(e, i) * L + levelOf(f, i)] += wi;
  }
  if (cr.nested) {
    const { order } = countingSort(cr.nested.codes, cr.nested.size);
    const c = new Float64Array(L);
    const touched: number[] = [];
    let p = 0;
    while (p < n) {
      const g = cr.nested.codes[order[p]];
      let wg = 0;
      for (; p < n && cr.nested.codes[order[p]] === g; p++) {
        const i = order[p];
        const wi = wv ? wv[i] : 1;
        wg += wi;
        for (let e = 0; e < q; e++) {
          const l = levelOf(e, i);
          if (c[l] === 0) touched.push(l);
          c[l] += wi;
        }
      }
      for (const u of touched) for (const v of touched) gram[u * L + v] -= (c[u] * c[v]) / wg;
      for (const u of touched) c[u] = 0;
      touched.length = 0;
    }
  }
  const factor = choleskyDropping(gram, L, 1e-9);
  // Per cluster: level sums of w·ü0, w·m, w·z over its rows (sparse).
  const { order } = countingSort(enc.codes, G);
  const start = new Int32Array(G + 1);
  const idx: number[] = [];
  const val: number[] = [];
  const phi0 = new Float64Array(L);
  const phi1 = new Float64Array(L);
  const zeta = new Float64Array(L);
  const seen = new Uint8Array(L);
  const touched: number[] = [];
  const z2 = new Float64Array(L * L);
  const cz = new Float64Array(K * L);
  let p = 0;
  for (let h = 0; h < G; h++) {
    for (; p < n && enc.codes[order[p]] === h; p++) {
      const i = order[p];
      const wi = wv ? wv[i] : 1;
      for (let e = 0; e < q; e++) {
        const l = levelOf(e, i);
        if (!seen[l]) {
          seen[l] = 1;
          touched.push(l);
        }
        phi0[l] += wi * u0[i];
        phi1[l] += wi * mj[i];
        zeta[l] += wi * z[i];
      }
    }
    for (const l of touched) {
      idx.push(l);
      val.push(phi0[l], phi1[l], c0s[h] * zeta[l], c1s[h] * zeta[l]);
      for (const l2 of touched) z2[l * L + l2] += zeta[l] * zeta[l2];
      for (let r = 0; r < K; r++) cz[r * L + l] += dAll[h * K + r] * zeta[l];
    }
    for (const l of touched) {
      phi0[l] = phi1[l] = zeta[l] = 0;
      seen[l] = 0;
    }
    touched.length = 0;
    start[h + 1] = idx.length;
  }
  return {
    start,
    idx: Int32Array.from(idx),
    val: Float64Array.from(val),
    solve: (x) => solveFactor(factor, x),
    z2times: (x) => {
      const out = new Float64Array(L);
      for (let r = 0; r < L; r++) {
        let t = 0;
        for (let c = 0; c < L; c++) t += z2[r * L + c] * x[c];
        out[r] = t;
      }
      return out;
    },
    czTimes: (x) => {
      const out = new Float64Array(K);
      for (let r = 0; r < K; r++) {
        let t = 0;
        for (let c = 0; c < L; c++) t += cz[r * L + c] * x[c];
        out[r] = t;
      }
      return out;
    },
  };
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
