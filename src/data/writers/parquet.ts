/**
 * Writes a Frame as Parquet through an in-memory DuckDB: rows are appended to a typed table,
 * then copied to the file. No intermediate file, so nothing is left behind on any folder.
 */
import type { DuckDBAppender } from "@duckdb/node-api";
import type { Column, Frame } from "../frame.js";
import { localDuckDB } from "../readers/duckdb.js";
import { sqlIdentifier, sqlString } from "../sql.js";

export type ParquetType = "VARCHAR" | "BIGINT" | "DOUBLE";

/** Text VARCHAR, whole numbers BIGINT, anything else DOUBLE; `typeOf` may choose otherwise per column. */
export async function writeParquet(frame: Frame, path: string, typeOf: (name: string, col: Column) => ParquetType = defaultType): Promise<void> {
  const columns = [...frame.columns];
  const types = columns.map(([name, col]) => (col.kind === "categorical" ? "VARCHAR" : typeOf(name, col)));
  const instance = await localDuckDB();
  try {
    const connection = await instance.connect();
    try {
      const defs = columns.map(([name], j) => `${sqlIdentifier(name)} ${types[j]}`).join(", ");
      await connection.run(`CREATE TABLE out (${defs})`);
      const appender = await connection.createAppender("out");
      for (let r = 0; r < frame.nrows; r++) {
        columns.forEach(([, col], j) => appendValue(appender, col, r, types[j]));
        appender.endRow();
      }
      appender.closeSync();
      await connection.run(`COPY out TO ${sqlString(path)} (FORMAT parquet)`);
    } finally {
      connection.closeSync();
    }
  } finally {
    instance.closeSync();
  }
}

function appendValue(appender: DuckDBAppender, col: Column, r: number, type: ParquetType): void {
  if (col.kind === "categorical") {
    const code = col.codes[r];
    if (code < 0) appender.appendNull();
    else appender.appendVarchar(col.levels[code]);
    return;
  }
  const x = col.values[r];
  if (Number.isNaN(x)) appender.appendNull();
  else if (type === "BIGINT") appender.appendBigInt(BigInt(x));
  else appender.appendDouble(x);
}

function defaultType(_name: string, col: Column): ParquetType {
  return col.kind === "numeric" && col.values.every((v) => Number.isNaN(v) || Number.isSafeInteger(v)) ? "BIGINT" : "DOUBLE";
}
