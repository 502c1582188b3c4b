import type { EncodedEffect } from "../fit/sample.js";
import { nestedIn } from "../vcov/spec.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import type { Gram } from "./refit.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { sharedEngine } from "../engine/shared.js";

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
    const n = cluster.codes.length;
    const G = cluster.size;
    const nestedFe = effects.filter((fe) => nestedIn(fe, cluster)).sort((a, b) => b.size - a.size)[0] ?? null;
    const others = effects.filter((fe) => fe !== nestedFe);
    const offsets: number[] = [];
    let L = 0;
    for (const fe of others) {
      offsets.push(L);
      L += fe.size;
    }
    if (L > ClusterGram.MAX_LEVELS) return null;
    const m = others.length;
    const w = weights;
    const cl = cluster.codes;

    // z̃: demeaned by the nested fixed effect (weighted means), once.
    let tilde: readonly Float64Array[] = columns;
    let omega = new Float64Array(0);
    if (nestedFe) {
      const F = nestedFe.size;
      const codes = nestedFe.codes;
      omega = new Float64Array(F);
      for (let i = 0; i < n; i++) omega[codes[i]] += w ? w[i] : 1;
      tilde = columns.map((z) => {
        const means = new Float64Array(F);
        for (let i = 0; i < n; i++) means[codes[i]] += (w ? w[i] : 1) * z[i];
        for (let f = 0; f < F; f++) means[f] /= omega[f];
        const out = new Float64Array(n);
        for (let i = 0; i < n; i++) out[i] = z[i] - means[codes[i]];
        return out;
      });
    }

    // Rows by cluster and, within a cluster, by nested level (a stable sort by cluster of rows sorted by nested level).
    const byNested = nestedFe ? countingSort(nestedFe.codes, nestedFe.size).order : null;
    const { start, order } = countingSort(cl, G, byNested);
    const T = (d * (d + 1)) / 2;
    const M = 1 + 2 * d;
    const S = T + M;
    const byCluster = new Float64Array(S * G);
    const rows = new Int32Array(G);
    const q = new Entries(d);
    const qcStart = new Int32Array(G + 1);
    const qAcc = new Float64Array(L * d);
    const qSeen = new Uint8Array(L);
    const qTouched: number[] = [];
    const rAcc = new Float64Array(L * L);
    const rSeen = new Uint8Array(L * L);
    const rTouched: number[] = [];
    const s = new Float64Array(L);
    const sSeen = new Uint8Array(L);
    const sTouched: number[] = [];
    const lev = new Int32Array(m);
    const pattern = new Int32Array(G);
    const patternIndex = new Map<string, number>();
    const pStart: number[] = [0];
    const pIdx: number[] = [];
    const pVal: number[] = [];
    const addR = (idx: number, v: number) => {
      if (!rSeen[idx]) {
        rSeen[idx] = 1;
        rTouched.push(idx);
      }
      rAcc[idx] += v;
    };
    let fOmega = 0;
    const closeNested = () => {
      // − s_f s_f' / Ω_f over the levels the nested level touched.
      for (const la of sTouched) {
        for (const lb of sTouched) if (lb >= la) addR(la * L + lb, (-s[la] * s[lb]) / fOmega);
      }
      for (const l of sTouched) {
        s[l] = 0;
        sSeen[l] = 0;
      }
      sTouched.length = 0;
    };
    for (let g = 0; g < G; g++) {
      const base = g * S;
      let currentNested = -1;
      for (let p = start[g]; p < start[g + 1]; p++) {
        const i = order[p];
        const wi = w ? w[i] : 1;
        let t = base;
        for (let a = 0; a < d; a++) {
          const za = wi * tilde[a][i];
          for (let b = a; b < d; b++) byCluster[t++] += za * tilde[b][i];
        }
        byCluster[base + T] += wi;
        for (let a = 0; a < d; a++) {
          const z = columns[a][i];
          byCluster[base + T + 1 + a] += wi * z;
          byCluster[base + T + 1 + d + a] += wi * z * z;
        }
        if (m === 0) continue;
        if (nestedFe && nestedFe.codes[i] !== currentNested) {
          if (currentNested >= 0) closeNested();
          currentNested = nestedFe.codes[i];
          fOmega = omega[currentNested];
        }
        for (let j = 0; j < m; j++) {
          const l = offsets[j] + others[j].codes[i];
          lev[j] = l;
          if (!qSeen[l]) {
            qSeen[l] = 1;
            qTouched.push(l);
          }
          for (let a = 0; a < d; a++) qAcc[l * d + a] += wi * tilde[a][i];
          if (nestedFe) {
            if (!sSeen[l]) {
              sSeen[l] = 1;
              sTouched.push(l);
            }
            s[l] += wi;
          }
        }
        for (let j = 0; j < m; j++) {
          for (let k = j; k < m; k++) addR(Math.min(lev[j], lev[k]) * L + Math.max(lev[j], lev[k]), wi);
        }
      }
      if (currentNested >= 0) closeNested();
      rows[g] = start[g + 1] - start[g];
      for (const l of qTouched) {
        q.push(l, g, qAcc, l * d);
        qAcc.fill(0, l * d, l * d + d);
        qSeen[l] = 0;
      }
      qTouched.length = 0;
      qcStart[g + 1] = q.length;
      // This cluster's R_g, in a canonical order, shared with every cluster that has the same one.
      rTouched.sort((a, b) => a - b);
      let key = "";
      for (const idx of rTouched) key += `${idx}:${rAcc[idx]};`;
      let pat = patternIndex.get(key);
      if (pat === undefined) {
        pat = patternIndex.size;
        patternIndex.set(key, pat);
        for (const idx of rTouched) {
          pIdx.push(idx);
          pVal.push(rAcc[idx]);
        }
        pStart.push(pIdx.length);
      }
      pattern[g] = pat;
      for (const idx of rTouched) {
        rAcc[idx] = 0;
        rSeen[idx] = 0;
      }
      rTouched.length = 0;
      if (q.length + pIdx.length > MAX_ENTRIES) return null;
    }
    // The dense layout: target-major columns of G values.
    const dense = new Float64Array(S * G);
    for (let g = 0; g < G; g++) for (let t = 0; t < S; t++) dense[t * G + g] = byCluster[g * S + t];
    const qs = q.byLevelBlocks(L);
    const { kernels } = sharedEngine();
    const sums: ClusterSums = {
      width: d,
      clusters: G,
      nested: nestedFe ? nestedFe.name : null,
      levels: L,
      triangle: T,
      rows,
      dense: arena.putF64(dense, "per-cluster sums"),
      cBuf: arena.allocF64(G, "cluster weights"),
      wBuf: arena.allocF64(Math.max(1, qs.cluster.length), "entry weights"),
      out: arena.allocF64(S + d * L),
      qBlock: arena.putF64(qs.values, "per-cluster level sums"),
      qStart: qs.start,
      qCluster: qs.cluster,
      byCluster,
      qcStart,
      qcLevel: q.targets(),
      qcVal: q.flatValues(),
      pattern,
      pStart: Int32Array.from(pStart),
      pIdx: Int32Array.from(pIdx),
      pVal: Float64Array.from(pVal),
    };
    return new ClusterGram(sums, kernels, arena);
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

/** A growing list of (target, cluster, values[width]) entries. */
class Entries {
  private target = new Int32Array(1024);
  private clusterOf = new Int32Array(1024);
  private values: Float64Array;
  length = 0;

  constructor(private readonly width: number) {
    this.values = new Float64Array(1024 * width);
  }

  push(target: number, cluster: number, src: Float64Array, at: number): void {
    if (this.length === this.target.length) {
      const cap = this.length * 2;
      const t = new Int32Array(cap);
      t.set(this.target);
      this.target = t;
      const c = new Int32Array(cap);
      c.set(this.clusterOf);
      this.clusterOf = c;
      const v = new Float64Array(cap * this.width);
      v.set(this.values);
      this.values = v;
    }
    const k = this.length++;
    this.target[k] = target;
    this.clusterOf[k] = cluster;
    for (let a = 0; a < this.width; a++) this.values[k * this.width + a] = src[at + a];
  }

  /** The targets in push order. */
  targets(): Int32Array {
    return this.target.slice(0, this.length);
  }

  /** The values in push order (k·width + a). */
  flatValues(): Float64Array {
    return this.values.slice(0, this.length * this.width);
  }

  /**
   * Entries grouped by target (clusters ascending within a target), values in blocks: target
   * t's block starts at start[t]·width and holds `width` columns of its start[t+1] − start[t] values.
   */
  byLevelBlocks(targets: number): { start: Int32Array; cluster: Int32Array; values: Float64Array } {
    const count = this.length;
    const w = this.width;
    const { start, order } = countingSort(this.target.subarray(0, count), targets);
    const cluster = new Int32Array(count);
    const values = new Float64Array(count * w);
    for (let t = 0; t < targets; t++) {
      const lo = start[t];
      const len = start[t + 1] - lo;
      for (let p = lo; p < lo + len; p++) {
        const k = order[p];
        cluster[p] = this.clusterOf[k];
        for (let a = 0; a < w; a++) values[lo * w + a * len + (p - lo)] = this.values[k * w + a];
      }
    }
    return { start, cluster, values };
  }
}

/**
 * Rows grouped by code: order lists the rows of code 0, then code 1, …; start has size + 1
 * entries. With `within` (a permutation of the rows), rows of one code keep that order.
 */
export function countingSort(codes: Int32Array, size: number, within: Int32Array | null = null): { start: Int32Array; order: Int32Array } {
  const n = codes.length;
  const start = new Int32Array(size + 1);
  for (let i = 0; i < n; i++) start[codes[i] + 1]++;
  for (let g = 0; g < size; g++) start[g + 1] += start[g];
  const cursor = start.slice(0, size);
  const order = new Int32Array(n);
  for (let p = 0; p < n; p++) {
    const i = within ? within[p] : p;
    order[cursor[codes[i]]++] = i;
  }
  return { start, order };
}
