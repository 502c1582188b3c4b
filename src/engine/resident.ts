import type { Arena } from "./arena.js";
import { InternalError } from "../core/errors.js";
import { sharedEngine } from "./shared.js";

/**
 * Columns that live in the shared WebAssembly memory, outside any arena: what the readers fill,
 * so a fit's kernels read a frame's columns where they are instead of copying each into its
 * arena first, and memory holds each column once. Such a column is an ordinary Float64Array
 * (a view of the memory). The columns of one read lie side by side in one block, `stride`
 * values apart (residentTable): a fit that may consume its frame compacts its model's columns
 * there instead of copying them (model-matrix.ts). The block goes back to the heap when the
 * garbage collector has collected every one of its arrays. Views of them made later (subarray)
 * are not resident and do not keep the block: the readers hand out the arrays themselves, and
 * only these are placed without a copy.
 */
export interface TableBlock {
  readonly ptr: number;
  /** Bytes held: the block from ptr, less what releaseTableFrom gave back. */
  size: number;
  /** Values from one column's start to the next's. */
  readonly stride: number;
  /** Its columns not yet collected. */
  live: number;
  /** Its columns, weakly (releaseTableFrom's caller marks them all consumed). */
  readonly columns: WeakRef<Float64Array>[];
}

/** Where a resident column is: its address, and the block it shares with the other columns of its read. */
const residents = new WeakMap<ArrayBufferView, { ptr: number; table: TableBlock }>();
const tables = new FinalizationRegistry<TableBlock>((table) => {
  if (--table.live === 0) sharedEngine().heap.give(table.ptr, table.size);
});

/** Blocks start and end on the heap's 16-byte alignment. */
const aligned = (bytes: number) => Math.max(16, Math.ceil(bytes / 16) * 16);

/**
 * The resident columns of a source whose length is known only at its end (a stream of chunks),
 * being filled side by side. Their block grows inside the heap: a bigger one, the rows so far
 * copied, the old one given back at once (not left to the collector), so no JavaScript buffer
 * ever holds a column. Pages of the memory that are never touched cost no resident memory, so
 * a generous first capacity costs only address space: `finish` gives back the room past the
 * last column's rows, and the room between columns goes with the block. Whoever makes a
 * builder calls `finish` or `discard`.
 */
export class ResidentTableBuilder {
  private ptr: number;
  private size: number;
  private stride: number;
  private rows = 0;
  private done = false;

  constructor(
    private readonly columns: number,
    capacity: number,
    private readonly what: string,
  ) {
    this.stride = aligned(Math.max(1, capacity) * 8) / 8;
    if (columns < 1) throw new InternalError("a resident table needs a column");
    ({ ptr: this.ptr, size: this.size } = sharedEngine().heap.acquire(columns * this.stride * 8, what));
  }

  /** The rows appended so far. */
  get length(): number {
    return this.rows;
  }

  /** Appends one chunk: `values[c]` (copied) after column c's rows so far; every column the same length. */
  append(values: readonly Float64Array[]): void {
    if (this.done) throw new InternalError("a finished or discarded resident table was appended to");
    const n = values[0]?.length ?? 0;
    if (values.length !== this.columns || values.some((v) => v.length !== n)) throw new InternalError("a resident table's chunk has the wrong shape");
    if (this.rows + n > this.stride) this.grow(this.rows + n);
    values.forEach((v, c) => this.column(c, this.stride).set(v, this.rows));
    this.rows += n;
  }

  /** The columns of the rows appended, resident (placeF64 reads them in place); the builder is spent. */
  finish(): Float64Array[] {
    if (this.done) throw new InternalError("a resident table was finished twice or after being discarded");
    this.done = true;
    const keep = aligned(((this.columns - 1) * this.stride + this.rows) * 8);
    // The heap keeps no record per block, so the unused tail can go back as a block of its own.
    if (keep < this.size) sharedEngine().heap.give(this.ptr + keep, this.size - keep);
    const table: TableBlock = { ptr: this.ptr, size: keep, stride: this.stride, live: this.columns, columns: [] };
    return Array.from({ length: this.columns }, (_, c) => {
      const column = this.column(c, this.rows);
      residents.set(column, { ptr: this.ptr + c * this.stride * 8, table });
      tables.register(column, table);
      table.columns.push(new WeakRef(column));
      return column;
    });
  }

  /** Gives the block back (on a failed read); nothing after a finish. */
  discard(): void {
    if (this.done) return;
    this.done = true;
    sharedEngine().heap.give(this.ptr, this.size);
  }

  private grow(rows: number): void {
    const heap = sharedEngine().heap;
    const stride = aligned(Math.max(rows, 2 * this.stride) * 8) / 8;
    const bigger = heap.acquire(this.columns * stride * 8, this.what);
    for (let c = 0; c < this.columns; c++) {
      new Float64Array(heap.memory.buffer, bigger.ptr + c * stride * 8, this.rows).set(this.column(c, this.rows));
    }
    heap.give(this.ptr, this.size);
    ({ ptr: this.ptr, size: this.size } = bigger);
    this.stride = stride;
  }

  /** The first `n` values of column c (a view of the shared memory stays valid as the memory grows). */
  private column(c: number, n: number): Float64Array {
    return new Float64Array(sharedEngine().heap.memory.buffer, this.ptr + c * this.stride * 8, n);
  }
}

/** A run of a resident table's columns (residentRun): where it starts, the table's stride, and the table. */
export interface ResidentRun {
  readonly ptr: number;
  readonly stride: number;
  readonly table: TableBlock;
}

/**
 * Where `columns` lie when they are columns c0, c0 + 1, … of one resident table, in that order:
 * the first one's address, the table's stride (in values) and the table; otherwise undefined.
 */
export function residentRun(columns: readonly Float64Array[]): ResidentRun | undefined {
  const first = columns.length > 0 ? residents.get(columns[0]) : undefined;
  if (!first) return undefined;
  const { table } = first;
  const inRun = columns.every((c, j) => {
    const r = residents.get(c);
    return r !== undefined && r.table === table && r.ptr === first.ptr + j * table.stride * 8;
  });
  return inRun ? { ptr: first.ptr, stride: table.stride, table } : undefined;
}

/** Every column of the run's table still alive. */
export function tableColumns(run: ResidentRun): Float64Array[] {
  return run.table.columns.flatMap((ref) => ref.deref() ?? []);
}

/**
 * Gives the run's table's bytes from `address` on back to the heap now, for the arenas to reuse
 * (memory already touched, so no new pages): for a caller that has overwritten the table and
 * marked all its columns consumed, and keeps only what lies before `address`. The rest goes
 * back when the columns are collected, as usual.
 */
export function releaseTableFrom(run: ResidentRun, address: number): void {
  const { table } = run;
  const from = aligned(address - table.ptr);
  if (from >= table.size) return;
  sharedEngine().heap.give(table.ptr + from, table.size - from);
  table.size = from;
}

/**
 * A resident i32 array written where it lies: room for `capacity` values is taken from the heap
 * and `write(ptr)` fills it (a kernel writing its output there, no copy after), returning how
 * many values it wrote, the array's length, or null to give the room back and have none. The
 * block goes back to the heap when the array is collected: for a fit's row indices and codes,
 * which its kernels then read in place (placeI32).
 */
export function residentI32Of(capacity: number, what: string, write: (ptr: number) => number | null): Int32Array | null {
  const heap = sharedEngine().heap;
  const { ptr, size } = heap.acquire(aligned(capacity * 4), what);
  let length: number | null;
  try {
    length = write(ptr);
  } catch (err) {
    heap.give(ptr, size);
    throw err;
  }
  if (length === null) {
    heap.give(ptr, size);
    return null;
  }
  const keep = aligned(length * 4);
  if (keep < size) heap.give(ptr + keep, size - keep);
  const array = new Int32Array(heap.memory.buffer, ptr, length);
  const table: TableBlock = { ptr, size: Math.min(keep, size), stride: length, live: 1, columns: [] };
  residents.set(array, { ptr, table });
  tables.register(array, table);
  return array;
}

/** A resident copy of `values` (residentI32Of). */
export function residentI32(values: Int32Array, what: string): Int32Array {
  return residentI32Of(values.length, what, (ptr) => {
    new Int32Array(sharedEngine().heap.memory.buffer, ptr, values.length).set(values);
    return values.length;
  })!;
}

/** `values` copied out of an arena: resident (residentI32) or into an ordinary JavaScript array. */
export function copyOutI32(values: Int32Array, resident: boolean, what: string): Int32Array {
  return resident ? residentI32(values, what) : values.slice();
}

/** The address of a resident array (read only for kernels), or undefined for an ordinary one. */
export function residentAddress(values: Float64Array | Int32Array): number | undefined {
  return residents.get(values)?.ptr;
}

/** placeF64 for i32 values: a resident array's own address (read only), else a copy in `arena`. */
export function placeI32(arena: Arena, values: Int32Array, what: string): number {
  return residents.get(values)?.ptr ?? arena.putI32(values, what);
}

/**
 * Where the kernels may read `values` (and never write): a resident column's own address, else
 * a copy in `arena`.
 */
export function placeF64(arena: Arena, values: Float64Array, what: string): number {
  return residents.get(values)?.ptr ?? arena.putF64(values, what);
}
