import type { EncodedEffect } from "../fit/sample.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import type { Gram } from "./refit.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { sharedEngine } from "../engine/shared.js";
import { countingSort, demeanNested, splitEffects, SumsBuilder } from "./cluster-sums.js";

/**
 * Gram matrices of demeaned columns for any cluster-level reweighting, from per-cluster sums:
 * the engine of the cluster bootstrap (weights = how often each cluster was drawn) and of the
 * cluster-level permutation test (weights 0/1: the clusters assigned to a group).
 *
 * When every row of a cluster has the same multiplier c_g, the demeaning needs no pass over the
 * rows. Split the fixed effects into one nested in the clusters (firm effects under firm
 * clusters: each level inside one cluster), D₁, and the others, D₂ (years, industry×year), with
 * L levels in all. Demeaning by D₁ alone does not depend on the multipliers (they are constant
 * within each D₁ level), so z̃ = z − (group means by D₁) is computed once. By Frisch–Waugh the
 * Gram matrix of the columns demeaned by all the fixed effects is then
 *
 *   Z̈'WZ̈ = Z̃'WZ̃ − (Z̃'WD₂) (D̃₂'WD̃₂)⁺ (D₂'WZ̃),      W = diag(c_g(i) · ω_i)
 *
 * (Z̃'WD̃₂ = Z̃'WD₂ because z̃ sums to zero within every D₁ level), where each piece is a sum over
 * clusters of c_g times a per-cluster sum computed once:
 *   Z̃'WZ̃    = Σ_g c_g Σ_{i∈g} ω_i z̃_i z̃_i'                         (d×d per cluster)
 *   D₂'WZ̃    = Σ_g c_g Σ_{i∈g} ω_i u_i z̃_i'                         (sparse: the levels g touches)
 *   D̃₂'WD̃₂  = Σ_g c_g [Σ_{i∈g} ω_i u_i u_i' − Σ_{f∈g} s_f s_f' / Ω_f]   (s_f = Σ_{i∈f} ω_i u_i, Ω_f = Σ_{i∈f} ω_i)
 * with u_i the indicator of row i's D₂ levels. A replication costs O(touched levels per cluster
 * × columns) per cluster drawn instead of a demeaning of every column; the L×L system (14 years)
 * is solved densely with the dropping Cholesky (a generalised inverse, as the exact method).
 * Without a nested fixed effect z̃ = z and the s_f term is absent; without fixed effects the
 * Gram matrix is Z'WZ (the intercept is one of the columns).
 */

/**
 * The per-cluster sums a ClusterGram is made of, laid out for the two ways of summing them:
 *
 * - dense, for weights on most clusters (the bootstrap): Z̃'WZ̃ and the moments as (targets × G)
 *   columns in wasm memory, one SIMD dot product with c per target; D₂'WZ̃ as its (cluster,
 *   level) entries in wasm memory, level by level, dotted with the gathered weights;
 * - cluster by cluster, for a few clusters (the small groups of a permutation), in JS arrays.
 *
 * D̃₂'WD̃₂ is summed by pattern: clusters whose contribution R_g is the same (firms present in the
 * same years, unweighted) share one entry list, so R = Σ_p (Σ_{g∈p} c_g) R_p costs a pass over
 * the clusters plus the distinct patterns' entries.
 */
interface ClusterSums {
  readonly width: number;
  readonly clusters: number;
  readonly nested: string | null;
  /** L: levels of the fixed effects not nested in the clusters. */
  readonly levels: number;
  /** width·(width+1)/2. */
  readonly triangle: number;
  /** Rows per cluster. */
  readonly rows: Int32Array;
  /** Wasm pointer: (triangle + moments) columns of G values — Σ_{i∈g} ω z̃_a z̃_b (upper triangle), then Σ ω, Σ ω z, Σ ω z². */
  readonly dense: number;
  /** Wasm pointers: scratch for the G cluster weights, the gathered entry weights and the results. */
  readonly cBuf: number;
  readonly wBuf: number;
  readonly out: number;
  /** Wasm pointer: D₂'WZ̃ entries level by level; level l's block is `width` columns of its qStart[l+1] − qStart[l] entries. */
  readonly qBlock: number;
  readonly qStart: Int32Array;
  /** Cluster of each entry, in level order. */
  readonly qCluster: Int32Array;
  /** JS, cluster by cluster: the triangle and moments (g·targets + t), and the (level, Σ ω z̃) entries (qcVal: k·width + a). */
  readonly byCluster: Float64Array;
  readonly qcStart: Int32Array;
  readonly qcLevel: Int32Array;
  readonly qcVal: Float64Array;
  /** Pattern of each cluster's R_g, and each pattern's (index la·L + lb, value) entries. */
  readonly pattern: Int32Array;
  readonly pStart: Int32Array;
  readonly pIdx: Int32Array;
  readonly pVal: Float64Array;
}

/** The sums that make one Gram matrix, linear in the cluster weights. */
interface Pieces {
  rows: number;
  /** Upper triangle of Z̃'WZ̃ (width·(width+1)/2), then Σ w, Σ w z, Σ w z² of the raw columns. */
  readonly dense: Float64Array;
  /** D₂'WZ̃, a·L + l. */
  readonly Q: Float64Array;
  /** D̃₂'WD̃₂, upper triangle at la·L + lb. */
  readonly R: Float64Array;
}

/** Refuse when the sparse pieces would hold more entries than this (memory): use Refitter then. */
const MAX_ENTRIES = 40_000_000;
/** In a partition, a group with fewer clusters than this share is summed cluster by cluster. */
const SPARSE_SHARE = 0.08;

export class ClusterGram {
  /** Refuse when the fixed effects not nested in the clusters have more levels than this (a dense L×L solve). */
  static readonly MAX_LEVELS = 2000;

  private total: Pieces | undefined;

  private constructor(
    private readonly sums: ClusterSums,
    private readonly k: Kernels,
    private readonly arena: Arena,
  ) {}

  get width(): number {
    return this.sums.width;
  }

  get clusters(): number {
    return this.sums.clusters;
  }

  /** The nested fixed effect demeaned once, or null. */
  get nested(): string | null {
    return this.sums.nested;
  }

  /** Distinct R_g patterns (for the record). */
  get patterns(): number {
    return this.sums.pStart.length - 1;
  }

  /**
   * The per-cluster sums of `columns` (values over the base sample's rows), or null when the
   * fixed effects not nested in `cluster` have more than MAX_LEVELS levels or the sums would be
   * too large (use Refitter then). Part of the sums lives in the shared wasm arena: the caller
   * marks the arena before and releases it when done with this object.
   */
  static build(
    arena: Arena,
    columns: readonly Float64Array[],
    effects: readonly EncodedEffect[],
    cluster: EncodedEffect,
    weights: Float64Array | null,
  ): ClusterGram | null {
    const d = columns.length;
    const G = cluster.size;
    const split = splitEffects(effects, cluster);
    if (split.levels > ClusterGram.MAX_LEVELS) return null;
    const { tilde, omega } = demeanNested(columns, split.nested, weights, cluster.codes.length);
    // Rows by cluster and, within a cluster, by nested level (a stable sort by cluster of rows sorted by nested level).
    const byNested = split.nested ? countingSort(split.nested.codes, split.nested.size).order : null;
    const { start, order } = countingSort(cluster.codes, G, byNested);
    const sums = new SumsBuilder(columns, tilde, omega, split, weights, G);
    for (let g = 0; g < G; g++) {
      sums.addCluster(g, order.subarray(start[g], start[g + 1]));
      if (sums.entries > MAX_ENTRIES) return null;
    }
    const L = split.levels;
    const T = (d * (d + 1)) / 2;
    const S = T + 1 + 2 * d;
    // The dense layout: target-major columns of G values.
    const dense = new Float64Array(S * G);
    for (let g = 0; g < G; g++) for (let t = 0; t < S; t++) dense[t * G + g] = sums.byCluster[g * S + t];
    const qs = sums.q.byLevelBlocks(L);
    const { kernels } = sharedEngine();
    const laid: ClusterSums = {
      width: d,
      clusters: G,
      nested: split.nested ? split.nested.name : null,
      levels: L,
      triangle: T,
      rows: sums.rows,
      dense: arena.putF64(dense, "per-cluster sums"),
      cBuf: arena.allocF64(G, "cluster weights"),
      wBuf: arena.allocF64(Math.max(1, qs.cluster.length), "entry weights"),
      out: arena.allocF64(S + d * L),
      qBlock: arena.putF64(qs.values, "per-cluster level sums"),
      qStart: qs.start,
      qCluster: qs.cluster,
      byCluster: sums.byCluster,
      qcStart: sums.qcStart,
      qcLevel: sums.q.targets(),
      qcVal: sums.q.flatValues(),
      pattern: sums.pattern,
      pStart: Int32Array.from(sums.pStart),
      pIdx: Int32Array.from(sums.pIdx),
      pVal: Float64Array.from(sums.pVal),
    };
    return new ClusterGram(laid, kernels, arena);
  }

  /** The Gram matrix of the demeaned columns with cluster g's rows weighted by c[g] (0 leaves them out). */
  gram(c: ArrayLike<number>): Gram {
    return this.finish(this.pieces(c));
  }

  /**
   * One Gram matrix per group of a partition of the clusters (labels[g] in 0..groups−1): the
   * permutation test's split samples. The sums of every group but the largest are taken over its
   * own clusters (cluster by cluster when the group is small); the largest group's are the whole
   * sample's (computed once) minus the others'.
   */
  gramsOfPartition(labels: Int32Array, groups: number): Gram[] {
    const G = this.sums.clusters;
    const sizes = new Int32Array(groups);
    for (let g = 0; g < G; g++) sizes[labels[g]]++;
    let largest = 0;
    for (let k = 1; k < groups; k++) if (sizes[k] > sizes[largest]) largest = k;
    this.total ??= this.pieces(new Float64Array(G).fill(1));
    const parts: (Pieces | null)[] = [];
    for (let k = 0; k < groups; k++) {
      if (k === largest) parts.push(null);
      else if (sizes[k] < SPARSE_SHARE * G) {
        const list = new Int32Array(sizes[k]);
        let m = 0;
        for (let g = 0; g < G; g++) if (labels[g] === k) list[m++] = g;
        parts.push(this.piecesOf(list));
      } else {
        const c = new Float64Array(G);
        for (let g = 0; g < G; g++) if (labels[g] === k) c[g] = 1;
        parts.push(this.pieces(c));
      }
    }
    const total = this.total;
    const rest: Pieces = { rows: total.rows, dense: total.dense.slice(), Q: total.Q.slice(), R: total.R.slice() };
    for (const part of parts) {
      if (!part) continue;
      rest.rows -= part.rows;
      subtract(rest.dense, part.dense);
      subtract(rest.Q, part.Q);
      subtract(rest.R, part.R);
    }
    return parts.map((part) => this.finish(part ?? rest));
  }

  /** The sums for cluster weights c: SIMD dot products over the clusters (wasm) and a gather per entry. */
  private pieces(c: ArrayLike<number>): Pieces {
    const { k, arena } = this;
    const { width: d, levels: L, clusters: G, triangle: T, rows: rowsPer, dense, cBuf, wBuf, out, qBlock, qStart, qCluster } = this.sums;
    const S = T + 1 + 2 * d;
    const cv = arena.f64(cBuf, G);
    cv.set(c);
    let rows = 0;
    for (let g = 0; g < G; g++) if (cv[g] !== 0) rows += rowsPer[g];
    k.crossprod_vec(G, S, dense, cBuf, 0, out);
    const Q = new Float64Array(d * L);
    if (L > 0) {
      const nq = qCluster.length;
      const wv = arena.f64(wBuf, nq);
      for (let e = 0; e < nq; e++) wv[e] = cv[qCluster[e]];
      for (let l = 0; l < L; l++) {
        const len = qStart[l + 1] - qStart[l];
        if (len > 0) k.crossprod_vec(len, d, qBlock + qStart[l] * d * 8, wBuf + qStart[l] * 8, 0, out + (S + l * d) * 8);
      }
      const ov = arena.f64(out + S * 8, d * L);
      for (let l = 0; l < L; l++) for (let a = 0; a < d; a++) Q[a * L + l] = qStart[l + 1] > qStart[l] ? ov[l * d + a] : 0;
    }
    return { rows, dense: arena.f64(out, S).slice(), Q, R: this.patternSums(cv) };
  }

  /** The sums over the listed clusters, each with weight 1 (cluster by cluster, in JS). */
  private piecesOf(list: Int32Array): Pieces {
    const { width: d, levels: L, clusters: G, triangle: T, rows: rowsPer, byCluster, qcStart, qcLevel, qcVal } = this.sums;
    const S = T + 1 + 2 * d;
    const dense = new Float64Array(S);
    const Q = new Float64Array(d * L);
    const c = new Float64Array(G);
    let rows = 0;
    for (let p = 0; p < list.length; p++) {
      const g = list[p];
      c[g] = 1;
      rows += rowsPer[g];
      const base = g * S;
      for (let t = 0; t < S; t++) dense[t] += byCluster[base + t];
      for (let e = qcStart[g]; e < qcStart[g + 1]; e++) {
        const l = qcLevel[e];
        for (let a = 0; a < d; a++) Q[a * L + l] += qcVal[e * d + a];
      }
    }
    return { rows, dense, Q, R: this.patternSums(c) };
  }

  /** D̃₂'WD̃₂ = Σ_p (Σ_{g∈p} c_g) R_p (upper triangle). */
  private patternSums(c: Float64Array): Float64Array {
    const { levels: L, clusters: G, pattern, pStart, pIdx, pVal } = this.sums;
    const R = new Float64Array(L * L);
    if (L === 0) return R;
    const P = pStart.length - 1;
    const weight = new Float64Array(P);
    for (let g = 0; g < G; g++) weight[pattern[g]] += c[g];
    for (let p = 0; p < P; p++) {
      const v = weight[p];
      if (v === 0) continue;
      for (let e = pStart[p]; e < pStart[p + 1]; e++) R[pIdx[e]] += v * pVal[e];
    }
    return R;
  }

  /** Z̃'WZ̃ − Q'R⁺Q and the raw spreads, from the sums. */
  private finish(p: Pieces): Gram {
    const { width: d, levels: L, triangle: T } = this.sums;
    const matrix = new Float64Array(d * d);
    let t = 0;
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        matrix[a * d + b] = p.dense[t];
        matrix[b * d + a] = p.dense[t++];
      }
    }
    if (L > 0) {
      const R = p.R.slice();
      for (let la = 0; la < L; la++) for (let lb = 0; lb < la; lb++) R[la * L + lb] = R[lb * L + la];
      const factor = choleskyDropping(R, L, 1e-9);
      const solved = Array.from({ length: d }, (_, a) => solveFactor(factor, p.Q.subarray(a * L, (a + 1) * L)));
      for (let a = 0; a < d; a++) {
        for (let b = a; b < d; b++) {
          let v = 0;
          for (let l = 0; l < L; l++) v += p.Q[a * L + l] * solved[b][l];
          matrix[a * d + b] -= v;
          if (b !== a) matrix[b * d + a] -= v;
        }
      }
    }
    const raw = new Float64Array(d);
    const mom = p.dense.subarray(T);
    for (let a = 0; a < d; a++) raw[a] = mom[1 + d + a] - (mom[1 + a] * mom[1 + a]) / mom[0];
    return { n: p.rows, matrix, raw };
  }
}

function subtract(a: Float64Array, b: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] -= b[i];
}
