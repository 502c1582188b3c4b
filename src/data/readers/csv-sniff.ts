/**
 * A CSV file's read_csv call with its dialect and column types spelled out. An automatic
 * read_csv sniffs the file when the query is planned and again when it runs: on a 1M-row panel
 * that is a quarter of the time of the scan itself. absorb sniffs once (sniff_csv, with the
 * options the read uses) and hands DuckDB what it found with auto_detect = false, as sniff_csv's
 * own Prompt does (the Prompt is not used as it stands: it splices the path and the column names
 * into SQL unquoted).
 */
import type { DuckDBMaterializedResult } from "@duckdb/node-api";
import { sqlString } from "../sql.js";

/** What sniff_csv returns that a read_csv call needs to read the file the same way. */
interface Sniffed {
  readonly Delimiter: string;
  readonly Quote: string;
  readonly Escape: string;
  readonly NewLineDelimiter: string;
  readonly Comment: string;
  readonly SkipRows: number;
  readonly HasHeader: boolean;
  readonly Columns: readonly { readonly name: string; readonly type: string }[];
}

/** How sniff_csv writes an absent quote, escape or comment character. */
const ABSENT = "(empty)";
/** The line endings read_csv's new_line option takes (sniff_csv writes them escaped, as it does). */
const NEW_LINES = new Set(["\\n", "\\r\\n", "\\r"]);

/**
 * The table function reading the CSV file at `literal` with the dialect and types sniff_csv
 * finds, given the options only the read takes; `options` (", nullstr = …") are passed to both,
 * so the sniff sees what the read will.
 */
export async function sniffedCsv(
  run: (sql: string) => Promise<DuckDBMaterializedResult>,
  literal: string,
  options: string,
): Promise<(readOptions: string) => string> {
  const fields = "Delimiter, Quote, Escape, NewLineDelimiter, Comment, SkipRows, HasHeader, Columns";
  const result = await run(`SELECT ${fields} FROM sniff_csv(${sqlString(literal)}${options})`);
  const [found] = (await result.getRowObjectsJS()) as unknown as Sniffed[];
  const char = (c: string) => sqlString(c === ABSENT ? "" : c);
  const columns = found.Columns.map(({ name, type }) => `${sqlString(name)}: ${sqlString(type)}`).join(", ");
  const newLine = NEW_LINES.has(found.NewLineDelimiter) ? `, new_line = ${sqlString(found.NewLineDelimiter)}` : "";
  const read =
    `read_csv(${sqlString(literal)}, auto_detect = false, delim = ${sqlString(found.Delimiter)}, quote = ${char(found.Quote)}, ` +
    `escape = ${char(found.Escape)}${newLine}, skip = ${Number(found.SkipRows)}, comment = ${char(found.Comment)}, ` +
    `header = ${found.HasHeader ? "true" : "false"}, columns = {${columns}}${options}`;
  return (readOptions) => `${read}${readOptions})`;
}
