/**
 * Reads a data file into a Frame: CSV, gzip CSV and Parquet through an in-memory DuckDB,
 * Arrow IPC (DuckDB has no offline IPC reader) through apache-arrow. Reading is lossless or
 * fails: truncated gzip and Arrow inputs are refused, CSV column types come from the whole file,
 * and the file name is taken as written (see literal-path.ts).
 *
 * DuckDB does the heavy lifting so no per-row JS values are made: numbers come out as
 * float64 with NaN for NULL, and text is dictionary-encoded inside DuckDB (levels in order
 * of first appearance, codes by a join), so JS only copies typed buffers and decodes each
 * distinct level once.
 */
import { stat, access, readFile } from "node:fs/promises";
import { constants } from "node:fs";
import { resolve } from "node:path";
import { InputError } from "../core/errors.js";
import type { Frame } from "./frame.js";
import { missingColumnsError } from "./select.js";
import { withLiteralPath } from "./literal-path.js";
import { verifyGzip } from "./readers/gzip-check.js";
import { ipcIncompleteness } from "./readers/ipc-check.js";

const SUPPORTED = ".csv, .csv.gz, .parquet, .arrow, .feather, .ipc";

type Format = "csv" | "parquet" | "ipc";

export interface ReadOptions {
  /**
   * Called with the file's row count before any column is read where the file records it
   * (Parquet's footer), else as soon as the rows are read; a throw refuses the file (size-check.ts).
   */
  readonly checkRows?: (rows: number) => void;
}

/** A file name, taken literally, or (`{ glob }`) a pattern whose files are read as one table. */
export type DataSource = string | { readonly glob: string };

/**
 * Reads `columns` (all when omitted, in file order) of the file at `source`.
 * Numeric types (integers, floats, decimals, booleans as 0/1) become numeric columns; text and
 * everything else become categorical, as do integers beyond 2^53 (kept exactly, as text).
 */
export async function readFrame(source: DataSource, columns?: readonly string[], options: ReadOptions = {}): Promise<Frame> {
  const wanted = columns ? [...new Set(columns)] : undefined;
  const { checkRows } = options;
  const frame = await readSource(source, wanted, checkRows);
  if (checkRows && !(typeof source === "string" && formatOf(source) === "parquet")) checkRows(frame.nrows);
  return frame;
}

async function readSource(source: DataSource, wanted: readonly string[] | undefined, checkRows: ReadOptions["checkRows"]): Promise<Frame> {
  if (typeof source !== "string") return readGlob(source.glob, wanted);
  const path = source;
  const format = formatOf(path);
  await assertReadable(path);
  if (format === "ipc") return readIpc(path, wanted);
  // DuckDB's native module takes about a second to load: only commands that read CSV or Parquet pay it.
  const { readWithDuckDB } = await import("./readers/duckdb.js");
  const suffix = path.toLowerCase().endsWith(".gz") ? ".csv.gz" : `.${format}`;
  return readVerified(
    withLiteralPath(path, suffix, async (literal) => {
      if (checkRows && format === "parquet") checkRows(await (await import("./size-check.js")).parquetRowCount(literal, path));
      return readWithDuckDB({ path, literal, format }, wanted);
    }),
    suffix === ".csv.gz" ? [path] : [],
  );
}

/** The files a source reads: the one file named, or every file its pattern matches (for refusing an output that is one of them). */
export async function sourceFiles(source: DataSource): Promise<string[]> {
  if (typeof source === "string") return [source];
  const { globFiles } = await import("./readers/duckdb.js");
  return (await globFiles(resolve(source.glob))).files;
}

/** The files matching `pattern` (DuckDB's glob: *, ?, [..], ** for any folders), read as one table. */
async function readGlob(pattern: string, columns: readonly string[] | undefined): Promise<Frame> {
  const { readWithDuckDB, globFiles } = await import("./readers/duckdb.js");
  const absolute = resolve(pattern);
  const { files, bytes } = await globFiles(absolute);
  if (files.length === 0) {
    throw new InputError("file", `no files match "${pattern}"; check the pattern (relative patterns start from ${process.cwd()})`);
  }
  const formats = new Set(files.map(formatOf));
  const format = [...formats][0];
  if (formats.size > 1 || format === "ipc") {
    throw new InputError(
      "file",
      `cannot read the files matching "${pattern}" as one table: a pattern reads CSV (and gzip CSV) or Parquet files, one kind at a time ` +
        `(matched ${files.slice(0, 3).join(", ")}${files.length > 3 ? ", …" : ""})`,
    );
  }
  const gzipped = files.filter((f) => f.toLowerCase().endsWith(".gz"));
  return readVerified(readWithDuckDB({ path: `the ${files.length} files matching "${pattern}"`, literal: absolute, format, bytes, glob: true }, columns), gzipped);
}

/**
 * The frame `read` gives, once every gzip file in `gzipped` has passed its integrity check (run
 * meanwhile). A failed check is the error reported, whatever DuckDB made of the damaged file.
 */
async function readVerified(read: Promise<Frame>, gzipped: readonly string[]): Promise<Frame> {
  const [frame, ...checks] = await Promise.allSettled([read, ...gzipped.map(verifyGzip)]);
  for (const check of checks) if (check.status === "rejected") throw check.reason;
  if (frame.status === "rejected") throw frame.reason;
  return frame.value;
}

function formatOf(path: string): Format {
  const lower = path.toLowerCase();
  if (lower.endsWith(".csv") || lower.endsWith(".csv.gz")) return "csv";
  if (lower.endsWith(".parquet")) return "parquet";
  if (lower.endsWith(".arrow") || lower.endsWith(".feather") || lower.endsWith(".ipc")) return "ipc";
  throw new InputError("file", `cannot read "${path}": unsupported file type; absorb reads ${SUPPORTED} files`);
}

async function assertReadable(path: string): Promise<void> {
  try {
    if (!(await stat(path)).isFile()) {
      throw new InputError("file", `cannot read "${path}": it is not a file; pass the path of a ${SUPPORTED} file`);
    }
    await access(path, constants.R_OK);
  } catch (err) {
    if (err instanceof InputError) throw err;
    const code = (err as NodeJS.ErrnoException).code;
    const hint =
      code === "ENOENT"
        ? `no such file; check the path (relative paths start from ${process.cwd()})`
        : code === "EACCES"
          ? "permission denied; check the file's permissions"
          : (err as Error).message;
    throw new InputError("file", `cannot read "${path}": ${hint}`);
  }
}

async function readIpc(path: string, columns: readonly string[] | undefined): Promise<Frame> {
  // apache-arrow takes a fifth of a second to load: only IPC reads pay for it here.
  const [{ tableFromIPC }, { frameFromArrow }] = await Promise.all([import("apache-arrow"), import("./readers/arrow.js")]);
  let table;
  const bytes = await readFile(path);
  const incomplete = ipcIncompleteness(bytes);
  if (incomplete !== null) {
    throw new InputError("file", `cannot read "${path}": it is ${incomplete}; write it again (every Arrow writer ends a stream with the marker)`);
  }
  try {
    table = tableFromIPC(bytes);
  } catch (err) {
    throw new InputError(
      "file",
      `cannot read "${path}" as Arrow IPC (${(err as Error).message}); write it as an Arrow IPC file or stream ` +
        `(Feather v2), or convert it to Parquet or CSV`,
    );
  }
  const available = table.schema.fields.map((f) => f.name);
  const missing = (columns ?? []).filter((name) => !available.includes(name));
  if (missing.length > 0) throw missingColumnsError(missing, available, path);
  return frameFromArrow(columns ? table.select([...columns]) : table);
}

