/**
 * The CSV / gzip CSV / Parquet half of readFrame: an in-memory DuckDB per read. Numbers come
 * out as float64 with NaN for NULL, copied from DuckDB's vectors in bulk; text is
 * dictionary-encoded inside DuckDB, so JS decodes each distinct level once.
 */
import { createRequire } from "node:module";
import { stat } from "node:fs/promises";
import {
  DuckDBInstance,
  DuckDBTypeId,
  type DuckDBConnection,
  type DuckDBDataChunk,
  type DuckDBMaterializedResult,
  type DuckDBResult,
} from "@duckdb/node-api";
import { InputError } from "../errors.js";
import type { Column, Frame } from "./frame.js";
import { missingColumnsError } from "./select.js";

/** Files above this size (a quarter of it when compressed) are streamed to bound memory. */
const STREAM_ABOVE_BYTES = 512 * 2 ** 20;

export async function readWithDuckDB(path: string, format: "csv" | "parquet", columns: readonly string[] | undefined): Promise<Frame> {
  const source = `${format === "csv" ? "read_csv" : "read_parquet"}(${sqlString(path)})`;
  const instance = await DuckDBInstance.create(":memory:");
  try {
    const connection = await instance.connect();
    try {
      const { size } = await stat(path);
      const streaming = size > (path.toLowerCase().endsWith(".csv") ? STREAM_ABOVE_BYTES : STREAM_ABOVE_BYTES / 4);
      return await readSource(new Session(connection, path, streaming), source, columns);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** A connection whose failures are reported as problems with the file being read. */
class Session {
  constructor(
    private readonly connection: DuckDBConnection,
    readonly path: string,
    /** Stream results chunk by chunk (less memory, but DuckDB then scans on one thread). */
    private readonly streaming: boolean,
  ) {}

  async run(sql: string): Promise<DuckDBMaterializedResult> {
    try {
      return await this.connection.run(sql);
    } catch (err) {
      throw this.failure(err);
    }
  }

  /**
   * Every column of a DOUBLE query (no NULLs: they were coalesced to NaN). Streamed, DuckDB
   * never holds the whole result, so memory holds the columns once rather than DuckDB's
   * materialised copy and its scan buffers on top; materialised, DuckDB scans in parallel,
   * about twice as fast.
   */
  async readDoubles(sql: string, ncols: number): Promise<{ nrows: number; columns: Float64Array[] }> {
    try {
      if (!this.streaming) {
        const result = await this.connection.run(sql);
        return fillColumns(result, result.rowCount, ncols);
      }
      // Counting first costs a second scan but lets every chunk go straight into its final
      // place: memory holds the columns once, not twice.
      const counted = await this.connection.run(`SELECT CAST(count(*) AS DOUBLE) FROM (${sql})`);
      const nrows = (await fillColumns(counted, 1, 1)).columns[0][0];
      return await fillColumns(await this.connection.stream(sql), nrows, ncols);
    } catch (err) {
      throw err instanceof InputError ? err : this.failure(err);
    }
  }


  private failure(err: unknown): InputError {
    return new InputError("file", `cannot read "${this.path}": ${(err as Error).message}`);
  }
}

/** DuckDB types read as numbers (the rest are categories). */
export const NUMERIC_TYPES = new Set<DuckDBTypeId>([
  DuckDBTypeId.BOOLEAN,
  DuckDBTypeId.TINYINT,
  DuckDBTypeId.SMALLINT,
  DuckDBTypeId.INTEGER,
  DuckDBTypeId.BIGINT,
  DuckDBTypeId.HUGEINT,
  DuckDBTypeId.UTINYINT,
  DuckDBTypeId.USMALLINT,
  DuckDBTypeId.UINTEGER,
  DuckDBTypeId.UBIGINT,
  DuckDBTypeId.UHUGEINT,
  DuckDBTypeId.FLOAT,
  DuckDBTypeId.DOUBLE,
  DuckDBTypeId.DECIMAL,
]);

async function readSource(session: Session, source: string, columns: readonly string[] | undefined): Promise<Frame> {
  const probe = await session.run(`SELECT * FROM ${source} LIMIT 0`);
  const available = probe.columnNames();
  const names = columns ?? available;
  const missing = names.filter((name) => !available.includes(name));
  if (missing.length > 0) throw missingColumnsError(missing, available, session.path);
  if (names.length === 0) return { nrows: await countRows(session, source), columns: new Map() };
  const numeric = names.map((name) => NUMERIC_TYPES.has(probe.columnTypeId(available.indexOf(name))));

  // Columns are renamed c0, c1, … so no user-supplied name is spliced into SQL after this.
  const exprs = names
    .map((name, i) =>
      numeric[i]
        ? `COALESCE(CAST(${sqlIdentifier(name)} AS DOUBLE), 'NaN'::DOUBLE) AS c${i}`
        : `CAST(${sqlIdentifier(name)} AS VARCHAR) AS c${i}`,
    )
    .join(", ");
  const frameColumns = new Map<string, Column>();
  if (numeric.every(Boolean)) {
    const { nrows, columns: doubles } = await session.readDoubles(`SELECT ${exprs} FROM ${source}`, names.length);
    doubles.forEach((values, i) => frameColumns.set(names[i], { kind: "numeric", values }));
    return { nrows, columns: frameColumns };
  }

  // Text columns are scanned several times (levels, then codes), so parse the file once.
  await session.run(`CREATE TEMP TABLE t AS SELECT ${exprs} FROM ${source}`);
  const nrows = await countRows(session, "t");
  const numericIndex = names.map((_, i) => i).filter((i) => numeric[i]);
  const doubles =
    numericIndex.length > 0 ? (await session.readDoubles(`SELECT ${numericIndex.map((i) => `c${i}`).join(", ")} FROM t`, numericIndex.length)).columns : [];
  for (let i = 0; i < names.length; i++) {
    frameColumns.set(
      names[i],
      numeric[i]
        ? { kind: "numeric", values: doubles[numericIndex.indexOf(i)] }
        : { kind: "categorical", ...(await encodeText(session, `c${i}`, nrows)) },
    );
  }
  return { nrows, columns: frameColumns };
}

async function countRows(session: Session, from: string): Promise<number> {
  return (await session.readDoubles(`SELECT CAST(count(*) AS DOUBLE) FROM ${from}`, 1)).columns[0][0];
}

/**
 * Dictionary-encodes text column `col` of table t inside DuckDB: a level table numbered by
 * first appearance (t's rowid is its insertion order), then each row's code by a join. The
 * join's rows come back in no particular order, so each carries its rowid and is scattered
 * into place here: cheaper than having DuckDB sort them.
 */
async function encodeText(session: Session, col: string, nrows: number): Promise<{ codes: Int32Array; levels: string[] }> {
  const levelTable = `l_${col}`;
  await session.run(
    `CREATE TEMP TABLE ${levelTable} AS SELECT ${col} AS v, ` +
      `CAST(row_number() OVER (ORDER BY min(rowid)) - 1 AS INTEGER) AS code ` +
      `FROM t WHERE ${col} IS NOT NULL GROUP BY ${col}`,
  );
  const levels: string[] = [];
  const levelRows = await session.run(`SELECT v FROM ${levelTable} ORDER BY code`);
  for (let k = 0; k < levelRows.chunkCount; k++) {
    const vector = levelRows.getChunk(k).getColumnVector(0);
    for (let i = 0; i < vector.itemCount; i++) levels.push(String(vector.getItem(i)));
  }
  const pairs = await session.run(
    `SELECT CAST(t.rowid AS INTEGER), l.code FROM t JOIN ${levelTable} AS l ON t.${col} = l.v`,
  );
  const codes = new Int32Array(nrows).fill(-1);
  for (let k = 0; k < pairs.chunkCount; k++) {
    const chunk = pairs.getChunk(k);
    const rows = int32Column(chunk, 0);
    const values = int32Column(chunk, 1);
    for (let i = 0; i < rows.length; i++) codes[rows[i]] = values[i];
  }
  return { codes, levels };
}

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

/** Copies a DOUBLE result's chunks into `nrows`-long columns, chunk by chunk. */
async function fillColumns(result: DuckDBResult, nrows: number, ncols: number): Promise<{ nrows: number; columns: Float64Array[] }> {
  const columns = Array.from({ length: ncols }, () => new Float64Array(nrows));
  let offset = 0;
  for (let chunk = await result.fetchChunk(); chunk && chunk.rowCount > 0; chunk = await result.fetchChunk()) {
    if (offset + chunk.rowCount > nrows) throw new InputError("file", `the file changed while it was read (more than ${nrows} rows); read it again`);
    for (let c = 0; c < ncols; c++) {
      const bytes = columnBytes(chunk, c, 8);
      columns[c].set(new Float64Array(bytes.buffer, bytes.byteOffset, chunk.rowCount), offset);
    }
    offset += chunk.rowCount;
  }
  return { nrows: offset, columns: offset === nrows ? columns : columns.map((col) => col.subarray(0, offset)) };
}

/** Column `c` (INTEGER, no NULLs) of a chunk, as a view valid while the chunk is. */
function int32Column(chunk: DuckDBDataChunk, c: number): Int32Array {
  const bytes = columnBytes(chunk, c, 4);
  return new Int32Array(bytes.buffer, bytes.byteOffset, chunk.rowCount);
}

function sqlString(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

function sqlIdentifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}
