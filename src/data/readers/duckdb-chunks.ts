/**
 * DuckDB result chunks into typed columns. Each chunk's vector bytes are copied once, straight
 * into the column's place in the shared WebAssembly memory (engine/resident.ts), where the fit's
 * kernels read it without another copy; nothing per row is made in JavaScript.
 */
import type { DuckDBDataChunk, DuckDBResult } from "@duckdb/node-api";
import { ResidentTableBuilder } from "../../engine/resident.js";
import { requireBeside } from "../../core/vendored.js";

/**
 * The raw-vector half of DuckDB's bindings, required as the DuckDB bundle requires them, so it is
 * the very copy that produced the chunks. The high-level API only hands out values one at a time.
 */
interface RawVectors {
  data_chunk_get_vector(chunk: DuckDBDataChunk["chunk"], column: number): unknown;
  vector_get_data(vector: unknown, byteCount: number): Uint8Array;
}
const raw = requireBeside("duckdb.cjs")("@duckdb/node-bindings") as RawVectors;

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
 * Copies a DOUBLE result's chunks into resident columns whose length is found by reading them
 * (no counting pass over the file first), side by side in one block of the shared memory sized
 * for `expectedRows` (a resident table), which grows inside the heap should the result run longer. Streamed, DuckDB
 * never holds the whole result, and no JavaScript buffer holds a column: memory holds the
 * columns once. `reachedEnd`, asked with the row count once the chunks stop, tells a stream that
 * ended from one cut short by an error (see Session.readDoubles): a false answer fails the read
 * with StreamCutShort. On any failure the block goes back to the heap.
 */
export async function fillColumns(
  result: DuckDBResult,
  ncols: number,
  expectedRows: number,
  reachedEnd: (rows: number) => Promise<boolean> = async () => true,
): Promise<Float64Array[]> {
  const table = new ResidentTableBuilder(ncols, expectedRows, "the columns of the file");
  try {
    let rows = 0;
    for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
      table.append(Array.from({ length: ncols }, (_, c) => float64Column(chunk, c)));
      rows += chunk.rowCount;
    }
    if (!(await reachedEnd(rows))) throw new StreamCutShort(`the stream stopped after ${rows} rows`);
    return table.finish();
  } finally {
    table.discard();
  }
}

/** A stream ended before its end: it failed, and the error is DuckDB's to tell. */
export class StreamCutShort extends Error {}
