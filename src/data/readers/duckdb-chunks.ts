/**
 * DuckDB result chunks into typed columns. Each chunk's vector bytes are copied once, straight
 * into the column's place in the shared WebAssembly memory (engine/resident.ts), where the fit's
 * kernels read it without another copy; nothing per row is made in JavaScript.
 */
import { createRequire } from "node:module";
import type { DuckDBDataChunk, DuckDBMaterializedResult, DuckDBResult } from "@duckdb/node-api";
import { InputError } from "../../core/errors.js";
import { residentF64 } from "../../engine/resident.js";

/**
 * The raw-vector half of DuckDB's bindings, loaded from beside @duckdb/node-api so it is the
 * very copy that produced the chunks. The high-level API only hands out values one at a time.
 */
interface RawVectors {
  data_chunk_get_vector(chunk: DuckDBDataChunk["chunk"], column: number): unknown;
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
}
const requireFromHere = createRequire(import.meta.url);
const raw = createRequire(requireFromHere.resolve("@duckdb/node-api"))("@duckdb/node-bindings") as RawVectors;

/** The bytes of column `c` of a chunk; copied only if DuckDB's buffer is not aligned for `width`. */
function columnBytes(chunk: DuckDBDataChunk, c: number, width: number): Uint8Array {
  const bytes = raw.vector_get_data(raw.data_chunk_get_vector(chunk.chunk, c), chunk.rowCount * width);
  return bytes.byteOffset % width === 0 ? bytes : bytes.slice();
}

/** Column `c` (DOUBLE, no NULLs) of a chunk, as a view valid while the chunk is. */
function float64Column(chunk: DuckDBDataChunk, c: number): Float64Array {
  const bytes = columnBytes(chunk, c, 8);
  return new Float64Array(bytes.buffer, bytes.byteOffset, chunk.rowCount);
}

/** Column `c` (INTEGER, no NULLs) of a chunk, as a view valid while the chunk is. */
export function int32Column(chunk: DuckDBDataChunk, c: number): Int32Array {
  const bytes = columnBytes(chunk, c, 4);
  return new Int32Array(bytes.buffer, bytes.byteOffset, chunk.rowCount);
}

/**
 * Copies a materialised DOUBLE result's chunks into columns of its length. Fetching (rather than
 * getChunk) moves each chunk out of the result, so DuckDB frees its copy as the columns fill:
 * taken by index, the whole result stayed alive beside the columns (+60 MB at 1M rows × 9).
 */
export async function fillColumns(result: DuckDBMaterializedResult, ncols: number): Promise<Float64Array[]> {
  const columns = Array.from({ length: ncols }, () => residentF64(result.rowCount, "a column of the file"));
  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    for (let c = 0; c < ncols; c++) columns[c].set(float64Column(chunk, c), offset);
    offset += chunk.rowCount;
  }
  return columns;
}

/** An ArrayBuffer that grows in place (ES2024; typed here because the project's lib is ES2022). */
interface GrowableBuffer extends ArrayBuffer {
  resize(byteLength: number): void;
}
const Growable = ArrayBuffer as unknown as new (byteLength: number, options: { maxByteLength: number }) => GrowableBuffer;

/** The most a growable buffer may reserve in Node 20 (4 GiB: 536,870,912 float64 rows). */
const MAX_GROWABLE_BYTES = 2 ** 32;
const FIRST_ROWS = 2 ** 20;

/**
 * Copies a streamed DOUBLE result's chunks into columns whose length is found by reading them
 * (no counting pass over the file first). Each column fills a buffer that grows in place; once
 * the stream ends, each is copied into its exact-length array and its buffer given back before
 * the next: memory holds the columns once, plus one column, never DuckDB's materialised copy.
 * The growable buffers are not handed on because V8 indexes them more slowly than plain ones.
 */
export async function fillStreamedColumns(result: DuckDBResult, ncols: number): Promise<Float64Array[]> {
  const buffers = Array.from({ length: ncols }, () => new Growable(FIRST_ROWS * 8, { maxByteLength: MAX_GROWABLE_BYTES }));
  let capacity = FIRST_ROWS;
  let offset = 0;
  try {
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      if (offset + chunk.rowCount > capacity) {
        capacity = Math.min(2 * capacity, MAX_GROWABLE_BYTES / 8);
        if (offset + chunk.rowCount > capacity) {
          throw new InputError("file", `the file has more than ${capacity.toLocaleString("en-US")} rows, more than one column can hold; split it into smaller files`);
        }
        for (const buffer of buffers) buffer.resize(capacity * 8);
      }
      for (let c = 0; c < ncols; c++) new Float64Array(buffers[c], offset * 8, chunk.rowCount).set(float64Column(chunk, c));
      offset += chunk.rowCount;
    }
    return buffers.map((buffer) => {
      const column = residentF64(offset, "a column of the file");
      column.set(new Float64Array(buffer, 0, offset));
      buffer.resize(0);
      return column;
    });
  } finally {
    for (const buffer of buffers) buffer.resize(0);
  }
}
