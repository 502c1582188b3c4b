/**
 * Reads a data file into a Frame: CSV, gzip CSV and Parquet through an in-memory DuckDB,
 * Arrow IPC (DuckDB has no offline IPC reader) through apache-arrow.
 *
 * DuckDB does the heavy lifting so no per-row JS values are made: numbers come out as
 * float64 with NaN for NULL, and text is dictionary-encoded inside DuckDB (levels in order
 * of first appearance, codes by a join), so JS only copies typed buffers and decodes each
 * distinct level once.
 */
import { stat, access, readFile } from "node:fs/promises";
import { constants } from "node:fs";
import { InputError } from "../errors.js";
import type { Frame } from "./frame.js";
import { missingColumnsError } from "./select.js";

const SUPPORTED = ".csv, .csv.gz, .parquet, .arrow, .feather, .ipc";

type Format = "csv" | "parquet" | "ipc";

export interface ReadOptions {
  /**
   * Called with the file's row count before any column is read where the file records it
   * (Parquet's footer), else as soon as the rows are read; a throw refuses the file (size-check.ts).
   */
  readonly checkRows?: (rows: number) => void;
}

/**
 * Reads `columns` (all when omitted, in file order) of the file at `path`.
 * Numeric types (integers, floats, decimals, booleans as 0/1) become numeric columns; text and
 * everything else become categorical.
 */
export async function readFrame(path: string, columns?: readonly string[], options: ReadOptions = {}): Promise<Frame> {
  const format = formatOf(path);
  await assertReadable(path);
  const wanted = columns ? [...new Set(columns)] : undefined;
  const { checkRows } = options;
  if (checkRows && format === "parquet") checkRows(await (await import("./size-check.js")).parquetRowCount(path));
  const frame = await readColumns(path, format, wanted);
  if (checkRows && format !== "parquet") checkRows(frame.nrows);
  return frame;
}

async function readColumns(path: string, format: Format, columns: readonly string[] | undefined): Promise<Frame> {
  if (format === "ipc") return readIpc(path, columns);
  // DuckDB's native module takes about a second to load: only commands that read CSV or Parquet pay it.
  const { readWithDuckDB } = await import("./read-duckdb.js");
  return readWithDuckDB(path, format, columns);
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
  const [{ tableFromIPC }, { frameFromArrow }] = await Promise.all([import("apache-arrow"), import("./arrow.js")]);
  let table;
  try {
    table = tableFromIPC(await readFile(path));
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

