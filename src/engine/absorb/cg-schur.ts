import type { Arena } from "../arena.js";
import type { Kernels } from "../kernels.js";
import type { FixedEffectPlan } from "./plan.js";

/** The last small effect's upper block is accumulated densely up to this many levels. */
const DENSE_BLOCK_MAX = 2048;
/** Entries of the dense levels' rows (each a full row of the factor, ordered last). */
export const MAX_DENSE_ENTRIES = 1 << 24;

/**
 * The upper triangle of the small effects' Schur complement A (cg.ts), row by row: row u's
 * columns col[start[u]..start[u + 1]) and their values; raw, each level's weight.
 */
export interface SchurUpper {
  readonly start: Int32Array;
  readonly col: Int32Array;
  readonly val: Float64Array;
  readonly raw: Float64Array;
}

/**
 * Assembles A's upper triangle in wasm from passes that read memory in order (pair terms within
 * each group of the first effect, bucketed by row; the last, small effect accumulated densely),
 * copies it out and releases the temporaries. `offsets`: each small effect's first level.
 */
export function assembleSchur(
  k: Kernels, arena: Arena, n: number, fes: readonly FixedEffectPlan[], rowWeights: number,
  offsets: readonly number[], levels: number,
): SchurUpper {
  const first = fes[0];
  const small = fes.slice(1);
  const m = small.length;
  const G = first.size;
  const mark = arena.mark();
  let upStart: Int32Array, upCol: Int32Array, upVal: Float64Array;
  const raw = new Float64Array(levels);
  small.forEach((fe, j) => raw.set(arena.f64(fe.weights, fe.size), offsets[j]));
  try {
    const codeTable = arena.putU32(small.map((fe) => fe.codes));
    const offPtr = arena.putI32(offsets);
    const start = arena.allocI32(G + 1);
    const order = arena.allocI32(n, "row order");
    // Rows already grouped by the first effect: the order is the identity, neither written nor read.
    const grouped = k.counting_sort(n, first.codes, G, start, order) === 1;
    const pos = arena.allocI32(levels);
    const cstart = arena.allocI32(G + 1);
    const cidx = arena.allocI32(n * m, "group levels");
    const cval = arena.allocF64(n * m, "group levels");
    k.cg_group_levels(G, start, grouped ? 0 : order, m, codeTable, offPtr, rowWeights, levels, pos, cstart, cidx, cval);
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
  return { start: upStart, col: upCol, val: upVal, raw };
}
