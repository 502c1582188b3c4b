/**
 * The SELECT statement every SQL dialect of the plan writes, from clauses already rendered in
 * that dialect: the dialects differ in expressions and names, not in how clauses are put together.
 */
import type { Expr, From, Query } from "./ir.js";

export interface SelectClauses {
  readonly with?: readonly string[];
  readonly select: readonly string[];
  readonly from: string;
  readonly where?: string;
  readonly groupBy?: readonly string[];
  readonly having?: string;
  readonly orderBy?: string;
}

/** `[WITH …] SELECT … FROM … [WHERE …] [GROUP BY …] [HAVING …] [ORDER BY …]`, empty clauses left out. */
export function selectStatement(c: SelectClauses): string {
  return [
    c.with && c.with.length > 0 ? `WITH ${c.with.join(", ")}` : "",
    `SELECT ${c.select.join(", ")}`,
    `FROM ${c.from}`,
    c.where ? `WHERE ${c.where}` : "",
    c.groupBy && c.groupBy.length > 0 ? `GROUP BY ${c.groupBy.join(", ")}` : "",
    c.having ? `HAVING ${c.having}` : "",
    c.orderBy ? `ORDER BY ${c.orderBy}` : "",
  ]
    .filter((part) => part !== "")
    .join(" ");
}

/** How a dialect renders the parts of a query. */
export interface QueryRenderer {
  readonly expr: (e: Expr) => string;
  readonly from: (f: From) => string;
  readonly alias: (name: string) => string;
}

/** A plan query in one dialect (clauses rendered in their SQL order: select, from, where, group by, having). */
export function renderQuery(q: Query, r: QueryRenderer, orderBy?: Expr): string {
  return selectStatement({
    select: q.select.map((s) => `${r.expr(s.expr)} AS ${r.alias(s.as)}`),
    from: r.from(q.from),
    where: q.where ? r.expr(q.where) : undefined,
    groupBy: q.groupBy?.map(r.expr),
    having: q.having ? r.expr(q.having) : undefined,
    orderBy: orderBy ? r.expr(orderBy) : undefined,
  });
}
