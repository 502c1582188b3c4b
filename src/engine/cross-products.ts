import type { Arena } from "./arena.js";
import type { Kernels } from "./kernels.js";

/**
 * out (k×k) = X'·diag(w)·X of the k contiguous n-long columns at x (w: row weights, or 0), by the
 * one-pass kernel (assembly/crossprod.ts), with its accumulators in a block of `arena` given back
 * before returning. Each entry equals the dot product of its two columns bit for bit.
 */
export function crossprodInto(kern: Kernels, arena: Arena, n: number, k: number, x: number, w: number, out: number): void {
  const mark = arena.mark();
  kern.crossprod(n, k, x, w, arena.allocF64(2 * k * (k + 1), "cross-product accumulators"), out);
  arena.release(mark);
}
