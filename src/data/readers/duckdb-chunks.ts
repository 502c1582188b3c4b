/**
 * DuckDB result chunks into typed columns. Each chunk's vector bytes are copied once, straight
 * into the column's place in the shared WebAssembly memory (engine/resident.ts), where the fit's
 * kernels read it without another copy; nothing per row is made in JavaScript.
 */
import { createRequire } from "node:module";
import type { DuckDBDataChunk, DuckDBResult } from "@duckdb/node-api";
import { ResidentF64Builder } from "../../engine/resident.js";

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
 * DuckDB's C API ends a stream that failed midway (a value that does not convert, a malformed
 * line) as if it were exhausted, and the Node bindings do not expose the error: read as it
 * stands, a stream cut short is a silently truncated file. So a stream carries one more column,
 * 0 on every row of `sql` (`ncols` DOUBLE columns), and one last row marked 1: UNION ALL keeps
 * the order of its inputs, so a stream that ends without that row did not reach the end.
 */
export function withEndMarker(sql: string, ncols: number): string {
  const missing = Array.from({ length: ncols }, () => "'NaN'::DOUBLE").join(", ");
  return `SELECT *, 0::DOUBLE FROM (${sql}) UNION ALL SELECT ${missing}, 1::DOUBLE`;
}

/** A stream of withEndMarker's query ended before its last row: it failed (the error is DuckDB's to tell). */
export class StreamCutShort extends Error {}

/**
 * Copies the chunks of a streamed withEndMarker query into resident columns whose length is
 * found by reading them (no counting pass over the file first): each fills a block of the
 * shared memory sized for `expectedRows`, which grows inside the heap should the stream run
 * longer. DuckDB never holds the whole result, and no JavaScript buffer holds a column: memory
 * holds the columns once. On an error, StreamCutShort included, every block goes back to the heap.
 */
export async function fillStreamedColumns(result: DuckDBResult, ncols: number, expectedRows: number): Promise<Float64Array[]> {
  const builders: ResidentF64Builder[] = [];
  try {
    for (let c = 0; c < ncols; c++) builders.push(new ResidentF64Builder(expectedRows, "a column of the file"));
    let ended = false;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      if (ended) throw new StreamCutShort("rows came after the end marker");
      // The marker row is last, so only the last row of a chunk can be it.
      ended = float64Column(chunk, ncols)[chunk.rowCount - 1] === 1;
      const rows = ended ? chunk.rowCount - 1 : chunk.rowCount;
      for (let c = 0; c < ncols; c++) builders[c].append(float64Column(chunk, c).subarray(0, rows));
    }
    if (!ended) throw new StreamCutShort("the stream ended before its end marker");
    return builders.map((builder) => builder.finish());
  } finally {
    for (const builder of builders) builder.discard();
  }
}
