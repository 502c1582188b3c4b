/**
 * How many rows a read makes room for before its first chunk arrives. The columns are filled as
 * DuckDB streams them, growing (a copy) when a file has more rows than this; room past the last
 * row is never written and goes back at the end, so guessing high costs nothing but address
 * space for the read's duration, while guessing low costs a copy of every column.
 */
import { open } from "node:fs/promises";
import { sqlString } from "../sql.js";

/** Without a better guess (gzip CSV, several CSV files). */
export const DEFAULT_EXPECTED_ROWS = 2 ** 20;

/** The bytes of a CSV file whose line lengths stand for the whole file's. */
const PROBE_BYTES = 64 * 1024;

/**
 * Head room over the estimate from the first lines: later lines are longer where ids or
 * counters gain digits, and a file whose lines shrink past this costs one copy.
 */
const MARGIN = 1.25;

/** The query giving the rows Parquet files' footers record (read without touching a column). */
export function parquetRowsQuery(literal: string): string {
  return `SELECT CAST(sum(num_rows) AS DOUBLE) AS n FROM parquet_file_metadata(${sqlString(literal)})`;
}

/** Rows of the uncompressed CSV file at `path` (`bytes` long), estimated from its first lines' lengths. */
export async function csvRowEstimate(path: string, bytes: number): Promise<number> {
  const file = await open(path, "r");
  try {
    const head = Buffer.alloc(Math.min(PROBE_BYTES, bytes));
    const { bytesRead } = await file.read(head, 0, head.length, 0);
    let lines = 0;
    let end = 0;
    for (let at = head.indexOf(10); at !== -1 && at < bytesRead; at = head.indexOf(10, at + 1)) {
      lines++;
      end = at + 1;
    }
    if (bytesRead >= bytes) return lines + 1;
    if (lines === 0) return DEFAULT_EXPECTED_ROWS;
    return Math.ceil((bytes / (end / lines)) * MARGIN);
  } finally {
    await file.close();
  }
}
