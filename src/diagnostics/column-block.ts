import type { Arena } from "../engine/arena.js";

/** `cols` contiguous f64 columns of n rows in the arena: column j starts at ptr + j·n·8. */
export interface ColumnBlock {
  readonly ptr: number;
  readonly cols: number;
}

/** The pointer to column j of a block of n-row columns. */
export function columnAt(block: ColumnBlock, n: number, j: number): number {
  return block.ptr + j * n * 8;
}

/**
 * The cross-products C = M'WM of a block's columns (row-major, `width` × `width`), from which
 * regressions on subsets of the columns are solved without touching the rows again.
 */
export interface CrossProducts {
  readonly data: Float64Array;
  readonly width: number;
}

/** Copies columns `cols` of a block of n-row columns into a fresh contiguous block. */
export function copyColumns(arena: Arena, from: ColumnBlock, n: number, cols: readonly number[]): ColumnBlock {
  const ptr = arena.allocF64(n * Math.max(cols.length, 1));
  cols.forEach((c, j) => arena.f64(ptr + j * n * 8, n).set(arena.f64(columnAt(from, n, c), n)));
  return { ptr, cols: cols.length };
}
