/**
 * The plan's expressions (ir.ts) as SQL, for every dialect: how an expression is put together —
 * parentheses, infix operators, AND/OR, which parts are rendered — is written once here; the
 * dialects differ only in spellings (literals, casts, functions, column references), given as a
 * table per dialect.
 */
import type { Expr } from "./ir.js";

type ExprOf<K extends Expr["op"]> = Extract<Expr, { op: K }>;

/** One dialect's spellings; x, parts and the like are the operands already rendered. */
export interface ExprSpelling {
  readonly col: (e: ExprOf<"col">) => string;
  readonly num: (value: number) => string;
  readonly str: (text: string) => string;
  /** Not missing (numeric: and not NaN). */
  readonly present: (x: string, numeric: boolean) => string;
  readonly finite: (x: string) => string;
  /** x as a double; `arg` is the expression x was rendered from (some dialects cast a condition differently). */
  readonly double: (x: string, arg: Expr) => string;
  readonly text: (x: string) => string;
  readonly key: (parts: readonly string[]) => string;
  readonly aggregate: (fn: "sum" | "min" | "max", x: string) => string;
  readonly count: string;
  readonly countDistinct: (x: string) => string;
  /** The 0-based row number in `orderBy`'s order; orderBy renders the ordering only when called. */
  readonly rowIndex: (orderBy: () => string) => string;
  /** arg IN (subquery); `expr` renders the operand. */
  readonly in: (e: ExprOf<"in">, expr: (e: Expr) => string) => string;
}

/** The renderer of one dialect's expressions. */
export function exprRenderer(spell: ExprSpelling): (e: Expr) => string {
  const expr = (e: Expr): string => {
    switch (e.op) {
      case "col":
        return spell.col(e);
      case "num":
        return spell.num(e.value);
      case "str":
        return spell.str(e.value);
      case "arith":
      case "cmp":
        return `(${expr(e.args[0])} ${e.fn} ${expr(e.args[1])})`;
      case "and":
      case "or":
        return `(${e.args.map(expr).join(` ${e.op.toUpperCase()} `)})`;
      case "present":
        return spell.present(expr(e.arg), e.numeric);
      case "finite":
        return spell.finite(expr(e.arg));
      case "double":
        return spell.double(expr(e.arg), e.arg);
      case "text":
        return spell.text(expr(e.arg));
      case "key":
        return spell.key(e.args.map(expr));
      case "sum":
      case "min":
      case "max":
        return spell.aggregate(e.op, expr(e.arg));
      case "count":
        return spell.count;
      case "countDistinct":
        return spell.countDistinct(expr(e.arg));
      case "rowIndex":
        return spell.rowIndex(() => expr(e.orderBy));
      case "in":
        return spell.in(e, expr);
    }
  };
  return expr;
}
