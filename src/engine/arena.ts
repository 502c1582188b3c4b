import { EstimationError } from "../errors.js";

const PAGE = 65536;
/** WebAssembly's 32-bit address space: 65,536 pages of 64 KiB. */
export const MAX_PAGES = 65536;
/** The kernels keep no static data, but the first page stays unused so that 0 can mean "no pointer". */
const BASE = PAGE;

/**
 * A bump allocator over the one shared WebAssembly memory that every kernel instance (main
 * thread and workers) reads. A fit marks the top, allocates its columns and scratch, and
 * releases back to the mark when done, so memory is reused between fits. Views are made on
 * demand from the current buffer, so growth never leaves a stale view behind.
 */
export class Arena {
  readonly memory: WebAssembly.Memory;
  private top = BASE;

  constructor(memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  }

  /** Bytes still addressable under the 4 GiB ceiling. */
  get bytesLeft(): number {
    return MAX_PAGES * PAGE - this.top;
  }

  mark(): number {
    return this.top;
  }

  release(mark: number): void {
    this.top = mark;
  }

  /**
   * Fails early, with what would fit, when `rows` × `columns` float64 values cannot be placed
   * under the 4 GiB ceiling (`extraBytes` more are needed beside them).
   */
  ensureTable(rows: number, columns: number, extraBytes = 0): void {
    const need = rows * columns * 8 + extraBytes;
    if (need <= this.bytesLeft) return;
    const room = Math.max(0, this.bytesLeft - extraBytes);
    throw new EstimationError(
      "memory",
      `${rows.toLocaleString("en-US")} rows × ${columns} columns need ${formatBytes(need)} of WebAssembly memory, ` +
        `more than the 4 GiB ceiling leaves (${formatBytes(this.bytesLeft)}): at most ${Math.floor(room / (columns * 8)).toLocaleString("en-US")} rows ` +
        `of ${columns} columns fit, or ${Math.floor(room / (rows * 8))} columns of ${rows.toLocaleString("en-US")} rows; ` +
        `fit a subset (--where) or fewer regressors`,
    );
  }

  /** Reserves `bytes` (16-byte aligned, for SIMD loads) and returns the pointer. */
  alloc(bytes: number, what = "a buffer"): number {
    const ptr = (this.top + 15) & ~15;
    const end = ptr + bytes;
    if (end > MAX_PAGES * PAGE) {
      throw new EstimationError(
        "memory",
        `not enough WebAssembly memory for ${what}: ${formatBytes(end)} needed, 4 GiB is the ceiling ` +
          `(${formatBytes(this.bytesLeft)} left); use fewer rows or columns, e.g. a --where subset`,
      );
    }
    const have = this.memory.buffer.byteLength;
    if (end > have) {
      try {
        this.memory.grow(Math.ceil((end - have) / PAGE));
      } catch (err) {
        throw new EstimationError("memory", `cannot grow WebAssembly memory to ${formatBytes(end)} for ${what} (${(err as Error).message}); free memory or use fewer rows`);
      }
    }
    this.top = end;
    return ptr;
  }

  allocF64(n: number, what?: string): number {
    return this.alloc(n * 8, what);
  }

  allocI32(n: number, what?: string): number {
    return this.alloc(n * 4, what);
  }

  f64(ptr: number, n: number): Float64Array {
    return new Float64Array(this.memory.buffer, ptr, n);
  }

  i32(ptr: number, n: number): Int32Array {
    return new Int32Array(this.memory.buffer, ptr, n);
  }

  u32(ptr: number, n: number): Uint32Array {
    return new Uint32Array(this.memory.buffer, ptr, n);
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

  putU32(values: ArrayLike<number>): number {
    const ptr = this.alloc(values.length * 4);
    this.u32(ptr, values.length).set(values);
    return ptr;
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
