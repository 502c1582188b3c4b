import type { Arena } from "./arena.js";
import { sharedEngine } from "./shared.js";

/**
 * Columns that live in the shared WebAssembly memory, outside any arena: what the readers fill,
 * so a fit's kernels read a frame's columns where they are instead of copying each into its
 * arena first, and memory holds each column once. Such a column is an ordinary Float64Array
 * (a view of the memory); its block goes back to the heap when the garbage collector has
 * collected the array. Views of it made later (subarray) are not resident and do not keep the
 * block: the readers hand out the arrays themselves, and only these are placed without a copy.
 */
const addresses = new WeakMap<ArrayBufferView, number>();
const blocks = new FinalizationRegistry<{ ptr: number; size: number }>(({ ptr, size }) => sharedEngine().heap.give(ptr, size));

/**
 * A float64 column of `n` values in the shared memory. Its values are whatever the block last
 * held (the heap reuses blocks): the caller writes every one before handing the column on.
 */
export function residentF64(n: number, what: string): Float64Array {
  const heap = sharedEngine().heap;
  const { ptr, size } = heap.acquire(n * 8, what);
  const column = new Float64Array(heap.memory.buffer, ptr, n);
  addresses.set(column, ptr);
  blocks.register(column, { ptr, size });
  return column;
}

/**
 * Where the kernels may read `values` (and never write): a resident column's own address, else
 * a copy in `arena`.
 */
export function placeF64(arena: Arena, values: Float64Array, what: string): number {
  return addresses.get(values) ?? arena.putF64(values, what);
}
