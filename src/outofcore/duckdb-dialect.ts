/**
 * Renders the plan's statements (ir.ts) as DuckDB SQL. User text reaches SQL only as quoted
 * identifiers (column names) and escaped literals (--where values, file names); a query source
 * is the user's own SQL and is wrapped as a subquery.
 */
import type { From, Query, Source, Statement } from "./ir.js";
import { renderQuery } from "./sql-select.js";
import { exprRenderer } from "./sql-expr.js";

export interface Dialect {
  /** One statement may take several SQL statements (a table, then its rows). */
  statement(s: Statement): readonly string[];
  query(q: Query): string;
  /** A query returning no rows but the source's columns and their types. */
  probe(): string;
}

export function identifier(name: string): string {
  return `"${name.replaceAll('"', '""')}"`;
}

export function stringLiteral(text: string): string {
  return `'${text.replaceAll("'", "''")}'`;
}

/** A double that survives the trip exactly: JS prints the shortest round-trip form. */
function numberLiteral(value: number): string {
  if (Number.isFinite(value)) return Number.isInteger(value) && Math.abs(value) < 2 ** 53 ? `${value}` : `CAST('${value}' AS DOUBLE)`;
  return `CAST('${value > 0 ? "inf" : value < 0 ? "-inf" : "nan"}' AS DOUBLE)`;
}

function sourceSql(s: Source): string {
  switch (s.kind) {
    case "files":
    case "glob": {
      const reader = s.format === "csv" ? "read_csv" : "read_parquet";
      const names = s.kind === "files" ? s.paths : [s.pattern];
      // CSV files are sniffed together so one file's all-integer column matches another's decimals.
      const options = s.format === "csv" ? ", union_by_name = true" : "";
      return `${reader}([${names.map(stringLiteral).join(", ")}]${options})`;
    }
    case "table":
      return s.table.split(".").map(identifier).join(".");
    case "query":
      return `(${s.sql})`;
  }
}

export function duckdbDialect(source: Source): Dialect {
  const from = (f: From): string => {
    switch (f.kind) {
      case "source":
        return `${sourceSql(source)} AS src`;
      case "table":
        return f.alias === undefined ? identifier(f.name) : `${identifier(f.name)} AS ${identifier(f.alias)}`;
      case "join":
        return `${from(f.left)} JOIN ${from(f.right)} USING (${f.using.map(identifier).join(", ")})`;
      case "query":
        return `(${query(f.query)}) AS ${identifier(f.alias)}`;
    }
  };
  const expr = exprRenderer({
    col: (e) => (e.table === undefined ? identifier(e.name) : `${identifier(e.table)}.${identifier(e.name)}`),
    num: numberLiteral,
    str: stringLiteral,
    present: (x, numeric) => (numeric ? `(${x} IS NOT NULL AND NOT isnan(CAST(${x} AS DOUBLE)))` : `(${x} IS NOT NULL)`),
    finite: (x) => `isfinite(${x})`,
    double: (x) => `CAST(${x} AS DOUBLE)`,
    text: (x) => `CAST(${x} AS VARCHAR)`,
    key: (parts) => `struct_pack(${parts.map((p, i) => `k${i} := ${p}`).join(", ")})`,
    aggregate: (fn, x) => `${fn}(${x})`,
    count: "count(*)",
    countDistinct: (x) => `count(DISTINCT ${x})`,
    rowIndex: (orderBy) => `(row_number() OVER (ORDER BY ${orderBy()}) - 1)`,
    in: (e, render) => `(${render(e.arg)} IN (${query(e.query)}))`,
  });
  const query = (q: Query): string => renderQuery(q, { expr, from, alias: identifier });
  const statement = (s: Statement): readonly string[] => {
    switch (s.kind) {
      case "create":
        return [`CREATE OR REPLACE TEMP TABLE ${identifier(s.table)} AS ${query(s.query)}`];
      case "insert":
        return [`INSERT INTO ${identifier(s.table)} ${query(s.query)}`];
      case "delete":
        return [`DELETE FROM ${identifier(s.table)} WHERE ${expr(s.where)}`];
      case "values": {
        const columns = s.columns.map((c) => `${identifier(c)} DOUBLE`).join(", ");
        const create = `CREATE OR REPLACE TEMP TABLE ${identifier(s.table)} (${columns})`;
        if (s.rows.length === 0) return [create];
        return [create, `INSERT INTO ${identifier(s.table)} VALUES ${s.rows.map((r) => `(${r.map(numberLiteral).join(", ")})`).join(", ")}`];
      }
    }
  };
  return { statement, query, probe: () => `SELECT * FROM ${sourceSql(source)} LIMIT 0` };
}
