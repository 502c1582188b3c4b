/**
 * Renders the plan (ir.ts) as SQL for ClickHouse 18.16 (Debian's), whose SQL is narrower than
 * DuckDB's: no window functions (codes come from rowNumberInAllBlocks() over a sorted subquery),
 * one JOIN per SELECT level with USING only (joins nest as subqueries), no DELETE on views and
 * no temporary tables over HTTP. So:
 *
 *   - the sample "s" is a VIEW over the user's (Distributed) table, never copied: each query
 *     reads it where it lies, and singleton removal makes a new view "s_k+1" = "s_k" minus the
 *     levels a round found (kept as small Memory tables and tested with IN);
 *   - every other plan table is a Memory table on the server the URL names (levels, per-level
 *     sums: small beside the data), under a prefix so concurrent fits do not meet;
 *   - a table that is joined is read through a subquery that also names its columns "alias.col",
 *     which is how the plan's qualified references (l1.idx, p2.n) reach it;
 *   - doubles go in as their IEEE bytes, reinterpretAsFloat64(unhex('…')), because ClickHouse
 *     18.16's decimal parser does not round every literal correctly.
 */
import type { Expr, From, Query, Source, Statement } from "./ir.js";
import type { Dialect } from "./duckdb-dialect.js";
import { renderQuery, selectStatement } from "./sql-select.js";
import { exprRenderer } from "./sql-expr.js";

export function clickhouseIdentifier(name: string): string {
  return "`" + name.replaceAll("\\", "\\\\").replaceAll("`", "\\`") + "`";
}

export function clickhouseString(text: string): string {
  return "'" + text.replaceAll("\\", "\\\\").replaceAll("'", "\\'") + "'";
}

/** The double's eight bytes, little-endian, as ClickHouse reads them back bit for bit. */
export function clickhouseDouble(value: number): string {
  if (Number.isInteger(value) && Math.abs(value) < 2 ** 53 && !Object.is(value, -0)) return `${value}`;
  const bytes = new Uint8Array(8);
  new DataView(bytes.buffer).setFloat64(0, value, true);
  return `reinterpretAsFloat64(unhex('${Buffer.from(bytes).toString("hex")}'))`;
}

/** The plan's per-small-level tables (ir/plan.ts names): few rows, looked up as arrays. */
const LOOKUP = /^(lev\d+|gl\d+|gam)$/;

class NotPushable extends Error {}

export interface ClickHouseDialect extends Dialect {
  /** Every table and view the statements so far made, oldest first (to drop them afterwards). */
  readonly created: readonly string[];
}

/** The ORDER BY of the row numbering inside an expression, if it has one. */
function rowIndexOrder(e: Expr): Expr | undefined {
  switch (e.op) {
    case "rowIndex":
      return e.orderBy;
    case "arith":
    case "cmp":
      return rowIndexOrder(e.args[0]) ?? rowIndexOrder(e.args[1]);
    case "double":
    case "text":
    case "present":
    case "finite":
    case "sum":
    case "min":
    case "max":
    case "countDistinct":
      return rowIndexOrder(e.arg);
    default:
      return undefined;
  }
}

/**
 * `prefix` names the plan's tables (`absorb_1a2b_fb`, …) in the server's current database; the
 * source is a table such as db.panel, possibly a Distributed one.
 */
export function clickhouseDialect(source: Source, prefix: string): ClickHouseDialect {
  if (source.kind !== "table") throw new Error(`the ClickHouse dialect reads a table, not ${source.kind}`);
  const r = new ClickHouseRenderer(source.table.split(".").map(clickhouseIdentifier).join("."), prefix);
  return { statement: (s) => r.statement(s), query: (q) => r.query(q), probe: () => `DESCRIBE TABLE ${r.sourceName}`, created: r.created };
}

/** A query for the shards as pushFrom builds it: the WITH arrays, the FROM, the conditions and the inlined columns. */
interface Pushed {
  readonly withs: string[];
  readonly from: string;
  readonly conds: string[];
  readonly scope: Map<string, string>;
  readonly joined: boolean;
}

/** The state of one plan's rendering: the tables made so far, the sample's versions and what a query for the shards inlines. */
class ClickHouseRenderer {
  readonly created: string[] = [];
  private readonly columns = new Map<string, readonly string[]>();
  private sampleVersion = 0;
  private dropSets = 0;
  /** IN tests whose rows a delete has already kept as a table. */
  private readonly sets = new Map<Expr, string>();
  /** The sample's definition over the source, and each singleton round's exclusion (for queries sent to the shards). */
  private stage: Query | null = null;
  private readonly exclusions: string[] = [];
  /** Inlined column expressions while a query for the shards is rendered (null: plan columns are names). */
  private scope: Map<string, string> | null = null;
  private lookups = 0;
  readonly expr = exprRenderer({
    col: (e) => {
      const name = e.table === undefined ? e.name : `${e.table}.${e.name}`;
      if (this.scope === null) return clickhouseIdentifier(name);
      const inlined = this.scope.get(name);
      if (inlined === undefined) throw new NotPushable();
      return inlined;
    },
    num: clickhouseDouble,
    str: clickhouseString,
    present: (x, numeric) => (numeric ? `(isNotNull(${x}) AND NOT isNaN(toFloat64(${x})))` : `isNotNull(${x})`),
    finite: (x) => `isFinite(${x})`,
    double: (x) => `toFloat64(${x})`,
    text: (x) => `toString(${x})`,
    key: (parts) => `tuple(${parts.join(", ")})`,
    aggregate: (fn, x) => `${fn}(${x})`,
    count: "count()",
    countDistinct: (x) => `uniqExact(${x})`,
    // The numbering is the query around a sorted subquery (query below), not a window.
    rowIndex: () => "rowNumberInAllBlocks()",
    in: (e, render) => {
      // IN over the sample inside a query sent to the shards would test each shard's rows alone.
      if (this.scope !== null) throw new NotPushable();
      const set = this.sets.get(e);
      return set === undefined ? `(${render(e.arg)} IN (${this.query(e.query)}))` : `(${render(e.arg)} IN ${clickhouseIdentifier(set)})`;
    },
  });

  constructor(
    readonly sourceName: string,
    private readonly prefix: string,
  ) {}

  statement(s: Statement): readonly string[] {
    switch (s.kind) {
      case "create": {
        this.columns.set(s.table, s.query.select.map((c) => c.as));
        const name = this.physical(s.table);
        if (s.table === "s") {
          const view = this.recreate(name, `CREATE VIEW ${clickhouseIdentifier(name)} AS ${this.query(s.query)}`);
          this.stage = s.query;
          this.exclusions.length = 0;
          return view;
        }
        return this.recreate(name, `CREATE TABLE ${clickhouseIdentifier(name)} ENGINE = Memory AS ${this.query(s.query)}`);
      }
      case "insert":
        return [`INSERT INTO ${this.tableRef(s.table)} ${this.query(s.query)}`];
      case "delete":
        if (s.table !== "s") throw new Error(`the ClickHouse dialect deletes only from the sample, not "${s.table}"`);
        return this.deleteRows(s.where);
      case "values": {
        this.columns.set(s.table, s.columns);
        const name = this.physical(s.table);
        const out = this.recreate(name, `CREATE TABLE ${clickhouseIdentifier(name)} (${s.columns.map((c) => `${clickhouseIdentifier(c)} Float64`).join(", ")}) ENGINE = Memory`);
        if (s.rows.length > 0) out.push(`INSERT INTO ${clickhouseIdentifier(name)} VALUES ${s.rows.map((r) => `(${r.map(clickhouseDouble).join(", ")})`).join(", ")}`);
        return out;
      }
    }
  }

  /** Codes by row number: the grouped rows sorted in a subquery, numbered by the query around it. */
  query(q: Query): string {
    const numbered = q.select.find((s) => rowIndexOrder(s.expr) !== undefined);
    if (numbered === undefined) return this.plainQuery(q);
    const inner = this.plainQuery({ ...q, select: q.select.filter((s) => rowIndexOrder(s.expr) === undefined) }, rowIndexOrder(numbered.expr));
    const outer = q.select.map((s) => (rowIndexOrder(s.expr) !== undefined ? `${this.expr(s.expr)} AS ${clickhouseIdentifier(s.as)}` : clickhouseIdentifier(s.as)));
    return `SELECT ${outer.join(", ")} FROM (${inner})`;
  }

  private physical(name: string): string {
    return name === "s" ? `${this.prefix}s_${this.sampleVersion}` : `${this.prefix}${name}`;
  }

  private tableRef(name: string): string {
    return clickhouseIdentifier(this.physical(name));
  }

  private joinSide(f: From): string {
    if (f.kind === "table") {
      const label = f.alias ?? f.name;
      const qualified = (this.columns.get(f.name) ?? []).map((c) => `${clickhouseIdentifier(c)} AS ${clickhouseIdentifier(`${label}.${c}`)}`);
      return `(SELECT *${qualified.map((q) => `, ${q}`).join("")} FROM ${this.tableRef(f.name)})`;
    }
    if (f.kind === "join") return `(SELECT * FROM ${this.from(f)})`;
    if (f.kind === "query") return `(${this.query(f.query)})`;
    return this.sourceName;
  }

  private from(f: From): string {
    switch (f.kind) {
      case "source":
        return this.sourceName;
      case "table":
        return f.alias === undefined ? this.tableRef(f.name) : `${this.tableRef(f.name)} AS ${clickhouseIdentifier(f.alias)}`;
      case "join":
        return `${this.joinSide(f.left)} ALL INNER JOIN ${this.joinSide(f.right)} USING ${f.using.map(clickhouseIdentifier).join(", ")}`;
      case "query":
        return `(${this.query(f.query)}) AS ${clickhouseIdentifier(f.alias)}`;
    }
  }

  private plainQuery(q: Query, orderBy?: Expr): string {
    return this.pushed(q, orderBy) ?? renderQuery(q, { expr: this.expr, from: (f) => this.from(f), alias: clickhouseIdentifier }, orderBy);
  }

  /**
   * A query over the sample, sent to the shards. The sample's columns, the row subqueries' columns
   * and the small tables' lookups are inlined as expressions over the source table (18.16 mangles
   * queries for the shards that alias an alias); the small tables (level codes, Γ) become arrays
   * computed once on this server (scalar subqueries), and one table keyed by the large effect is
   * a GLOBAL JOIN, shipped to the shards. Null when the query does not have that shape.
   */
  private pushed(q: Query, orderBy?: Expr): string | null {
    if (this.stage === null) return null;
    const saved = this.scope;
    try {
      const ctx = this.pushFrom(q.from);
      if (ctx === null) return null;
      this.scope = ctx.scope;
      const out = (as: string) => clickhouseIdentifier(`__out_${as}`);
      const conds = [...ctx.conds, ...(q.where ? [this.expr(q.where)] : [])];
      const sql = selectStatement({
        with: ctx.withs,
        select: q.select.map((c) => `${this.expr(c.expr)} AS ${out(c.as)}`),
        from: ctx.from,
        where: conds.length > 0 ? conds.join(" AND ") : undefined,
        groupBy: q.groupBy?.map(this.expr),
        having: q.having ? this.expr(q.having) : undefined,
        orderBy: orderBy ? this.expr(orderBy) : undefined,
      });
      return `SELECT ${q.select.map((c) => `${out(c.as)} AS ${clickhouseIdentifier(c.as)}`).join(", ")} FROM (${sql})`;
    } catch (err) {
      if (err instanceof NotPushable) return null;
      throw err;
    } finally {
      this.scope = saved;
    }
  }

  /** The FROM of a query for the shards, and the columns it inlines; null when it has no such form. */
  private pushFrom(f: From): Pushed | null {
    const stage = this.stage;
    if (f.kind === "table" && f.name === "s" && f.alias === undefined && stage !== null) {
      this.scope = null;
      const inlined = new Map(stage.select.map((c) => [c.as, `(${this.expr(c.expr)})`]));
      return { withs: [], from: this.sourceName, conds: [...(stage.where ? [this.expr(stage.where)] : []), ...this.exclusions], scope: inlined, joined: false };
    }
    if (f.kind === "query" && !f.query.groupBy && !f.query.having) {
      const inner = this.pushFrom(f.query.from);
      if (inner === null) return null;
      this.scope = inner.scope;
      const columns = new Map(f.query.select.map((c) => [c.as, `(${this.expr(c.expr)})`]));
      const conds = f.query.where ? [...inner.conds, this.expr(f.query.where)] : inner.conds;
      return { ...inner, conds, scope: columns };
    }
    if (f.kind !== "join" || f.right.kind !== "table" || f.using.length !== 1) return null;
    const left = this.pushFrom(f.left);
    if (left === null) return null;
    return this.pushJoin(left, f.right, f.using[0]);
  }

  /** A join on one key in a query for the shards: a small table as array lookups, or one GLOBAL JOIN. */
  private pushJoin(left: Pushed, right: Extract<From, { kind: "table" }>, key: string): Pushed | null {
    const leftKey = left.scope.get(key);
    if (leftKey === undefined) return null;
    const label = right.alias ?? right.name;
    const others = (this.columns.get(right.name) ?? []).filter((c) => c !== key);
    const inlined = new Map(left.scope);
    const define = (c: string, sql: string) => {
      if (!inlined.has(c)) inlined.set(c, sql);
      inlined.set(`${label}.${c}`, sql);
    };
    const table = this.tableRef(right.name);
    if (LOOKUP.test(right.name)) {
      // Codes and Γ per small level as arrays sorted by level, so keys and values line up.
      const n = this.lookups++;
      const keys = clickhouseIdentifier(`__k${n}`);
      const withs = [...left.withs, `(SELECT groupArray(${clickhouseIdentifier(key)}) FROM (SELECT ${clickhouseIdentifier(key)} FROM ${table} ORDER BY ${clickhouseIdentifier(key)})) AS ${keys}`];
      others.forEach((c, j) => {
        const values = clickhouseIdentifier(`__v${n}_${j}`);
        withs.push(`(SELECT groupArray(${clickhouseIdentifier(c)}) FROM (SELECT ${clickhouseIdentifier(key)}, ${clickhouseIdentifier(c)} FROM ${table} ORDER BY ${clickhouseIdentifier(key)})) AS ${values}`);
        define(c, `${values}[indexOf(${keys}, ${leftKey})]`);
      });
      return { ...left, withs, scope: inlined };
    }
    // One table keyed by a plain source column may join, GLOBAL: USING names that column.
    const sourceKey = /^\(`([^`\\]+)`\)$/.exec(leftKey);
    if (left.joined || sourceKey === null) return null;
    const renamed = others.map((c, j) => `${clickhouseIdentifier(c)} AS ${clickhouseIdentifier(`__b${j}`)}`);
    others.forEach((c, j) => define(c, clickhouseIdentifier(`__b${j}`)));
    const from = `${left.from} GLOBAL ALL INNER JOIN (SELECT ${[`${clickhouseIdentifier(key)} AS ${clickhouseIdentifier(sourceKey[1])}`, ...renamed].join(", ")} FROM ${table}) USING ${clickhouseIdentifier(sourceKey[1])}`;
    return { ...left, from, scope: inlined, joined: true };
  }

  private recreate(name: string, body: string): string[] {
    if (!this.created.includes(name)) this.created.push(name);
    return [`DROP TABLE IF EXISTS ${clickhouseIdentifier(name)}`, body];
  }

  /** A delete on the sample: each IN set kept as a table, then the next view without the rows in it. */
  private deleteRows(where: Expr): string[] {
    const out: string[] = [];
    const collect = (e: Expr): void => {
      if (e.op === "in") {
        const name = `${this.prefix}drop_${this.dropSets++}`;
        out.push(...this.recreate(name, `CREATE TABLE ${clickhouseIdentifier(name)} ENGINE = Memory AS ${this.query(e.query)}`));
        this.sets.set(e, name);
      } else if (e.op === "or" || e.op === "and") e.args.forEach(collect);
    };
    collect(where);
    if (this.stage !== null) {
      const definition = new Map(this.stage.select.map((c) => [c.as, `(${this.expr(c.expr)})`]));
      const tests = [...this.sets].map(([e, name]) => {
        this.scope = definition;
        try {
          return `${this.expr((e as Extract<Expr, { op: "in" }>).arg)} GLOBAL IN (SELECT * FROM ${clickhouseIdentifier(name)})`;
        } finally {
          this.scope = null;
        }
      });
      this.exclusions.push(`NOT (${tests.join(" OR ")})`);
    }
    const previous = this.physical("s");
    this.sampleVersion++;
    const next = this.physical("s");
    out.push(...this.recreate(next, `CREATE VIEW ${clickhouseIdentifier(next)} AS SELECT * FROM ${clickhouseIdentifier(previous)} WHERE NOT ${this.expr(where)}`));
    // The sets belong to this round's sample: a later query on the same expression tests the new sample.
    this.sets.clear();
    return out;
  }
}
