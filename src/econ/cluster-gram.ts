import type { EncodedEffect } from "../estimators/sample.js";
import { nestedIn } from "../estimators/vcov-spec.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import type { Gram } from "./refit.js";

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
 * The per-cluster sums a ClusterGram is made of. Every piece of the Gram matrix is a set of
 * targets, each the sum over clusters of c_g times a stored value; the values are laid out per
 * target so that a replication is a run of dot products (dense over clusters for Z̃'WZ̃ and the
 * moments, over the clusters that touch a level for the sparse pieces).
 */
interface ClusterSums {
  readonly width: number;
  readonly clusters: number;
  readonly nested: string | null;
  /** L: levels of the fixed effects not nested in the clusters. */
  readonly levels: number;
  /** Rows per cluster. */
  readonly rows: Int32Array;
  /** width·(width+1)/2 targets × G clusters: the upper triangle of Σ_{i∈g} ω z̃ z̃'. */
  readonly cross: Float64Array;
  /** (1 + 2·width) targets × G: Σ ω, Σ ω z, Σ ω z² of the raw columns. */
  readonly moments: Float64Array;
  /** D₂'WZ̃ entries by level: qStart[l]..qStart[l+1] are (cluster qCluster[k], values qVal[a·nq + k]). */
  readonly qStart: Int32Array;
  readonly qCluster: Int32Array;
  readonly qVal: Float64Array;
  /** D̃₂'WD̃₂ entries by target la·L + lb (la ≤ lb): (cluster rCluster[k], value rVal[k]). */
  readonly rStart: Int32Array;
  readonly rCluster: Int32Array;
  readonly rVal: Float64Array;
}

/** Refuse when the sparse pieces would hold more entries than this (memory): use Refitter then. */
const MAX_ENTRIES = 40_000_000;

export class ClusterGram {
  /** Refuse when the fixed effects not nested in the clusters have more levels than this (a dense L×L solve). */
  static readonly MAX_LEVELS = 2000;

  private constructor(private readonly s: ClusterSums) {}

  get width(): number {
    return this.s.width;
  }

  get clusters(): number {
    return this.s.clusters;
  }

  /** The nested fixed effect demeaned once, or null. */
  get nested(): string | null {
    return this.s.nested;
  }

  /**
   * The per-cluster sums of `columns` (values over the base sample's rows), or null when the
   * fixed effects not nested in `cluster` have more than MAX_LEVELS levels or the sums would be
   * too large (use Refitter then).
   */
  static build(columns: readonly Float64Array[], effects: readonly EncodedEffect[], cluster: EncodedEffect, weights: Float64Array | null): ClusterGram | null {
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
    const cross = new Float64Array(T * G);
    const moments = new Float64Array(M * G);
    const rows = new Int32Array(G);
    const q = new Entries(d);
    const r = new Entries(1);
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
    const addR = (idx: number, v: number) => {
      if (!rSeen[idx]) {
        rSeen[idx] = 1;
        rTouched.push(idx);
      }
      rAcc[idx] += v;
    };
    const crossAcc = new Float64Array(T);
    const momAcc = new Float64Array(M);
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
      crossAcc.fill(0);
      momAcc.fill(0);
      let currentNested = -1;
      for (let p = start[g]; p < start[g + 1]; p++) {
        const i = order[p];
        const wi = w ? w[i] : 1;
        let t = 0;
        for (let a = 0; a < d; a++) {
          const za = wi * tilde[a][i];
          for (let b = a; b < d; b++) crossAcc[t++] += za * tilde[b][i];
        }
        momAcc[0] += wi;
        for (let a = 0; a < d; a++) {
          const z = columns[a][i];
          momAcc[1 + a] += wi * z;
          momAcc[1 + d + a] += wi * z * z;
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
      for (let t = 0; t < T; t++) cross[t * G + g] = crossAcc[t];
      for (let t = 0; t < M; t++) moments[t * G + g] = momAcc[t];
      for (const l of qTouched) {
        q.push(l, g, qAcc, l * d);
        qAcc.fill(0, l * d, l * d + d);
        qSeen[l] = 0;
      }
      qTouched.length = 0;
      for (const idx of rTouched) {
        r.push(idx, g, rAcc, idx);
        rAcc[idx] = 0;
        rSeen[idx] = 0;
      }
      rTouched.length = 0;
      if (q.length + r.length > MAX_ENTRIES) return null;
    }
    const qs = q.byTarget(L);
    const rs = r.byTarget(L * L);
    return new ClusterGram({
      width: d,
      clusters: G,
      nested: nestedFe ? nestedFe.name : null,
      levels: L,
      rows,
      cross,
      moments,
      qStart: qs.start,
      qCluster: qs.cluster,
      qVal: qs.values,
      rStart: rs.start,
      rCluster: rs.cluster,
      rVal: rs.values,
    });
  }

  /** The Gram matrix of the demeaned columns with cluster g's rows weighted by c[g] (0 leaves them out). */
  gram(c: ArrayLike<number>): Gram {
    const { width: d, levels: L, clusters: G, cross, moments, rows: rowsPer, qStart, qCluster, qVal, rStart, rCluster, rVal } = this.s;
    const cf = c instanceof Float64Array ? c : Float64Array.from(c);
    let rows = 0;
    for (let g = 0; g < G; g++) if (cf[g] !== 0) rows += rowsPer[g];
    const matrix = new Float64Array(d * d);
    let t = 0;
    for (let a = 0; a < d; a++) {
      for (let b = a; b < d; b++) {
        const v = dotRange(cf, 0, cross, t++ * G, G);
        matrix[a * d + b] = v;
        matrix[b * d + a] = v;
      }
    }
    const mom = new Float64Array(1 + 2 * d);
    for (let k = 0; k < mom.length; k++) mom[k] = dotRange(cf, 0, moments, k * G, G);
    if (L > 0) {
      const nq = qCluster.length;
      const wq = new Float64Array(nq);
      for (let k = 0; k < nq; k++) wq[k] = cf[qCluster[k]];
      const Q = new Float64Array(d * L);
      for (let l = 0; l < L; l++) {
        const lo = qStart[l];
        const len = qStart[l + 1] - lo;
        for (let a = 0; a < d; a++) Q[a * L + l] = dotRange(wq, lo, qVal, a * nq + lo, len);
      }
      const R = new Float64Array(L * L);
      for (let la = 0; la < L; la++) {
        for (let lb = la; lb < L; lb++) {
          const idx = la * L + lb;
          let s0 = 0;
          let s1 = 0;
          let k = rStart[idx];
          const end = rStart[idx + 1];
          for (; k + 1 < end; k += 2) {
            s0 += cf[rCluster[k]] * rVal[k];
            s1 += cf[rCluster[k + 1]] * rVal[k + 1];
          }
          if (k < end) s0 += cf[rCluster[k]] * rVal[k];
          R[idx] = s0 + s1;
          R[lb * L + la] = s0 + s1;
        }
      }
      const factor = choleskyDropping(R, L, 1e-9);
      const solved = Array.from({ length: d }, (_, a) => solveFactor(factor, Q.subarray(a * L, (a + 1) * L)));
      for (let a = 0; a < d; a++) {
        for (let b = a; b < d; b++) {
          const v = dotRange(Q, a * L, solved[b], 0, L);
          matrix[a * d + b] -= v;
          if (b !== a) matrix[b * d + a] -= v;
        }
      }
    }
    const raw = new Float64Array(d);
    for (let a = 0; a < d; a++) raw[a] = mom[1 + d + a] - (mom[1 + a] * mom[1 + a]) / mom[0];
    return { n: rows, matrix, raw };
  }
}

/** Σ x[xo + k] · y[yo + k], k < len, with four accumulators. */
function dotRange(x: Float64Array, xo: number, y: Float64Array, yo: number, len: number): number {
  let s0 = 0;
  let s1 = 0;
  let s2 = 0;
  let s3 = 0;
  let k = 0;
  for (; k + 3 < len; k += 4) {
    s0 += x[xo + k] * y[yo + k];
    s1 += x[xo + k + 1] * y[yo + k + 1];
    s2 += x[xo + k + 2] * y[yo + k + 2];
    s3 += x[xo + k + 3] * y[yo + k + 3];
  }
  for (; k < len; k++) s0 += x[xo + k] * y[yo + k];
  return s0 + s1 + (s2 + s3);
}

/** A growing list of (target, cluster, values[width]) entries, regrouped by target at the end. */
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

  /** Entries grouped by target (clusters ascending within a target); values column-major (a·count + k). */
  byTarget(targets: number): { start: Int32Array; cluster: Int32Array; values: Float64Array } {
    const count = this.length;
    const { start, order } = countingSort(this.target.subarray(0, count), targets);
    const cluster = new Int32Array(count);
    const values = new Float64Array(count * this.width);
    for (let p = 0; p < count; p++) {
      const k = order[p];
      cluster[p] = this.clusterOf[k];
      for (let a = 0; a < this.width; a++) values[a * count + p] = this.values[k * this.width + a];
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
