/**
 * Refusing a fit that cannot fit in WebAssembly's 4 GiB before its data is read: the memory it
 * needs follows from its formula and the file's row count, which Parquet records in its footer
 * (read without touching a column). Without this a 70M-row panel was refused only after half a
 * minute and 10 GiB of reading.
 */
import { BASE, CEILING, formatBytes } from "../engine/heap.js";
import { InputError } from "../core/errors.js";
import { parquetRowsQuery } from "./readers/expected-rows.js";

/**
 * Besides its model columns a fit holds about this many more columns of rows: residuals,
 * weights, the fixed effects' and clusters' codes, demeaning scratch (model-matrix.ts reserves
 * the same before it copies anything).
 */
export const EXTRA_COLUMNS = 4;

/**
 * Throws an InputError ("size") when `rows` rows of a model with `columns` model columns cannot
 * fit under the 4 GiB ceiling, saying how many rows, or how many columns at these rows, would.
 */
export function checkRowsFit(rows: number, columns: number, source: string): void {
  const room = CEILING - BASE;
  const perRow = (columns + EXTRA_COLUMNS) * 8;
  const need = rows * perRow;
  if (need <= room) return;
  const fitRows = Math.floor(room / perRow);
  const fitColumns = Math.max(0, Math.floor(room / (rows * 8)) - EXTRA_COLUMNS);
  const count = (n: number) => n.toLocaleString("en-US");
  throw new InputError(
    "size",
    `${source} has ${count(rows)} rows; this model needs ${columns} columns of them in WebAssembly memory (and about ${EXTRA_COLUMNS} more for ` +
      `residuals, codes and scratch): ${formatBytes(need)}, more than the 4 GiB ceiling. At most ${count(fitRows)} rows of this model fit, ` +
      `or ${fitColumns} model columns (the dependent variable included) of ${count(rows)} rows; fit a subset (--where) or fewer regressors`,
  );
}

/** The row count a Parquet file's footer records, read without reading any column (`literal`: the name DuckDB reads, see literal-path.ts). */
export async function parquetRowCount(literal: string, path: string): Promise<number> {
  const { localDuckDB } = await import("./readers/duckdb.js");
  const instance = await localDuckDB();
  try {
    const connection = await instance.connect();
    try {
      const result = await connection.run(parquetRowsQuery(literal));
      return Number((await result.getRows())[0][0]);
    } catch (err) {
      throw new InputError("file", `cannot read "${path}": ${(err as Error).message}`);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}
