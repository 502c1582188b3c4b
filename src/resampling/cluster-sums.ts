/**
 * The per-cluster sums a ClusterGram is made of (cluster-gram.ts's module comment gives the
 * algebra), built in one pass over the rows in cluster order: the fixed effects split into the
 * one nested in the clusters (D₁, demeaned once) and the others (D₂), then per cluster the
 * triangle of Z̃'WZ̃ and the raw moments, the entries of D₂'WZ̃ and the cluster's R_g.
 */
import type { EncodedEffect } from "../data/encode.js";
import { nestedIn } from "../vcov/spec.js";

/** The fixed effects as the module comment splits them: D₁ nested in the clusters, D₂ the others. */
export interface EffectSplit {
  /** The largest fixed effect nested in the clusters, or null. */
  readonly nested: EncodedEffect | null;
  /** D₂, with the offsets of their levels among the L levels. */
  readonly others: readonly EncodedEffect[];
  readonly offsets: readonly number[];
  /** L. */
  readonly levels: number;
}

export function splitEffects(effects: readonly EncodedEffect[], cluster: EncodedEffect): EffectSplit {
  const nested = effects.filter((fe) => nestedIn(fe, cluster)).sort((a, b) => b.size - a.size)[0] ?? null;
  const others = effects.filter((fe) => fe !== nested);
  const offsets: number[] = [];
  let levels = 0;
  for (const fe of others) {
    offsets.push(levels);
    levels += fe.size;
  }
  return { nested, others, offsets, levels };
}

/** z̃: the columns demeaned by the nested fixed effect (weighted means), once; and Ω_f, its levels' weights. */
export function demeanNested(columns: readonly Float64Array[], nested: EncodedEffect | null, w: Float64Array | null, n: number): { tilde: readonly Float64Array[]; omega: Float64Array } {
  if (!nested) return { tilde: columns, omega: new Float64Array(0) };
  const F = nested.size;
  const codes = nested.codes;
  const omega = new Float64Array(F);
  for (let i = 0; i < n; i++) omega[codes[i]] += w ? w[i] : 1;
  const tilde = columns.map((z) => {
    const means = new Float64Array(F);
    for (let i = 0; i < n; i++) means[codes[i]] += (w ? w[i] : 1) * z[i];
    for (let f = 0; f < F; f++) means[f] /= omega[f];
    const out = new Float64Array(n);
    for (let i = 0; i < n; i++) out[i] = z[i] - means[codes[i]];
    return out;
  });
  return { tilde, omega };
}

/**
 * The per-cluster sums of ClusterSums, one cluster at a time in cluster order: the triangle and
 * moments per cluster, D₂'WZ̃'s entries per (level, cluster), and each cluster's R_g, shared with
 * every cluster that has the same one (its pattern).
 */
export class SumsBuilder {
  /** Per cluster, (triangle + moments) values. */
  readonly byCluster: Float64Array;
  readonly rows: Int32Array;
  readonly q: Entries;
  readonly qcStart: Int32Array;
  readonly pattern: Int32Array;
  readonly pStart: number[] = [0];
  readonly pIdx: number[] = [];
  readonly pVal: number[] = [];
  private readonly d: number;
  private readonly L: number;
  private readonly T: number;
  private readonly S: number;
  private readonly qAcc: Float64Array;
  private readonly qSeen: Uint8Array;
  private readonly qTouched: number[] = [];
  private readonly rAcc: Float64Array;
  private readonly rSeen: Uint8Array;
  private readonly rTouched: number[] = [];
  private readonly s: Float64Array;
  private readonly sSeen: Uint8Array;
  private readonly sTouched: number[] = [];
  private readonly lev: Int32Array;
  private readonly patternIndex = new Map<string, number>();
  /** Ω_f of the nested level whose rows are being summed. */
  private fOmega = 0;

  constructor(
    private readonly columns: readonly Float64Array[],
    private readonly tilde: readonly Float64Array[],
    private readonly omega: Float64Array,
    private readonly split: EffectSplit,
    private readonly w: Float64Array | null,
    G: number,
  ) {
    const d = columns.length;
    const L = split.levels;
    this.d = d;
    this.L = L;
    this.T = (d * (d + 1)) / 2;
    this.S = this.T + 1 + 2 * d;
    this.byCluster = new Float64Array(this.S * G);
    this.rows = new Int32Array(G);
    this.q = new Entries(d);
    this.qcStart = new Int32Array(G + 1);
    this.qAcc = new Float64Array(L * d);
    this.qSeen = new Uint8Array(L);
    this.rAcc = new Float64Array(L * L);
    this.rSeen = new Uint8Array(L * L);
    this.s = new Float64Array(L);
    this.sSeen = new Uint8Array(L);
    this.lev = new Int32Array(split.others.length);
    this.pattern = new Int32Array(G);
  }

  /** Entries held so far (D₂'WZ̃ and the patterns'): the memory the sums take. */
  get entries(): number {
    return this.q.length + this.pIdx.length;
  }

  /** Cluster g's rows (sorted by nested level within the cluster). */
  addCluster(g: number, rowsOf: Int32Array): void {
    const { d, T, columns, tilde, w, byCluster } = this;
    const { nested, others, offsets } = this.split;
    const m = others.length;
    const base = g * this.S;
    let currentNested = -1;
    for (let p = 0; p < rowsOf.length; p++) {
      const i = rowsOf[p];
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
      if (nested && nested.codes[i] !== currentNested) {
        if (currentNested >= 0) this.closeNested();
        currentNested = nested.codes[i];
        this.fOmega = this.omega[currentNested];
      }
      const lev = this.lev;
      for (let j = 0; j < m; j++) {
        const l = offsets[j] + others[j].codes[i];
        lev[j] = l;
        if (!this.qSeen[l]) {
          this.qSeen[l] = 1;
          this.qTouched.push(l);
        }
        for (let a = 0; a < d; a++) this.qAcc[l * d + a] += wi * tilde[a][i];
        if (nested) {
          if (!this.sSeen[l]) {
            this.sSeen[l] = 1;
            this.sTouched.push(l);
          }
          this.s[l] += wi;
        }
      }
      for (let j = 0; j < m; j++) {
        for (let k = j; k < m; k++) this.addR(Math.min(lev[j], lev[k]) * this.L + Math.max(lev[j], lev[k]), wi);
      }
    }
    if (currentNested >= 0) this.closeNested();
    this.rows[g] = rowsOf.length;
    this.closeLevels(g);
    this.closePattern(g);
  }

  private addR(idx: number, v: number): void {
    if (!this.rSeen[idx]) {
      this.rSeen[idx] = 1;
      this.rTouched.push(idx);
    }
    this.rAcc[idx] += v;
  }

  /** − s_f s_f' / Ω_f over the levels the nested level touched. */
  private closeNested(): void {
    const { s, sTouched, L } = this;
    for (const la of sTouched) {
      for (const lb of sTouched) if (lb >= la) this.addR(la * L + lb, (-s[la] * s[lb]) / this.fOmega);
    }
    for (const l of sTouched) {
      s[l] = 0;
      this.sSeen[l] = 0;
    }
    sTouched.length = 0;
  }

  /** Cluster g's D₂'WZ̃ entries, one per level it touched. */
  private closeLevels(g: number): void {
    const { d, qAcc } = this;
    for (const l of this.qTouched) {
      this.q.push(l, g, qAcc, l * d);
      qAcc.fill(0, l * d, l * d + d);
      this.qSeen[l] = 0;
    }
    this.qTouched.length = 0;
    this.qcStart[g + 1] = this.q.length;
  }

  /** Cluster g's R_g, in a canonical order, shared with every cluster that has the same one. */
  private closePattern(g: number): void {
    const { rAcc, rTouched } = this;
    rTouched.sort((a, b) => a - b);
    let key = "";
    for (const idx of rTouched) key += `${idx}:${rAcc[idx]};`;
    let pat = this.patternIndex.get(key);
    if (pat === undefined) {
      pat = this.patternIndex.size;
      this.patternIndex.set(key, pat);
      for (const idx of rTouched) {
        this.pIdx.push(idx);
        this.pVal.push(rAcc[idx]);
      }
      this.pStart.push(this.pIdx.length);
    }
    this.pattern[g] = pat;
    for (const idx of rTouched) {
      rAcc[idx] = 0;
      this.rSeen[idx] = 0;
    }
    rTouched.length = 0;
  }
}

/** A growing list of (target, cluster, values[width]) entries. */
export class Entries {
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
