import { EstimationError, InternalError } from "../core/errors.js";
import { formatBytes, type Heap } from "./heap.js";

/**
 * Typed views of the shared memory, made on demand from its current buffer so that growth
 * never leaves a stale view behind. Workers have only this: they never allocate.
 */
export class MemoryView {
  constructor(readonly memory: WebAssembly.Memory) {}

  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, n);
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  u8(ptr: number, n: number): Uint8Array {
    return new Uint8Array(this.memory.buffer, ptr, n);
  }

  u32(ptr: number, n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, n);
  }
}

/** What mark() returns: how many blocks the arena held then. */
export type ArenaMark = number;

/**
 * One call's memory: the blocks it took from the shared heap, given back together when the call
 * ends (close) and, within the call, back to a mark (release) so that a loop reuses memory.
 * Nothing outside the call can free them, so overlapping calls cannot corrupt each other;
 * every entry point opens its own arena (engine/shared.ts: withArena) and passes it down.
 */
export class Arena extends MemoryView {
  /** Address and size of each block held, in the order taken. */
  private readonly blocks: number[] = [];
  private closed = false;

  constructor(private readonly heap: Heap) {
    super(heap.memory);
  }

  mark(): ArenaMark {
    return this.blocks.length / 2;
  }

  /** Gives back every block taken since `mark`. */
  release(mark: ArenaMark): void {
    const blocks = this.blocks;
    while (blocks.length > mark * 2) {
      const size = blocks.pop()!;
      this.heap.give(blocks.pop()!, size);
    }
  }

  /** Gives back everything; the arena cannot be used after this. */
  close(): void {
    this.release(0);
    this.closed = true;
  }

  /**
   * Fails early, with what would fit, when `rows` × `columns` float64 values cannot be placed
   * in one piece under the 4 GiB ceiling (`extraBytes` more are needed beside them).
   */
  ensureTable(rows: number, columns: number, extraBytes = 0): void {
    const left = this.heap.largestBlock;
    const need = rows * columns * 8 + extraBytes;
    if (need <= left) return;
    const room = Math.max(0, left - extraBytes);
    throw new EstimationError(
      "memory",
      `${rows.toLocaleString("en-US")} rows × ${columns} columns need ${formatBytes(need)} of WebAssembly memory, ` +
        `more than the 4 GiB ceiling leaves (${formatBytes(left)}): at most ${Math.floor(room / (columns * 8)).toLocaleString("en-US")} rows ` +
        `of ${columns} columns fit, or ${Math.floor(room / (rows * 8))} columns of ${rows.toLocaleString("en-US")} rows; ` +
        `fit a subset (--where) or fewer regressors`,
    );
  }

  /** Reserves `bytes` (16-byte aligned, for SIMD loads) and returns the pointer. */
  alloc(bytes: number, what = "a buffer"): number {
    if (this.closed) throw new InternalError(`an arena was used after its call ended (allocating ${what})`);
    const { ptr, size } = this.heap.acquire(bytes, what);
    this.blocks.push(ptr, size);
    return ptr;
  }

  allocF64(n: number, what?: string): number {
    return this.alloc(n * 8, what);
  }

  allocI32(n: number, what?: string): number {
    return this.alloc(n * 4, what);
  }

  /** Copies a JS array into a fresh allocation and returns its pointer. */
  putF64(values: ArrayLike<number>, what?: string): number {
    const ptr = this.allocF64(values.length, what);
    this.f64(ptr, values.length).set(values);
    return ptr;
  }

  putI32(values: ArrayLike<number>, what?: string): number {
    const ptr = this.allocI32(values.length, what);
    this.i32(ptr, values.length).set(values);
    return ptr;
  }

  putU8(values: ArrayLike<number>, what?: string): number {
    const ptr = this.alloc(values.length, what);
    this.u8(ptr, values.length).set(values);
    return ptr;
  }

  putU32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    this.u32(ptr, values.length).set(values);
    return ptr;
  }
}
