/**
 * Renders the plan (ir.ts) for warehouses absorb prints SQL for but does not connect to: Spark
 * SQL and BigQuery (GoogleSQL). Their differences from DuckDB's SQL are a few spellings, how a
 * script keeps a table, and (Spark) having no DELETE or INSERT on a session's own tables:
 *
 *   - Spark: each plan table is a cached temporary view (CACHE TABLE t AS …, computed once,
 *     gone with the session); a delete or insert makes a new version t_1, t_2 … of the table;
 *   - BigQuery: each plan table is a TEMP TABLE of one multi-statement query (a script or a
 *     session), and DELETE and INSERT run on it; booleans are not cast to numbers (IF instead),
 *     and an a^b key is a JSON string, since GROUP BY does not take a STRUCT.
 */
import type { Expr, From, Query, Source, Statement } from "./ir.js";
import type { Dialect } from "./duckdb-dialect.js";
import { renderQuery } from "./sql-select.js";
import { exprRenderer } from "./sql-expr.js";

export type Warehouse = "spark" | "bigquery";

interface Flavour {
  readonly double: string;
  readonly text: string;
  readonly isNan: (x: string) => string;
  readonly finite: (x: string) => string;
  readonly key: (parts: readonly string[]) => string;
  /** A condition as 1.0 or 0.0. */
  readonly indicator: (condition: string) => string;
  readonly specialDouble: (value: number) => string;
  /** Whether DELETE and INSERT work on the script's tables (else each changes to a new version). */
  readonly mutable: boolean;
  readonly create: (name: string, sql: string) => string[];
  readonly values: (name: string, columns: readonly string[], rows: string[][]) => string[];
}

const quote = (name: string): string => "`" + name.replaceAll("\\", "\\\\").replaceAll("`", "\\`") + "`";
const literal = (text: string): string => "'" + text.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";

const FLAVOURS: Record<Warehouse, Flavour> = {
  spark: {
    double: "DOUBLE",
    text: "STRING",
    isNan: (x) => `isnan(${x})`,
    finite: (x) => `(NOT isnan(${x}) AND abs(${x}) != CAST('Infinity' AS DOUBLE))`,
    key: (parts) => `named_struct(${parts.map((p, i) => `'k${i}', ${p}`).join(", ")})`,
    indicator: (c) => `CAST(${c} AS DOUBLE)`,
    specialDouble: (v) => `CAST('${Number.isNaN(v) ? "NaN" : v > 0 ? "Infinity" : "-Infinity"}' AS DOUBLE)`,
    mutable: false,
    create: (name, sql) => [`DROP VIEW IF EXISTS ${quote(name)}`, `CACHE TABLE ${quote(name)} AS ${sql}`],
    values: (name, columns, rows) => [
      `DROP VIEW IF EXISTS ${quote(name)}`,
      `CACHE TABLE ${quote(name)} AS SELECT * FROM VALUES ${rows.map((r) => `(${r.join(", ")})`).join(", ")} AS v(${columns.map(quote).join(", ")})`,
    ],
  },
  bigquery: {
    double: "FLOAT64",
    text: "STRING",
    isNan: (x) => `IS_NAN(${x})`,
    finite: (x) => `(NOT IS_NAN(${x}) AND NOT IS_INF(${x}))`,
    key: (parts) => `TO_JSON_STRING(STRUCT(${parts.map((p, i) => `${p} AS k${i}`).join(", ")}))`,
    indicator: (c) => `IF(${c}, 1.0, 0.0)`,
    specialDouble: (v) => `CAST('${Number.isNaN(v) ? "nan" : v > 0 ? "inf" : "-inf"}' AS FLOAT64)`,
    mutable: true,
    create: (name, sql) => [`CREATE OR REPLACE TEMP TABLE ${quote(name)} AS ${sql}`],
    values: (name, columns, rows) => [
      `CREATE OR REPLACE TEMP TABLE ${quote(name)} AS SELECT * FROM UNNEST(ARRAY<STRUCT<${columns.map((c) => `${quote(c)} FLOAT64`).join(", ")}>>[${rows.map((r) => `(${r.join(", ")})`).join(", ")}])`,
    ],
  },
};

/** Expressions that are conditions, which BigQuery will not cast to a number. */
const isCondition = (e: Expr): boolean => ["cmp", "and", "or", "present", "finite", "in"].includes(e.op);

export function warehouseDialect(warehouse: Warehouse, source: Source): Dialect {
  if (source.kind !== "table") throw new Error(`printed SQL reads a table, not ${source.kind}`);
  const f = FLAVOURS[warehouse];
  // BigQuery names a table project.dataset.table as one quoted path; Spark quotes each part.
  const sourceName = warehouse === "bigquery" ? quote(source.table) : source.table.split(".").map(quote).join(".");
  const versions = new Map<string, number>();
  const physical = (name: string): string => (versions.get(name) ? `${name}_${versions.get(name)}` : name);
  const number = (v: number): string => (!Number.isFinite(v) ? f.specialDouble(v) : Number.isInteger(v) && Math.abs(v) < 2 ** 53 && !Object.is(v, -0) ? `${v}` : `CAST('${v}' AS ${f.double})`);
  const from = (x: From): string => {
    switch (x.kind) {
      case "source":
        return `${sourceName} AS src`;
      case "table":
        return x.alias === undefined ? quote(physical(x.name)) : `${quote(physical(x.name))} AS ${quote(x.alias)}`;
      case "join":
        return `${from(x.left)} JOIN ${from(x.right)} USING (${x.using.map(quote).join(", ")})`;
      case "query":
        return `(${query(x.query)}) AS ${quote(x.alias)}`;
    }
  };
  // A qualified column names its table by alias or, unaliased, by the plan's name: the version's name when renamed.
  const qualifier = (table: string): string => quote(versions.get(table) ? physical(table) : table);
  const expr = exprRenderer({
    col: (e) => (e.table === undefined ? quote(e.name) : `${qualifier(e.table)}.${quote(e.name)}`),
    num: number,
    str: literal,
    present: (x, numeric) => (numeric ? `(${x} IS NOT NULL AND NOT ${f.isNan(`CAST(${x} AS ${f.double})`)})` : `(${x} IS NOT NULL)`),
    finite: f.finite,
    double: (x, arg) => (isCondition(arg) ? f.indicator(x) : `CAST(${x} AS ${f.double})`),
    text: (x) => `CAST(${x} AS ${f.text})`,
    key: f.key,
    aggregate: (fn, x) => `${fn.toUpperCase()}(${x})`,
    count: "COUNT(*)",
    countDistinct: (x) => `COUNT(DISTINCT ${x})`,
    rowIndex: (orderBy) => `(ROW_NUMBER() OVER (ORDER BY ${orderBy()}) - 1)`,
    in: (e, render) => `(${render(e.arg)} IN (${query(e.query)}))`,
  });
  const query = (q: Query): string => renderQuery(q, { expr, from, alias: quote });
  /** The next version of a table from the current one (Spark: no DML on cached views). */
  const replace = (table: string, body: (current: string) => string): string[] => {
    const current = quote(physical(table));
    const sql = body(current);
    versions.set(table, (versions.get(table) ?? 0) + 1);
    return f.create(physical(table), sql);
  };
  const statement = (s: Statement): readonly string[] => {
    switch (s.kind) {
      case "create":
        versions.delete(s.table);
        return f.create(s.table, query(s.query));
      case "insert":
        if (f.mutable) return [`INSERT INTO ${quote(physical(s.table))} ${query(s.query)}`];
        return replace(s.table, (current) => `SELECT * FROM ${current} UNION ALL ${query(s.query)}`);
      case "delete":
        if (f.mutable) return [`DELETE FROM ${quote(physical(s.table))} WHERE ${expr(s.where)}`];
        return replace(s.table, (current) => `SELECT * FROM ${current} WHERE NOT ${expr(s.where)}`);
      case "values":
        versions.delete(s.table);
        return f.values(s.table, s.columns, s.rows.map((r) => r.map((v) => (Number.isFinite(v) ? `CAST('${v}' AS ${f.double})` : f.specialDouble(v)))));
    }
  };
  return { statement, query, probe: () => `SELECT * FROM ${sourceName} LIMIT 0` };
}
