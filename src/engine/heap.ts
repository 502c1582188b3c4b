import { EstimationError } from "../core/errors.js";

const PAGE = 65536;
/** WebAssembly's 32-bit address space: 65,536 pages of 64 KiB. */
export const MAX_PAGES = 65536;
/** The whole 4 GiB; addresses are byte offsets from 0 to CEILING (plain numbers, never signed 32-bit). */
export const CEILING = MAX_PAGES * PAGE;
/** The kernels keep no static data, but the first page stays unused so that 0 can mean "no pointer". */
export const BASE = PAGE;
/** Every block starts on a 16-byte boundary, for SIMD loads. */
const ALIGN = 16;

interface Extent {
  start: number;
  end: number;
}

/**
 * The allocator of the one shared WebAssembly memory that every kernel instance (main thread
 * and workers) reads. It hands out blocks to arenas (one per call: see arena.ts) and takes them
 * back in any order, so calls that overlap in time never free each other's memory.
 *
 * Blocks are carved first-fit from an address-ordered list of free extents, else from the top;
 * freed blocks merge with their free neighbours and a free extent that reaches the top lowers
 * it, so when no call holds memory the top is back at BASE. The memory itself grows on demand
 * and, as WebAssembly memories do, never shrinks: its pages are reused.
 */
export class Heap {
  readonly memory: WebAssembly.Memory;
  private topAddress = BASE;
  private highWater = BASE;
  private used = 0;
  private readonly free: Extent[] = [];

  constructor(memory?: WebAssembly.Memory) {
    this.memory = memory ?? new WebAssembly.Memory({ initial: 16, maximum: MAX_PAGES, shared: true });
  }

  /** The end of the highest block in use (BASE when none is). */
  get top(): number {
    return this.topAddress;
  }

  /** The highest the top has been: how much of the 4 GiB the process has needed at once. */
  get peak(): number {
    return this.highWater;
  }

  /** Bytes in blocks that arenas hold now. */
  get inUse(): number {
    return this.used;
  }

  /** The largest block that could still be had: the space above the top, or a bigger free extent below it. */
  get largestBlock(): number {
    let best = CEILING - this.topAddress;
    for (const e of this.free) best = Math.max(best, e.end - e.start);
    return best;
  }

  /** Reserves a block of at least `bytes` bytes and returns its address and its (aligned) size. */
  acquire(bytes: number, what: string): { ptr: number; size: number } {
    const size = Math.max(ALIGN, Math.ceil(bytes / ALIGN) * ALIGN);
    for (let i = 0; i < this.free.length; i++) {
      const e = this.free[i];
      if (e.end - e.start < size) continue;
      const ptr = e.start;
      e.start += size;
      if (e.start === e.end) this.free.splice(i, 1);
      this.used += size;
      return { ptr, size };
    }
    const ptr = this.topAddress;
    const end = ptr + size;
    if (end > CEILING) {
      throw new EstimationError(
        "memory",
        `not enough WebAssembly memory for ${what}: ${formatBytes(size)} more needed with ${formatBytes(this.used)} in use, ` +
          `and 4 GiB is the ceiling (at most ${formatBytes(this.largestBlock)} can be had in one piece); ` +
          `use fewer rows or columns, e.g. a --where subset, or run fewer fits at once`,
      );
    }
    this.grow(end, what);
    this.topAddress = end;
    this.highWater = Math.max(this.highWater, end);
    this.used += size;
    return { ptr, size };
  }

  /** Gives back a block from acquire(). */
  give(ptr: number, size: number): void {
    this.used -= size;
    const free = this.free;
    // The first free extent above the block (binary search: the list is address-ordered).
    let lo = 0;
    let hi = free.length;
    while (lo < hi) {
      const mid = (lo + hi) >>> 1;
      if (free[mid].start < ptr) lo = mid + 1;
      else hi = mid;
    }
    let extent: Extent = { start: ptr, end: ptr + size };
    const before = lo > 0 ? free[lo - 1] : null;
    const after = lo < free.length ? free[lo] : null;
    if (before && before.end === extent.start) {
      before.end = extent.end;
      extent = before;
      lo--;
    } else {
      free.splice(lo, 0, extent);
    }
    if (after && after.start === extent.end) {
      extent.end = after.end;
      free.splice(lo + 1, 1);
    }
    if (extent.end === this.topAddress) {
      // No free extent touches the top (it would have been merged into it), so one step suffices.
      this.topAddress = extent.start;
      free.splice(lo, 1);
    }
  }

  private grow(end: number, what: string): void {
    const have = this.memory.buffer.byteLength;
    if (end <= have) return;
    try {
      this.memory.grow(Math.ceil((end - have) / PAGE));
    } catch (err) {
      throw new EstimationError("memory", `cannot grow WebAssembly memory to ${formatBytes(end)} for ${what} (${(err as Error).message}); free memory or use fewer rows`);
    }
  }
}

export function formatBytes(bytes: number): string {
  if (bytes >= 2 ** 30) return `${(bytes / 2 ** 30).toFixed(2)} GiB`;
  if (bytes >= 2 ** 20) return `${(bytes / 2 ** 20).toFixed(1)} MiB`;
  return `${Math.ceil(bytes / 1024)} KiB`;
}
