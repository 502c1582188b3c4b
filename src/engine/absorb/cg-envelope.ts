import { MAX_DENSE_ENTRIES, type SchurUpper } from "./cg-schur.js";

/**
 * cg's preconditioner layout: an elimination order of the small effects' levels and the
 * envelope (profile) of A's Cholesky factor in that order, cut to a band when it would exceed
 * its budgets (cg.ts).
 */

/**
 * Budgets of the envelope factor: its entries (f64) and the factorisation's multiply-adds. The
 * whole envelope (an exact factor: CG then converges in one or two iterations) is kept within
 * `envelope` (default 8n entries, between 2²³ and 2²⁵) and `flops` (default 2000·n, between
 * 5·10⁸ and 4·10⁹: about as much work as a few hundred CG iterations, which is what a rough
 * preconditioner needs on a graph that mixes slowly, e.g. firms on a 2-D map). Past them the
 * graph mixes well (random mobility: the envelope of 10,000 firms needs 10¹¹ flops) and a wide
 * band buys little over the diagonal, so the band is cut to what costs about as much as a few
 * passes over the rows: `roughEnvelope` (default n/4) and `roughFlops` (default 10·n).
 */
export interface CgLimits {
  readonly envelope: number;
  readonly flops: number;
  readonly roughEnvelope?: number;
  readonly roughFlops?: number;
}

/** The budgets for n rows. */
export function defaultLimits(n: number): CgLimits {
  return {
    envelope: Math.min(1 << 25, Math.max(1 << 23, 8 * n)),
    flops: Math.min(4e9, Math.max(5e8, 2000 * n)),
  };
}

/** The envelope in the elimination order: row i holds columns first[i]..i at values[start[i]..start[i + 1]). */
export interface Envelope {
  /** Level at each position of the elimination order. */
  readonly perm: Int32Array;
  readonly first: Int32Array;
  readonly start: Int32Array;
  /** A's entries inside the envelope; those outside the band are added, in magnitude, to both diagonals. */
  readonly values: Float64Array;
  /** Sparse-block band kept; -1 when the whole envelope is kept (the factor is exact). */
  readonly band: number;
  /** How many dense levels (ordered last). */
  readonly dense: number;
}

/** Orders the levels (RCM, dense levels last), lays out the envelope within the budgets and fills it with A. */
export function envelopeOf(levels: number, upper: SchurUpper, n: number, limits: CgLimits): Envelope {
  const graph = symmetricPattern(levels, upper.start, upper.col);
  const { perm, dense } = orderLevels(levels, graph.start, graph.adj);
  const inv = new Int32Array(levels);
  for (let i = 0; i < levels; i++) inv[perm[i]] = i;
  const fc = new Int32Array(levels);
  for (let i = 0; i < levels; i++) {
    let f = i;
    const u = perm[i];
    for (let e = graph.start[u]; e < graph.start[u + 1]; e++) {
      const j = inv[graph.adj[e]];
      if (j < f) f = j;
    }
    fc[i] = f;
  }
  const sparseCount = levels - dense;
  const band = chooseBand(fc, sparseCount, {
    envelope: limits.envelope,
    flops: limits.flops,
    roughEnvelope: Math.min(limits.envelope, limits.roughEnvelope ?? Math.max(1 << 16, n / 4)),
    roughFlops: Math.min(limits.flops, limits.roughFlops ?? Math.max(1e7, 10 * n)),
  });
  const fcw = band < 0 ? fc : fc.map((f, i) => (i < sparseCount ? Math.max(f, i - band) : f));
  const estart = new Int32Array(levels + 1);
  for (let i = 0; i < levels; i++) estart[i + 1] = estart[i] + (i - fcw[i] + 1);
  const env = new Float64Array(estart[levels]);
  const comp = new Float64Array(levels);
  for (let u = 0; u < levels; u++) {
    const iu = inv[u];
    for (let e = upper.start[u]; e < upper.start[u + 1]; e++) {
      const iv = inv[upper.col[e]];
      const i = iu > iv ? iu : iv;
      const j = iu > iv ? iv : iu;
      if (j >= fcw[i]) env[estart[i] + j - fcw[i]] += upper.val[e];
      else {
        const a = Math.abs(upper.val[e]);
        comp[i] += a;
        comp[j] += a;
      }
    }
  }
  return { perm, first: fcw, start: estart, values: env, band, dense };
}

/** Both triangles' off-diagonal pattern (adjacency lists) from the upper triangle's rows. */
function symmetricPattern(levels: number, upStart: Int32Array, upCol: Int32Array): { start: Int32Array; adj: Int32Array } {
  const count = new Int32Array(levels + 1);
  for (let u = 0; u < levels; u++) {
    for (let e = upStart[u]; e < upStart[u + 1]; e++) {
      const v = upCol[e];
      if (v === u) continue;
      count[u + 1]++;
      count[v + 1]++;
    }
  }
  for (let u = 0; u < levels; u++) count[u + 1] += count[u];
  const start = count.slice();
  const cursor = count.subarray(0, levels).slice();
  const adj = new Int32Array(start[levels]);
  for (let u = 0; u < levels; u++) {
    for (let e = upStart[u]; e < upStart[u + 1]; e++) {
      const v = upCol[e];
      if (v === u) continue;
      adj[cursor[u]++] = v;
      adj[cursor[v]++] = u;
    }
  }
  return { start, adj };
}

/**
 * Elimination order of the levels: those with many more neighbours than the average (a year
 * effect linked to every firm) go last; the rest by reverse Cuthill–McKee, component by
 * component from a pseudo-peripheral start, which makes a chain-like graph a narrow band.
 */
export function orderLevels(levels: number, rowPtr: Int32Array, colIdx: Int32Array): { perm: Int32Array; dense: number } {
  const deg = new Int32Array(levels);
  let total = 0;
  for (let u = 0; u < levels; u++) {
    let d = 0;
    for (let e = rowPtr[u]; e < rowPtr[u + 1]; e++) if (colIdx[e] !== u) d++;
    deg[u] = d;
    total += d;
  }
  const threshold = Math.max(64, (10 * total) / Math.max(levels, 1));
  // at most as many dense rows as fit the envelope budget (each is a full row)
  const maxDense = Math.max(0, Math.floor(MAX_DENSE_ENTRIES / Math.max(levels, 1)));
  let denseList: number[] = [];
  for (let u = 0; u < levels; u++) if (deg[u] > threshold) denseList.push(u);
  if (denseList.length > maxDense) denseList = denseList.sort((a, b) => deg[b] - deg[a]).slice(0, maxDense);
  denseList.sort((a, b) => deg[a] - deg[b] || a - b);
  const excluded = new Uint8Array(levels);
  for (const u of denseList) excluded[u] = 1;

  const order = new Int32Array(levels);
  let filled = 0;
  const visited = new Uint8Array(levels);
  const seen = new Int32Array(levels).fill(-1);
  const queue = new Int32Array(levels);
  let stampNext = 0;
  // BFS from root over sparse levels; returns the eccentricity and the last level's nodes.
  const levelsFrom = (root: number): { ecc: number; last: number[] } => {
    const stamp = stampNext++;
    let head = 0;
    let tail = 0;
    queue[tail++] = root;
    seen[root] = stamp;
    let ecc = 0;
    let levelStart = 0;
    let last: number[] = [root];
    while (head < tail) {
      const levelEnd = tail;
      for (; head < levelEnd; head++) {
        const u = queue[head];
        for (let e = rowPtr[u]; e < rowPtr[u + 1]; e++) {
          const v = colIdx[e];
          if (excluded[v] || seen[v] === stamp) continue;
          seen[v] = stamp;
          queue[tail++] = v;
        }
      }
      if (tail > levelEnd) {
        ecc++;
        levelStart = levelEnd;
        last = Array.from(queue.subarray(levelStart, tail));
      }
    }
    return { ecc, last };
  };
  const keys = new Float64Array(levels);
  for (let s = 0; s < levels; s++) {
    if (visited[s] || excluded[s]) continue;
    // pseudo-peripheral root (George & Liu)
    let root = s;
    let { ecc, last } = levelsFrom(root);
    for (let tries = 0; tries < 8 && last.length > 0; tries++) {
      let c = last[0];
      for (const v of last) if (deg[v] < deg[c]) c = v;
      const next = levelsFrom(c);
      if (next.ecc <= ecc) break;
      root = c;
      ecc = next.ecc;
      last = next.last;
    }
    // Cuthill–McKee from the root: neighbours by increasing degree
    let head = filled;
    order[filled++] = root;
    visited[root] = 1;
    while (head < filled) {
      const u = order[head++];
      let nk = 0;
      for (let e = rowPtr[u]; e < rowPtr[u + 1]; e++) {
        const v = colIdx[e];
        if (excluded[v] || visited[v]) continue;
        visited[v] = 1;
        keys[nk++] = deg[v] * levels + v;
      }
      if (nk > 1) keys.subarray(0, nk).sort();
      for (let t = 0; t < nk; t++) order[filled++] = keys[t] % levels;
    }
  }
  const perm = new Int32Array(levels);
  for (let i = 0; i < filled; i++) perm[i] = order[filled - 1 - i];
  for (let i = 0; i < denseList.length; i++) perm[filled + i] = denseList[i];
  return { perm, dense: denseList.length };
}

/**
 * -1 (keep the whole envelope) if it fits the budgets, else the widest sparse band that does.
 * Sizes count the sparse levels' rows (the dense rows are bounded by MAX_DENSE_ENTRIES); flops
 * count both.
 */
function chooseBand(fc: Int32Array, sparseCount: number, limits: CgLimits): number {
  const levels = fc.length;
  const cost = (band: number): { size: number; flops: number } => {
    let size = 0;
    let flops = 0;
    for (let i = 0; i < sparseCount; i++) {
      const w = band < 0 ? i - fc[i] : Math.min(i - fc[i], band);
      size += w + 1;
      flops += (w * (w + 1)) / 2;
    }
    for (let i = sparseCount; i < levels; i++) flops += size + (i - sparseCount) * i + (i - fc[i]);
    return { size, flops };
  };
  const exact = cost(-1);
  if (exact.size <= limits.envelope && exact.flops <= limits.flops) return -1;
  const fits = (band: number) => {
    const c = cost(band);
    return c.size <= limits.roughEnvelope! && c.flops <= limits.roughFlops!;
  };
  let maxWidth = 0;
  for (let i = 0; i < sparseCount; i++) maxWidth = Math.max(maxWidth, i - fc[i]);
  let lo = 0;
  let hi = maxWidth;
  while (lo < hi) {
    const mid = Math.ceil((lo + hi) / 2);
    if (fits(mid)) lo = mid;
    else hi = mid - 1;
  }
  return lo;
}
