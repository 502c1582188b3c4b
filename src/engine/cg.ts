import type { Arena, MemoryView } from "./arena.js";
import type { Kernels } from "./kernels.js";
import type { DemeanOutcome, DemeanPlan, FixedEffectPlan, Scratch } from "./demean.js";

/**
 * The "cg" demeaning method: the largest fixed effect is absorbed exactly by group means, and
 * the coefficients γ of the others solve their Schur complement system
 *
 *     A γ = b,   A = D₂'W M₁ D₂,   b = D₂'W M₁ x,
 *
 * (D₁, D₂: indicator matrices of the largest and of the other effects, M₁ the projection off
 * D₁) by preconditioned conjugate gradients. A is applied without forming it, by two passes
 * over the rows (kernel cg_apply), so the iteration converges to the exact projection however
 * rough the preconditioner is.
 *
 * The preconditioner is A itself, assembled once per fit as a sparse matrix (only movers link
 * two firms, so the firm block is a sparse weighted graph Laplacian) from passes over the groups
 * and rows that read memory in order (pair terms within each group's level set, bucketed by row;
 * the rows of the last, small effect — years — accumulated densely), and factored by an envelope
 * (profile) Cholesky after a reverse Cuthill–McKee ordering of the sparse levels, with the few
 * dense levels (years: linked to every firm) ordered last so they cost one full row each. On a
 * worker–firm panel with limited mobility (a long chain of firms: the slowest case for
 * alternating projections) the envelope is a narrow band, the factor is exact up to rounding
 * and CG stops after one or two iterations. When the envelope would exceed a memory/flop
 * budget (a well-connected mobility graph), entries of the sparse block outside a band are
 * dropped with their magnitude added to both diagonals (which keeps the approximation ⪰ A);
 * random mobility graphs mix fast, so CG then needs few iterations anyway (13 on a 1M-row panel
 * with movers to random firms). A large graph that is neither (firms on a 2-D map) would get a
 * rough band and need many more iterations: an incomplete factorisation would serve it better.
 *
 * A is singular (one null direction per connected component of the levels' graph, plus one
 * per further effect): a pivot that vanishes to rounding is replaced by the level's weight, so
 * the preconditioner stays positive definite; b lies in A's range and the null components of γ
 * are absorbed by the first effect's means, so they do not affect the demeaned column.
 *
 * Stopping rule: rᵀM⁻¹r (with M ≈ A this is the squared A-norm of γ's error, which is the
 * squared norm of the error in the demeaned column) at or below tol² · ‖M₁x‖²_W: the demeaned
 * column is accurate to `tol` relative to the column net of the first effect. A tol below the
 * rounding level of the row sums (roundingLevel) is raised to it; should rounding still stall
 * or derail the iteration, the best iterate is kept and the column reports no convergence.
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

function defaultLimits(n: number): CgLimits {
  return {
    envelope: Math.min(1 << 25, Math.max(1 << 23, 8 * n)),
    flops: Math.min(4e9, Math.max(5e8, 2000 * n)),
  };
}
/** The last small effect's upper block is accumulated densely up to this many levels. */
const DENSE_BLOCK_MAX = 2048;
/** Entries of the dense levels' rows (each a full row of the factor, ordered last). */
const MAX_DENSE_ENTRIES = 1 << 24;
/** A pivot below this times the level's weight counts as zero (a null direction of A). */
const PIVOT_TOL = 1e-9;
/** CG stops when rᵀz has not halved for this many iterations (stagnation at the rounding level)... */
const STAGNATION = 1000;
/** ...or has grown this much over its smallest value (rounding derails the iteration); the best iterate is kept. */
const DIVERGED = 1e8;

/** Everything cg needs beyond the DemeanPlan: pointers into the shared memory and a few sizes. */
export interface CgPlan {
  /** L: levels of the small fixed effects (fes[1..]), numbered fes[1] first. */
  readonly levels: number;
  /** m: number of small fixed effects. */
  readonly small: number;
  /** u32 pointers to the small effects' codes (m). */
  readonly codeTable: number;
  /** i32 first global level of each small effect (m). */
  readonly offsets: number;
  /** i32 (L): level at each position of the elimination order. */
  readonly perm: number;
  /** i32 (L + 1): start of each row of the envelope factor. */
  readonly envStart: number;
  /** i32 (L): first column of each row of the envelope factor. */
  readonly envFirst: number;
  /** f64: the envelope factor's rows. */
  readonly envValues: number;
  /** Diagnostics. */
  readonly envSize: number;
  /** Sparse-block band kept in the factor; -1 when the factor is exact (the whole envelope). */
  readonly band: number;
  readonly denseLevels: number;
  readonly schurEntries: number;
  readonly replacedPivots: number;
}

/** f64 values of per-thread scratch cg needs: r, z, p, q, the solve's work vector and a saved iterate, L each. */
export function cgScratchLength(cg: CgPlan): number {
  return 6 * cg.levels;
}

/**
 * Assembles the small effects' Schur complement (sparse), orders and factors it. All arrays the
 * plan points at live in the arena after its current top; temporaries are released.
 */
export function buildCgPlan(
  k: Kernels, arena: Arena, n: number, fes: readonly FixedEffectPlan[], rowWeights: number,
  limits: CgLimits = defaultLimits(n),
): CgPlan {
  const first = fes[0];
  const small = fes.slice(1);
  const m = small.length;
  const offsets: number[] = [];
  let levels = 0;
  for (const fe of small) {
    offsets.push(levels);
    levels += fe.size;
  }
  const G = first.size;

  // ---- assemble A's upper triangle (wasm), copy it out and release the temporaries
  const mark = arena.mark();
  let upStart: Int32Array, upCol: Int32Array, upVal: Float64Array;
  const raw = new Float64Array(levels);
  small.forEach((fe, j) => raw.set(arena.f64(fe.weights, fe.size), offsets[j]));
  try {
    const codeTable = arena.putU32(small.map((fe) => fe.codes));
    const offPtr = arena.putI32(offsets);
    const start = arena.allocI32(G + 1);
    const order = arena.allocI32(n, "row order");
    k.counting_sort(n, first.codes, G, start, order);
    const pos = arena.allocI32(levels);
    const cstart = arena.allocI32(G + 1);
    const cidx = arena.allocI32(n * m, "group levels");
    const cval = arena.allocF64(n * m, "group levels");
    k.cg_group_levels(G, start, order, m, codeTable, offPtr, rowWeights, levels, pos, cstart, cidx, cval);
    // S: levels below `limit`, summed as sparse terms; B: the last (smallest) effect when it is
    // small (years), accumulated densely
    const lastSize = small[m - 1].size;
    const limit = lastSize <= DENSE_BLOCK_MAX && offsets[m - 1] * lastSize <= MAX_DENSE_ENTRIES ? offsets[m - 1] : levels;
    const d = levels - limit;
    const mS = limit < levels ? m - 1 : m;
    const pstart = arena.allocI32(limit + 1);
    arena.i32(pstart, limit + 1).fill(0);
    const cursor = arena.allocI32(Math.max(limit, 1));
    k.cg_pairs(G, cstart, cidx, cval, first.weights, n, mS, codeTable, offPtr, rowWeights, limit, pstart, cursor, 0, 0, 0);
    const ps = arena.i32(pstart, limit + 1);
    for (let u = 0; u < limit; u++) ps[u + 1] += ps[u];
    const terms = ps[limit];
    arena.i32(cursor, limit).set(ps.subarray(0, limit));
    const pcol = arena.allocI32(Math.max(terms, 1), "the Schur complement's terms");
    const pval = arena.allocF64(Math.max(terms, 1), "the Schur complement's terms");
    k.cg_pairs(G, cstart, cidx, cval, first.weights, n, mS, codeTable, offPtr, rowWeights, limit, pstart, cursor, pcol, pval, 1);
    const sb = arena.allocF64(Math.max(limit * d, 1), "the Schur complement's dense block");
    const bb = arena.allocF64(Math.max(d * d, 1), "the Schur complement's dense block");
    if (d > 0) {
      arena.f64(sb, limit * d).fill(0);
      arena.f64(bb, d * d).fill(0);
      const sIdx = arena.allocI32(levels);
      const sVal = arena.allocF64(levels);
      const bIdx = arena.allocI32(levels);
      const bVal = arena.allocF64(levels);
      k.cg_block(G, cstart, cidx, cval, first.weights, n, m, codeTable, offPtr, rowWeights, limit, levels, sb, bb, sIdx, sVal, bIdx, bVal);
    }
    const diag = arena.putF64(raw);
    const stamp = arena.allocI32(levels);
    arena.i32(stamp, levels).fill(-1);
    const acc = arena.allocF64(levels);
    const rowCap = arena.allocI32(levels + 1);
    const capv = arena.i32(rowCap, levels + 1);
    capv[0] = 0;
    for (let u = 0; u < levels; u++) capv[u + 1] = capv[u] + (u < limit ? Math.min(ps[u + 1] - ps[u] + 1, levels - u) + d : levels - u);
    const cap = capv[levels];
    const rowLen = arena.allocI32(levels);
    const ci = arena.allocI32(Math.max(cap, 1), "the Schur complement");
    const cv = arena.allocF64(Math.max(cap, 1), "the Schur complement");
    const nnz = k.cg_emit(levels, limit, pstart, pcol, pval, sb, bb, diag, stamp, acc, rowCap, rowLen, ci, cv);
    // compact the rows
    const lenv = arena.i32(rowLen, levels);
    const civ = arena.i32(ci, cap);
    const cvv = arena.f64(cv, cap);
    upStart = new Int32Array(levels + 1);
    upCol = new Int32Array(nnz);
    upVal = new Float64Array(nnz);
    for (let u = 0; u < levels; u++) {
      const b = capv[u];
      const len = lenv[u];
      const at = upStart[u];
      upCol.set(civ.subarray(b, b + len), at);
      upVal.set(cvv.subarray(b, b + len), at);
      upStart[u + 1] = at + len;
    }
  } finally {
    arena.release(mark);
  }

  // ---- order (RCM, dense levels last), lay out the envelope, fill it
  const graph = symmetricPattern(levels, upStart, upCol);
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
  const envSize = estart[levels];
  const env = new Float64Array(envSize);
  const comp = new Float64Array(levels);
  for (let u = 0; u < levels; u++) {
    const iu = inv[u];
    for (let e = upStart[u]; e < upStart[u + 1]; e++) {
      const iv = inv[upCol[e]];
      const i = iu > iv ? iu : iv;
      const j = iu > iv ? iv : iu;
      if (j >= fcw[i]) env[estart[i] + j - fcw[i]] += upVal[e];
      else {
        const a = Math.abs(upVal[e]);
        comp[i] += a;
        comp[j] += a;
      }
    }
  }
  for (let i = 0; i < levels; i++) env[estart[i + 1] - 1] += comp[i];
  const rawP = new Float64Array(levels);
  for (let i = 0; i < levels; i++) rawP[i] = raw[perm[i]];

  // ---- persistent arrays, then the numeric factorisation in place
  const codeTable = arena.putU32(small.map((fe) => fe.codes));
  const offPtr = arena.putI32(offsets);
  const permPtr = arena.putI32(perm, "the cg ordering");
  const envStart = arena.putI32(estart, "the cg factor");
  const envFirst = arena.putI32(fcw, "the cg factor");
  const envValues = arena.putF64(env, "the cg factor");
  const rawMark = arena.mark();
  const rawPtr = arena.putF64(rawP);
  const replacedPivots = k.env_factor(levels, envStart, envFirst, envValues, rawPtr, PIVOT_TOL);
  arena.release(rawMark);
  return {
    levels, small: m, codeTable, offsets: offPtr, perm: permPtr, envStart, envFirst, envValues,
    envSize, band, denseLevels: dense, schurEntries: upVal.length, replacedPivots,
  };
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

/** Demeans the column at x into out (may alias) by PCG on the Schur complement system. */
export function cgColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number): DemeanOutcome {
  const cg = plan.cg!;
  const { n, rowWeights: w, tol, maxIter } = plan;
  const fe0 = plan.fes[0];
  const G = fe0.size;
  const L = cg.levels;
  const m = cg.small;
  if (!s.work) throw new Error("absorb: the cg method needs scratch allocated for its plan (allocScratch)");
  const gamma = s.coef + G * 8;
  const r = s.work;
  const z = r + 8 * L;
  const p = z + 8 * L;
  const q = p + 8 * L;
  const y = q + 8 * L;
  const saved = y + 8 * L;
  const norm2 = k.cg_rhs(n, w, m, cg.codeTable, cg.offsets, fe0.codes, fe0.weights, G, s.coef, x, L, r);
  const gv = arena.f64(gamma, L);
  gv.fill(0);
  const target = Math.max(tol, roundingLevel(n)) ** 2 * norm2;
  let iterations = 0;
  let converged = true;
  if (norm2 > 0) {
    const rv = arena.f64(r, L);
    const zv = arena.f64(z, L);
    const pv = arena.f64(p, L);
    const qv = arena.f64(q, L);
    const best = arena.f64(saved, L);
    const precondition = () => k.env_solve(L, cg.envStart, cg.envFirst, cg.envValues, cg.perm, r, z, y);
    precondition();
    let rz = dot(rv, zv);
    pv.set(zv);
    let bestRz = rz;
    let bestAt = 0;
    let halvedAt = 0;
    let halvedRz = rz;
    while (rz > target && iterations < maxIter) {
      k.cg_apply(n, w, m, cg.codeTable, cg.offsets, fe0.codes, fe0.weights, G, s.coef, p, L, q);
      const pq = dot(pv, qv);
      if (!(pq > 0)) break; // p lies in A's null space to rounding: nothing left to gain
      const alpha = rz / pq;
      for (let i = 0; i < L; i++) {
        gv[i] += alpha * pv[i];
        rv[i] -= alpha * qv[i];
      }
      iterations++;
      precondition();
      const rzNext = dot(rv, zv);
      const beta = rzNext / rz;
      rz = rzNext;
      for (let i = 0; i < L; i++) pv[i] = zv[i] + beta * pv[i];
      if (rz < bestRz) {
        bestRz = rz;
        bestAt = iterations;
        if (rz > target) best.set(gv); // kept in case rounding derails the later iterations
      }
      if (rz < 0.5 * halvedRz) {
        halvedRz = rz;
        halvedAt = iterations;
      }
      // rounding has taken over: the residual blew up, or stopped shrinking
      if (rz > DIVERGED * bestRz || iterations - halvedAt >= STAGNATION) break;
    }
    converged = bestRz <= target;
    if (bestAt < iterations && bestAt > 0 && rz > bestRz) gv.set(best);
    else if (bestAt === 0 && iterations > 0 && rz > bestRz) gv.fill(0);
  }
  k.cg_residual(n, w, m, cg.codeTable, cg.offsets, fe0.codes, fe0.weights, G, s.coef, x, gamma, out);
  return { iterations, converged };
}

/**
 * The relative accuracy below which the demeaned column cannot be resolved: the rounding of the
 * row sums that apply A (observed ≈ 1e-12 on a million rows); tighter tolerances are raised to it.
 */
export function roundingLevel(n: number): number {
  return 64 * Number.EPSILON * Math.sqrt(n);
}

function dot(a: Float64Array, b: Float64Array): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i] * b[i];
  return s;
}
