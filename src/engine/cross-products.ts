import type { Arena } from "./arena.js";
import type { Kernels } from "./kernels.js";
import { runKernelLanes } from "./kernel-lanes.js";
import type { KernelCall } from "./kernel-task.js";

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

/** Below this many rows × pairs one thread does it: a lane's round trip would cost more than it saves. */
const LANES_FROM = 4_000_000;

/**
 * crossprodInto over two lanes (this thread and a worker, kernel-lanes.ts): the rows of the upper
 * triangle split where each lane gets about half the pairs. Every entry is summed as the one-pass
 * kernel sums it, so the matrix is the same bit for bit. Its accumulators stay in `arena` (the
 * caller's arena may be allocated from during the await; they are k(k + 1) / 2 × 4 f64).
 */
export async function crossprodLanes(kern: Kernels, arena: Arena, n: number, k: number, x: number, w: number, out: number, threads: number): Promise<void> {
  const pairs = (k * (k + 1)) / 2;
  if (threads < 2 || n * pairs < LANES_FROM) return crossprodInto(kern, arena, n, k, x, w, out);
  // The first rows of the triangle hold the most pairs (k − a each): split at half of them.
  let split = 0;
  for (let done = 0; split < k && done + (k - split) <= pairs / 2; split++) done += k - split;
  const lane = (from: number, to: number): KernelCall[] => {
    const count = (to - from) * k - (to * (to - 1) - from * (from - 1)) / 2;
    return [{ name: "crossprod_pairs", args: [n, k, x, w, arena.allocF64(4 * count, "cross-product accumulators"), out, from, to] }];
  };
  await runKernelLanes(kern, [lane(0, Math.max(split, 1)), lane(Math.max(split, 1), k)], threads, "summing cross-products");
}

/**
 * out = y − X·beta over two lanes (this thread and a worker), half the rows each: every value is
 * computed on its own (assembly/crossprod.ts residuals), so the column is the same bit for bit.
 */
export async function residualsLanes(kern: Kernels, n: number, k: number, x: number, beta: number, y: number, out: number, threads: number): Promise<void> {
  if (threads < 2 || n * k < LANES_FROM) return kern.residuals(n, k, x, beta, y, out);
  const half = n >> 1;
  await runKernelLanes(kern, [[{ name: "residuals_rows", args: [n, k, x, beta, y, out, 0, half] }], [{ name: "residuals_rows", args: [n, k, x, beta, y, out, half, n] }]], threads, "computing residuals");
}
