/**
 * The CSV / gzip CSV / Parquet half of readFrame: an in-memory DuckDB per read. Numbers come
 * out as float64 with NaN for NULL, copied from DuckDB's vectors in bulk; text is
 * dictionary-encoded inside DuckDB, so JS decodes each distinct level once.
 */
import { stat } from "node:fs/promises";
import type * as DuckDB from "@duckdb/node-api";
import type { DuckDBConnection, DuckDBMaterializedResult } from "@duckdb/node-api";
import { InputError } from "../../core/errors.js";
import { vendored } from "../../core/vendored.js";
import { withArenaSync } from "../../engine/shared.js";
import { placeF64 } from "../../engine/resident.js";
import { sqlIdentifier, sqlString } from "../sql.js";
import type { Column, Frame } from "../frame.js";
import { missingColumnsError } from "../select.js";
import { StreamCutShort, fillColumns, int32Column } from "./duckdb-chunks.js";
import { sniffedCsv } from "./csv-sniff.js";
import { DEFAULT_EXPECTED_ROWS, csvRowEstimate, parquetRowsQuery } from "./expected-rows.js";

/**
 * @duckdb/node-api, from its bundle (core/vendored.ts): its ~40 files loaded one by one took 16 ms
 * more of the main thread, and an import of the CommonJS package would first have Node scan each
 * file for export names (~0.1–0.2 s here, before any read can start).
 */
export const duckdb = vendored<typeof DuckDB>("duckdb.cjs", "@duckdb/node-api")();
const { DuckDBTypeId } = duckdb;
type DuckDBTypeId = DuckDB.DuckDBTypeId;

/** What a stream may hold ahead of its reader: DuckDB's default (about 1 MB) leaves its scan threads idle. */
const STREAM_BUFFER = "32MB";

/** What to read: `literal` is the name DuckDB is given, `path` how errors name it. */
export interface DuckDBSource {
  readonly path: string;
  readonly literal: string;
  readonly format: "csv" | "parquet";
  /** Total size, when known (several files); otherwise the size of the file at `literal`. */
  readonly bytes?: number;
  /** `literal` is a pattern matching several files (sniff_csv reads one file only). */
  readonly glob?: boolean;
}

/**
 * DuckDB reads only local files for absorb: extensions (httpfs for http:// and s3://, …) are
 * never downloaded or loaded behind the user's back.
 */
const INSTANCE_OPTIONS = { autoinstall_known_extensions: "false", autoload_known_extensions: "false" };

/** An in-memory DuckDB that touches no network and loads no extension. */
export async function localDuckDB(): Promise<DuckDB.DuckDBInstance> {
  return duckdb.DuckDBInstance.create(":memory:", INSTANCE_OPTIONS);
}

export async function readWithDuckDB(src: DuckDBSource, columns: readonly string[] | undefined): Promise<Frame> {
  const instance = await localDuckDB();
  try {
    const connection = await instance.connect();
    try {
      await connection.run(`SET streaming_buffer_size = '${STREAM_BUFFER}'`);
      const session = new Session(connection, src.path);
      const rows = await expectedRows(session, src);
      try {
        return await readTyped(session, src, columns, "sample", rows);
      } catch (err) {
        if (src.format !== "csv" || !(isConversionFailure(err) || err instanceof SampledTypesMisled)) throw err;
        return await readTyped(session, src, columns, "whole-file", rows);
      }
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/** The rows to make room for before reading `src` (expected-rows.ts). */
async function expectedRows(session: Session, src: DuckDBSource): Promise<number> {
  if (src.format === "parquet") return Number((await (await session.run(parquetRowsQuery(src.literal))).getRows())[0][0]);
  if (src.glob || src.literal.toLowerCase().endsWith(".gz")) return DEFAULT_EXPECTED_ROWS;
  return csvRowEstimate(src.literal, (await stat(src.literal)).size);
}

/** The files DuckDB's glob finds for `pattern`, sorted, with their total size. */
export async function globFiles(pattern: string): Promise<{ files: string[]; bytes: number }> {
  const instance = await localDuckDB();
  try {
    const connection = await instance.connect();
    try {
      const rows = (await connection.runAndReadAll(`SELECT file FROM glob(${sqlString(pattern)}) ORDER BY file`)).getRows();
      const files = rows.map((r) => String(r[0]));
      let bytes = 0;
      for (const f of files) bytes += (await stat(f)).size;
      return { files, bytes };
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

/**
 * How absorb reads CSV. Columns are never typed integer (a column that looks integer for
 * DuckDB's sample and then holds 12.5 would read it as 13): numbers are DOUBLE, exact for every
 * integer up to 2^53 (beyond that, see exactIntegerText). A value later in the file that does not
 * fit the sampled type fails the read, and a column typed text only because the sample saw it
 * empty is caught after it (SampledTypesMisled); either way the read is retried with the types
 * found by sniffing the whole file. So the sample only has to be large enough to find the
 * dialect and make retries rare: 2,048 rows sniff in a third of the time of DuckDB's default
 * 20,480. `NA` (R's missing) is missing, like an empty field.
 */
function csvOptions(typing: Typing): string {
  const sample = typing === "whole-file" ? -1 : SAMPLE_ROWS;
  return `, nullstr = ['', 'NA'], auto_type_candidates = ['BOOLEAN', 'DOUBLE', 'VARCHAR'], sample_size = ${sample}, buffer_size = ${CSV_BUFFER_BYTES}`;
}

/** The rows DuckDB sniffs a CSV file's dialect and column types from. */
const SAMPLE_ROWS = 2048;

/**
 * The file buffers DuckDB's CSV scan works through: a quarter of its default (32 MB) scans a
 * 1M-row panel as fast and peaks 65 MB lower. Still four times DuckDB's longest line (2 MB).
 */
const CSV_BUFFER_BYTES = 8 * 2 ** 20;

/** The table function reading `src` with DuckDB's own detection (for CSV, a sniff each time it is planned and run). */
function tableFunction(src: DuckDBSource, options = ""): string {
  return src.format === "csv" ? `read_csv(${sqlString(src.literal)}${csvOptions("sample")}${options})` : `read_parquet(${sqlString(src.literal)})`;
}

/** How CSV column types are found: from DuckDB's sample (fast), or from the whole file (a second full pass). */
type Typing = "sample" | "whole-file";

/**
 * A column DuckDB typed text from the sample holds only values that read as numbers or booleans:
 * the sample saw it empty (DuckDB then types it text, whatever follows), and the whole file's
 * types may differ.
 */
class SampledTypesMisled extends Error {}

/** Whether a read failed because a value did not fit the type sniffed from the sample. */
function isConversionFailure(err: unknown): boolean {
  return err instanceof InputError && /Conversion Error|Could not convert/.test(err.message);
}

/**
 * Reads `src` with its columns typed by `typing`. One CSV file is sniffed once and read with what
 * was found spelled out (csv-sniff.ts); should that read fail other than on a value that does not
 * fit its type, DuckDB's own detection reads the file instead, and has the last word on the error.
 */
async function readTyped(
  session: Session,
  src: DuckDBSource,
  columns: readonly string[] | undefined,
  typing: Typing,
  expectedRows: number,
): Promise<Frame> {
  const read = (source: Source) => readSource(session, src, source, columns, { sampled: src.format === "csv" && typing === "sample", expectedRows });
  // Parquet's expected rows are its footers' count: exact.
  if (src.format === "parquet") return read({ sql: tableFunction(src), rows: expectedRows });
  if (!src.glob) {
    try {
      const csv = await sniffedCsv((sql) => session.run(sql), src.literal, csvOptions(typing));
      return await read({ sql: csv(""), tolerant: csv(TOLERATE_BAD_ROWS) });
    } catch (err) {
      if (!(err instanceof InputError) || err.kind !== "file" || isConversionFailure(err)) throw err;
    }
  }
  if (typing === "sample") return read({ sql: tableFunction(src) });
  // The whole-file types are passed on, so the read itself does not sniff the whole file again.
  const probe = await session.run(`SELECT * FROM ${tableFunction(src, ", sample_size = -1")} LIMIT 0`);
  const types = probe.columnNames().map((name, i) => `${sqlString(name)}: '${probe.columnType(i).toString()}'`);
  return read({ sql: tableFunction(src, `, types = {${types.join(", ")}}`) });
}

/**
 * A table function (or table) to read, and how a streamed read of it shows it reached the end.
 * DuckDB's C API ends a stream that failed midway (a value that does not convert, a malformed
 * line, a damaged page) as if it were exhausted, and the Node bindings do not expose the error:
 * a stream taken at its word could be a silently truncated file. So a query is streamed only
 * when its end can be checked, and materialised otherwise (DuckDB then reports any error).
 * A row of "NaN"s marking the end (UNION ALL keeps order) was tried: it doubles the scan's CPU.
 */
interface Source {
  readonly sql: string;
  /**
   * The same read recording the rows it cannot read in REJECTS instead of failing: an empty
   * table at the end is a complete read. Only for reads with the dialect spelled out, so the
   * tolerance cannot change what a sniffer finds.
   */
  readonly tolerant?: string;
  /** Its exact row count (Parquet's footers, a table's count). */
  readonly rows?: number;
}

/** Where a tolerant CSV read records the rows it could not read (one is enough to know). */
const REJECTS = "absorb_rejects";
const TOLERATE_BAD_ROWS = `, ignore_errors = true, store_rejects = true, rejects_table = '${REJECTS}', rejects_scan = '${REJECTS}_scans', rejects_limit = 1`;

/** A connection whose failures are reported as problems with the file being read. */
class Session {
  constructor(
    private readonly connection: DuckDBConnection,
    readonly path: string,
  ) {}

  async run(sql: string): Promise<DuckDBMaterializedResult> {
    try {
      return await this.connection.run(sql);
    } catch (err) {
      throw this.failure(err);
    }
  }

  /**
   * The `ncols` columns of DOUBLE query `select(source)` (no NULLs: they were coalesced to NaN),
   * in one pass over the file, with room for `rows` rows at first. Streamed where its end can be
   * checked (see Source), so DuckDB never holds the whole result and memory holds the columns
   * once, at the speed of a materialised read (STREAM_BUFFER keeps DuckDB's threads busy).
   */
  async readDoubles(select: (from: string) => string, source: Source, ncols: number, rows: number): Promise<Float64Array[]> {
    const exact = source.rows;
    try {
      if (source.tolerant !== undefined) {
        return await fillColumns(await this.connection.stream(select(source.tolerant)), ncols, rows, () => this.noRejects());
      }
      if (exact !== undefined) return await fillColumns(await this.connection.stream(select(source.sql)), ncols, rows, async (n) => n === exact);
      return await fillColumns(await this.connection.run(select(source.sql)), ncols, rows);
    } catch (err) {
      if (!(err instanceof StreamCutShort)) throw err instanceof InputError ? err : this.failure(err);
    }
    // The stream failed without saying why: read again, strictly, summing every column (so each
    // is converted, but nothing is kept), for DuckDB to report the error (readWithDuckDB
    // retries with whole-file types on a value that does not convert).
    await this.run(`SELECT sum(COLUMNS(*)) FROM (${select(source.sql)})`);
    throw new InputError("file", `cannot read "${this.path}": DuckDB's stream of it stopped early, and reading it whole did not fail; try again`);
  }

  /** Whether the last tolerant read recorded no row it could not read (the record is emptied for the next). */
  private async noRejects(): Promise<boolean> {
    const count = Number((await (await this.run(`SELECT count(*) FROM ${REJECTS}`)).getRows())[0][0]);
    if (count > 0) await this.run(`DELETE FROM ${REJECTS}`);
    return count === 0;
  }

  private failure(err: unknown): InputError {
    return new InputError("file", `cannot read "${this.path}": ${(err as Error).message}`);
  }
}

/** DuckDB types read as numbers (the rest are categories). */
export const NUMERIC_TYPES = new Set<DuckDB.DuckDBTypeId>([
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

/** Integer types whose values can pass 2^53, where float64 stops telling neighbours apart. */
const WIDE_INTEGER_TYPES = new Set<DuckDB.DuckDBTypeId>([DuckDBTypeId.BIGINT, DuckDBTypeId.HUGEINT, DuckDBTypeId.UBIGINT, DuckDBTypeId.UHUGEINT]);

/** How a read of `src` goes: whether its types come from a CSV sample, and the rows to make room for. */
interface ReadPlan {
  readonly sampled: boolean;
  readonly expectedRows: number;
}

/** Reads `columns` of `source` (which reads `src`). */
async function readSource(session: Session, src: DuckDBSource, source: Source, columns: readonly string[] | undefined, plan: ReadPlan): Promise<Frame> {
  const probe = await session.run(`SELECT * FROM ${source.sql} LIMIT 0`);
  const available = probe.columnNames();
  const names = columns ?? available;
  const missing = names.filter((name) => !available.includes(name));
  if (missing.length > 0) throw missingColumnsError(missing, available, session.path);
  if (names.length === 0) return { nrows: await countRows(session, source.sql), columns: new Map() };
  const types = names.map((name) => probe.columnTypeId(available.indexOf(name)));
  const numeric = types.map((type) => NUMERIC_TYPES.has(type));

  // Columns are renamed c0, c1, … so no user-supplied name is spliced into SQL after this.
  const exprs = names
    .map((name, i) =>
      numeric[i]
        ? `COALESCE(CAST(${sqlIdentifier(name)} AS DOUBLE), 'NaN'::DOUBLE) AS c${i}`
        : `CAST(${sqlIdentifier(name)} AS VARCHAR) AS c${i}`,
    )
    .join(", ");
  const frameColumns = new Map<string, Column>();
  let nrows: number;
  if (numeric.every(Boolean)) {
    const read = await session.readDoubles((from) => `SELECT ${exprs} FROM ${from}`, source, names.length, plan.expectedRows);
    nrows = read[0].length;
    read.forEach((values, i) => frameColumns.set(names[i], { kind: "numeric", values }));
  } else {
    // Text columns are scanned several times (levels, then codes), so parse the file once.
    await session.run(`CREATE OR REPLACE TEMP TABLE t AS SELECT ${exprs} FROM ${source.sql}`);
    if (plan.sampled) for (let i = 0; i < names.length; i++) if (!numeric[i]) await assertTextIsText(session, "t", `c${i}`);
    nrows = await countRows(session, "t");
    const numericIndex = names.map((_, i) => i).filter((i) => numeric[i]);
    const select = (from: string) => `SELECT ${numericIndex.map((i) => `c${i}`).join(", ")} FROM ${from}`;
    const doubles = numericIndex.length > 0 ? await session.readDoubles(select, { sql: "t", rows: nrows }, numericIndex.length, nrows) : [];
    for (let i = 0; i < names.length; i++) {
      frameColumns.set(
        names[i],
        numeric[i]
          ? { kind: "numeric", values: doubles[numericIndex.indexOf(i)] }
          : { kind: "categorical", ...(await encodeText(session, "t", `c${i}`, nrows)) },
      );
    }
  }
  // Ids beyond 2^53 (20-digit firm codes, 64-bit hashes) would merge as float64: such columns are
  // read again as their exact text. Checked on the doubles already read, so ordinary data pays nothing.
  for (let i = 0; i < names.length; i++) {
    const column = frameColumns.get(names[i])!;
    const wide = WIDE_INTEGER_TYPES.has(types[i]) || (src.format === "csv" && types[i] === DuckDBTypeId.DOUBLE);
    if (column.kind !== "numeric" || !wide || !mayHoldInexactIntegers(column.values)) continue;
    const exact = await exactIntegerText(session, src, source.sql, names[i], types[i] === DuckDBTypeId.DOUBLE, nrows);
    if (exact) frameColumns.set(names[i], exact);
  }
  return { nrows, columns: frameColumns };
}

/**
 * Every value a whole number and some beyond ±2^53: the column may be ids float64 cannot hold
 * apart. One int_range pass over the column where it lies (a JavaScript loop over a read's
 * integer columns took 11 ms of a 1M-row read, its code still cold); an infinite value is not a
 * whole number.
 */
function mayHoldInexactIntegers(values: Float64Array): boolean {
  const [lo, hi, integral] = withArenaSync((arena, k) => {
    const out = arena.allocF64(3, "an integer range");
    k.int_range(values.length, placeF64(arena, values, "a column read"), 0, out);
    return arena.f64(out, 3).slice();
  });
  return integral === 1 && Number.isFinite(lo) && Number.isFinite(hi) && (hi >= 2 ** 53 || lo <= -(2 ** 53));
}

/**
 * Column `name` as dictionary-encoded exact text. A CSV column DuckDB typed DOUBLE is re-read
 * as the file's text and kept as text only if every value is an integer literal (so 1e20 stays a
 * number); integer types cast to text exactly. Returns null when the column stays numeric.
 */
async function exactIntegerText(session: Session, src: DuckDBSource, source: string, name: string, fromDouble: boolean, nrows: number): Promise<Column | null> {
  const table = fromDouble ? tableFunction(src, ", all_varchar = true") : source;
  await session.run(`CREATE OR REPLACE TEMP TABLE exact AS SELECT trim(CAST(${sqlIdentifier(name)} AS VARCHAR)) AS v FROM ${table}`);
  if (fromDouble) {
    const check = await session.run(`SELECT count(*) FROM exact WHERE v IS NOT NULL AND NOT regexp_full_match(v, '[+-]?[0-9]+')`);
    if (Number((await check.getRows())[0][0]) > 0) return null;
  }
  return { kind: "categorical", ...(await encodeText(session, "exact", "v", nrows)) };
}

async function countRows(session: Session, from: string): Promise<number> {
  return Number((await (await session.run(`SELECT CAST(count(*) AS DOUBLE) FROM ${from}`)).getRows())[0][0]);
}

/**
 * Throws SampledTypesMisled when text column `col` of `table` (typed text from a CSV sample)
 * holds values and every one reads as a number or a boolean. A column with a word in it stops
 * the scan there, in the sample's rows for any column the sample saw filled.
 */
async function assertTextIsText(session: Session, table: string, col: string): Promise<void> {
  const filled = `${col} IS NOT NULL`;
  const word = `${filled} AND TRY_CAST(${col} AS DOUBLE) IS NULL AND TRY_CAST(${col} AS BOOLEAN) IS NULL`;
  const found = await session.run(`SELECT EXISTS (SELECT 1 FROM ${table} WHERE ${word}), EXISTS (SELECT 1 FROM ${table} WHERE ${filled})`);
  const [hasWord, hasValue] = (await found.getRows())[0];
  if (!hasWord && hasValue) throw new SampledTypesMisled(`column ${col} was typed text from a sample that saw it empty`);
}

/**
 * Dictionary-encodes text column `col` of table t inside DuckDB: a level table numbered by
 * first appearance (the rowid is its insertion order), then each row's code by a join. The
 * join's rows come back in no particular order, so each carries its rowid and is scattered
 * into place here: cheaper than having DuckDB sort them.
 */
async function encodeText(session: Session, table: string, col: string, nrows: number): Promise<{ codes: Int32Array; levels: string[] }> {
  const levelTable = `l_${table}_${col}`;
  await session.run(
    `CREATE OR REPLACE TEMP TABLE ${levelTable} AS SELECT ${col} AS v, ` +
      `CAST(row_number() OVER (ORDER BY min(rowid)) - 1 AS INTEGER) AS code ` +
      `FROM ${table} WHERE ${col} IS NOT NULL GROUP BY ${col}`,
  );
  const levels: string[] = [];
  const levelRows = await session.run(`SELECT v FROM ${levelTable} ORDER BY code`);
  for (let k = 0; k < levelRows.chunkCount; k++) {
    const vector = levelRows.getChunk(k).getColumnVector(0);
    for (let i = 0; i < vector.itemCount; i++) levels.push(String(vector.getItem(i)));
  }
  const pairs = await session.run(
    `SELECT CAST(t.rowid AS INTEGER), l.code FROM ${table} AS t JOIN ${levelTable} AS l ON t.${col} = l.v`,
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
