import type { Arena } from "./arena.js";
import { InternalError } from "../core/errors.js";
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

/** The column of `n` values at block (`ptr`, `size`), handed to the collector. */
function adopt(ptr: number, size: number, n: number): Float64Array {
  const column = new Float64Array(sharedEngine().heap.memory.buffer, ptr, n);
  addresses.set(column, ptr);
  blocks.register(column, { ptr, size });
  return column;
}

/** Blocks start and end on the heap's 16-byte alignment. */
const aligned = (bytes: number) => Math.max(16, Math.ceil(bytes / 16) * 16);

/**
 * A resident column being filled from a source whose length is known only at its end (a
 * stream of chunks). Its block grows by doubling inside the heap: a bigger block, the rows so
 * far copied, the old block given back at once (not left to the collector), so no JavaScript
 * buffer ever holds the column. `finish` gives back the room past the last row, which was
 * never written: pages of the memory that are never touched cost no resident memory, so a
 * generous first capacity costs nothing but address space, and only until `finish`. Whoever
 * makes a builder calls `finish` or `discard`.
 */
export class ResidentF64Builder {
  private ptr: number;
  private size: number;
  private view: Float64Array;
  private rows = 0;
  private done = false;

  constructor(
    capacity: number,
    private readonly what: string,
  ) {
    ({ ptr: this.ptr, size: this.size } = sharedEngine().heap.acquire(Math.max(1, capacity) * 8, what));
    this.view = this.viewOfBlock();
  }

  /** The rows appended so far. */
  get length(): number {
    return this.rows;
  }

  /** Appends `values` (copied) after the rows so far. */
  append(values: Float64Array): void {
    if (this.done) throw new InternalError("a finished or discarded resident column was appended to");
    if (this.rows + values.length > this.view.length) this.grow(this.rows + values.length);
    this.view.set(values, this.rows);
    this.rows += values.length;
  }

  /** The column of the rows appended, resident (placeF64 reads it in place); the builder is spent. */
  finish(): Float64Array {
    if (this.done) throw new InternalError("a resident column was finished twice or after being discarded");
    this.done = true;
    const keep = aligned(this.rows * 8);
    // The heap keeps no record per block, so the unused tail can go back as a block of its own.
    if (keep < this.size) sharedEngine().heap.give(this.ptr + keep, this.size - keep);
    return adopt(this.ptr, keep, this.rows);
  }

  /** Gives the block back (on a failed read); nothing after a finish. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    sharedEngine().heap.give(this.ptr, this.size);
  }

  private grow(rows: number): void {
    const heap = sharedEngine().heap;
    const bigger = heap.acquire(Math.max(rows, 2 * this.view.length) * 8, this.what);
    new Float64Array(heap.memory.buffer, bigger.ptr, this.rows).set(this.view.subarray(0, this.rows));
    heap.give(this.ptr, this.size);
    ({ ptr: this.ptr, size: this.size } = bigger);
    this.view = this.viewOfBlock();
  }

  /** The whole block as float64s (a view of the shared memory stays valid as the memory grows). */
  private viewOfBlock(): Float64Array {
    return new Float64Array(sharedEngine().heap.memory.buffer, this.ptr, this.size / 8);
  }
}

/**
 * Where the kernels may read `values` (and never write): a resident column's own address, else
 * a copy in `arena`.
 */
export function placeF64(arena: Arena, values: Float64Array, what: string): number {
  return addresses.get(values) ?? arena.putF64(values, what);
}
