/**
 * An OLS fit with fixed effects compiled into aggregation queries (ir.ts) over the user's data.
 *
 * The exact projection off the fixed effects is taken in closed form, as the in-memory "exact"
 * method does: the largest effect (B, e.g. firm) by group means, the small ones (S: their levels
 * together, e.g. years) through their Schur complement A = D'W M_B D, which is |S|×|S| and
 * built from per-(B level, S level) weight sums. Each column c (y, then each regressor) is
 * projected by Γ_c = A⁺ D'W M_B c (solved here, in JS) and α_c = B-means of c − DΓ_c, so
 * c̃ = c − α_c[B] − Γ_c[S] exactly, row by row, inside the engine. Only sums of c̃ products,
 * score sums and the |S|-sized system ever come back.
 *
 * Table names are the plan's own: "s" (the sample), "fb" (B-level sums), "lev_q" (codes of
 * small effect q), "pairs" (per B and S level weight sums, when there are too many small levels
 * to pivot them into "fb"), "gam"/"gl_q" (Γ), "fa" (α).
 */
import { and, col, div, double, join, mul, num, product, sub, sum, table, total, type Expr, type From, type Query, type Statement } from "./ir.js";
import { numericTarget, textTarget, type Predicate } from "../data/predicate.js";
import type { ModelSpec } from "../formula/parse.js";
import { InputError } from "../core/errors.js";
import { missingColumnsError } from "../data/select.js";
import type { SourceColumn } from "./duckdb-executor.js";
import { hasSlopes } from "../fit/absorb-slopes.js";

export interface PlanRequest {
  readonly spec: ModelSpec;
  readonly weights: string | null;
  readonly clusters: readonly string[];
  readonly where: Predicate | null;
}

/** One fixed effect in the sample table: `key` is the column (or a^b key) it groups on. */
export interface PlannedEffect {
  readonly name: string;
  readonly variables: readonly string[];
  readonly key: string;
}

/** How the model's columns sit in the sample table "s". */
export interface Layout {
  /** y first, then the regressors, as expressions over "s". */
  readonly columns: readonly Expr[];
  readonly regressors: readonly string[];
  readonly weight: Expr;
  readonly effects: readonly PlannedEffect[];
  /** Sample-table columns of the cluster variables. */
  readonly clusters: readonly string[];
}

export interface StagePlan {
  readonly layout: Layout;
  /** Row counts before the sample is taken, one column each: total, in the subset, with no missing value, with no infinite value, with a usable weight, with a negative weight. */
  readonly funnel: Query;
  /** Materialises the sample: kept rows, used columns only, renamed. */
  readonly stage: Statement;
}

/** Checks the model against the source's columns and plans taking the sample. */
export function planSample(req: PlanRequest, available: readonly SourceColumn[]): StagePlan {
  const { spec } = req;
  const byName = new Map(available.map((c) => [c.name, c]));
  if (spec.derived.length > 0) throw unsupported(`transforms and panel lags (${spec.derived.map((d) => d.name).join(", ")})`);
  if (hasSlopes(spec.fixedEffects)) throw unsupported("varying slopes");
  const used = [...new Set([...spec.variables, ...req.clusters, ...(req.weights ? [req.weights] : []), ...(req.where?.columns ?? [])])];
  const missing = used.filter((name) => !byName.has(name));
  if (missing.length > 0) throw missingColumnsError(missing, [...byName.keys()], "the data");
  if (spec.endogenous.length > 0) throw unsupported("IV (a third formula part)");
  // Each regressor is a product of numeric columns (one for a plain variable, several for x:z).
  const regressorColumns = spec.terms.map((t) => {
    if (t.kind === "factor") throw unsupported(`factor terms such as i(${t.variable})`);
    if (t.kind === "sunab") throw unsupported("sunab()");
    return t.kind === "variable" ? [t.name] : t.variables;
  });
  const numericUse = [...new Set([spec.depvar, ...regressorColumns.flat(), ...(req.weights ? [req.weights] : [])])];
  for (const name of numericUse) {
    if (!byName.get(name)!.numeric) {
      throw new InputError("column", `column "${name}" is not numeric (it holds text); a regressor, dependent variable or weight must be numeric: put it after | as a fixed effect`);
    }
  }
  // Every source column the model uses becomes one sample column c0, c1, …: no user name is spliced into SQL after the stage.
  const modelColumns = [...new Set([...spec.variables, ...req.clusters, ...(req.weights ? [req.weights] : [])])];
  const names = new Map(modelColumns.map((name, i) => [name, `c${i}`]));
  const inSample = (name: string): Expr => col(names.get(name)!);
  const fromSource = (name: string): Expr => col(name);
  const stageColumns: { as: string; expr: Expr }[] = modelColumns.map((name) => ({ as: names.get(name)!, expr: numericUse.includes(name) ? double(fromSource(name)) : fromSource(name) }));
  const effects = spec.fixedEffects.map((fe, q): PlannedEffect => {
    if (fe.variables.length === 1) return { name: fe.name, variables: fe.variables, key: names.get(fe.variables[0])! };
    stageColumns.push({ as: `f${q}`, expr: { op: "key", args: fe.variables.map(fromSource) } });
    return { name: fe.name, variables: fe.variables, key: `f${q}` };
  });
  const regressorExprs = regressorColumns.map((cols) => product(cols.map(inSample)));
  const regressorNames = regressorColumns.map((cols) => cols.join(":"));
  const layout: Layout = {
    columns: [inSample(spec.depvar), ...(spec.intercept ? [num(1)] : []), ...regressorExprs],
    regressors: [...(spec.intercept ? ["(Intercept)"] : []), ...regressorNames],
    weight: req.weights ? inSample(req.weights) : num(1),
    effects,
    clusters: req.clusters.map((c) => names.get(c)!),
  };

  const subset = req.where ? and(req.where.clauses.map((c) => clauseExpr(c, byName.get(c.column)!.numeric))) : null;
  const mustExist = [...new Set([...numericUse.filter((n) => n !== req.weights), ...spec.fixedEffects.flatMap((fe) => fe.variables), ...req.clusters])];
  const present = and(mustExist.map((name) => ({ op: "present", arg: fromSource(name), numeric: byName.get(name)!.numeric }) as Expr));
  // ±Infinity in a numeric column drops the row, counted apart from missing values (as in memory).
  const finiteUse = numericUse.filter((n) => n !== req.weights);
  const finite = finiteUse.length > 0 ? and(finiteUse.map((name) => ({ op: "finite", arg: double(fromSource(name)) }) as Expr)) : null;
  const w = req.weights ? double(fromSource(req.weights)) : null;
  const weighted = w ? and([{ op: "cmp", fn: ">", args: [w, num(0)] }, { op: "finite", arg: w }]) : null;
  const negative: Expr | null = w ? { op: "cmp", fn: "<", args: [w, num(0)] } : null;
  const chain = (parts: (Expr | null)[]): Expr => {
    const kept = parts.filter((p): p is Expr => p !== null);
    return kept.length === 0 ? { op: "cmp", fn: "=", args: [num(1), num(1)] } : and(kept);
  };
  const countIf = (cond: Expr): Expr => sum(double(cond));
  const funnel: Query = {
    select: [
      { as: "total", expr: double({ op: "count" }) },
      { as: "subset", expr: countIf(chain([subset])) },
      { as: "present", expr: countIf(chain([subset, present])) },
      { as: "finite", expr: countIf(chain([subset, present, finite])) },
      { as: "weighted", expr: countIf(chain([subset, present, finite, weighted])) },
      { as: "negative", expr: negative ? countIf(chain([subset, present, finite, negative])) : num(0) },
    ],
    from: { kind: "source" },
  };
  const stage: Statement = { kind: "create", table: "s", query: { select: stageColumns, from: { kind: "source" }, where: chain([subset, present, finite, weighted]) } };
  return { layout, funnel, stage };
}

function unsupported(what: string): InputError {
  return new InputError("option", `the DuckDB engine does not fit ${what} yet; use --engine memory (the default) for this model`);
}

/** A --where clause as SQL, with absorb's meaning: a missing value satisfies nothing; text compares as text. */
function clauseExpr(c: Predicate["clauses"][number], numeric: boolean): Expr {
  const column = col(c.column);
  if (numeric) {
    return and([{ op: "present", arg: column, numeric: true }, { op: "cmp", fn: c.op, args: [double(column), num(numericTarget(c))] }]);
  }
  return { op: "cmp", fn: c.op, args: [{ op: "text", arg: column }, { op: "str", value: textTarget(c) }] };
}

/** One round of singleton removal: rows alone in their level of any fixed effect. */
export function singletonRound(layout: Layout): Statement {
  const singleLevels = (key: string): Query => ({
    select: [{ as: key, expr: col(key) }],
    from: table("s"),
    groupBy: [col(key)],
    having: { op: "cmp", fn: "=", args: [{ op: "count" }, num(1)] },
  });
  return { kind: "delete", table: "s", where: { op: "or", args: layout.effects.map((fe) => ({ op: "in", arg: col(fe.key), query: singleLevels(fe.key) }) as Expr) } };
}

/** The grouping columns whose levels are counted: fixed effects and clusters, each once (firm effects clustered by firm share one count). */
export function countedKeys(layout: Layout): string[] {
  return [...new Set([...layout.effects.map((fe) => fe.key), ...layout.clusters])];
}

/** The sample's rows, then the number of levels of each of countedKeys. */
export function sizesQuery(layout: Layout): Query {
  return {
    select: [{ as: "n", expr: double({ op: "count" }) }, ...countedKeys(layout).map((key) => ({ as: key, expr: double({ op: "countDistinct", arg: col(key) }) }))],
    from: table("s"),
  };
}

/** How many levels of `key` meet more than one value of `by` (0: nested); min ≠ max is cheaper than counting distinct values. */
export function nestingQuery(key: string, by: string): Query {
  return {
    select: [{ as: "spread", expr: double({ op: "count" }) }],
    from: {
      kind: "query",
      alias: "g",
      query: { select: [{ as: key, expr: col(key) }], from: table("s"), groupBy: [col(key)], having: { op: "cmp", fn: "!=", args: [{ op: "min", arg: col(by) }, { op: "max", arg: col(by) }] } },
    },
  };
}

/** The fixed effects as the projection uses them: the largest first, the rest numbered into one index. */
export interface Absorption {
  readonly big: PlannedEffect;
  readonly small: readonly { readonly effect: PlannedEffect; readonly offset: number; readonly size: number }[];
  /** Σ sizes of the small effects. */
  readonly levels: number;
  /**
   * Few small levels (≤ PIVOT_MAX_LEVELS): A's B part is summed from each B level's weights per
   * small level pivoted into columns, so no (B, S level) table and no self-join on it is needed.
   */
  readonly pivot: boolean;
}

/** Up to this many small levels they are pivoted (S(S+1)/2 sums for A); beyond, a (B, S level) table and a self-join. */
export const PIVOT_MAX_LEVELS = 64;

export function absorption(layout: Layout, sizes: readonly number[]): Absorption {
  const order = layout.effects.map((_, q) => q).sort((a, b) => sizes[b] - sizes[a]);
  let levels = 0;
  const small = order.slice(1).map((q) => {
    const entry = { effect: layout.effects[q], offset: levels, size: sizes[q] };
    levels += sizes[q];
    return entry;
  });
  return { big: layout.effects[order[0]], small, levels, pivot: levels <= PIVOT_MAX_LEVELS };
}

const mean = (j: number) => `m${j}`;
const gamma = (j: number) => `g${j}`;
const alpha = (j: number) => `a${j}`;
const smallGamma = (q: number, j: number) => `g${q}_${j}`;
const levelWeight = (t: number) => `n${t}`;
const isLevel = (idx: Expr, t: number): Expr => double({ op: "cmp", fn: "=", args: [idx, num(t)] });

/** The sample joined with every small effect's codes (as l0.idx, l1.idx, …). */
function withCodes(ab: Absorption): From {
  return ab.small.reduce((from: From, { effect }, q) => join(from, table(`lev${q}`, `l${q}`), effect.key), table("s"));
}

/** The statements that build small-level codes, B-level sums and means, and (unpivoted) the per-(B, S level) weights. */
export function schurTables(layout: Layout, ab: Absorption): Statement[] {
  const w = layout.weight;
  const big = col(ab.big.key);
  const out: Statement[] = ab.small.map(({ effect, offset }, q): Statement => {
    const key = col(effect.key);
    return {
      kind: "create",
      table: `lev${q}`,
      query: { select: [{ as: effect.key, expr: key }, { as: "idx", expr: double({ op: "arith", fn: "+", args: [{ op: "rowIndex", orderBy: key }, num(offset)] }) }], from: table("s"), groupBy: [key] },
    };
  });
  // Kept narrow: later passes join it on every row.
  out.push({
    kind: "create",
    table: "fb",
    query: { select: [{ as: ab.big.key, expr: big }, { as: "wsum", expr: sum(w) }, ...layout.columns.map((c, j) => ({ as: mean(j), expr: div(sum(mul(w, c)), sum(w)) }))], from: table("s"), groupBy: [big] },
  });
  if (!ab.pivot) {
    ab.small.forEach(({ effect }, q) => {
      out.push({
        kind: q === 0 ? "create" : "insert",
        table: "pairs",
        query: { select: [{ as: ab.big.key, expr: big }, { as: "idx", expr: col("idx") }, { as: "n", expr: sum(w) }], from: join(table("s"), table(`lev${q}`), effect.key), groupBy: [big, col("idx")] },
      });
    });
  }
  return out;
}

/** Per small level: its weight (A's diagonal) and D'W M_B c for every column (B-demeaned sums). */
export function schurRhsQuery(layout: Layout, ab: Absorption, q: number): Query {
  const w = layout.weight;
  const effect = ab.small[q].effect;
  return {
    select: [
      { as: "idx", expr: col("idx") },
      { as: "d", expr: sum(w) },
      ...layout.columns.map((c, j) => ({ as: `r${j}`, expr: sum(mul(w, sub(c, col(mean(j))))) })),
    ],
    from: join(join(table("s"), table("fb"), ab.big.key), table(`lev${q}`), effect.key),
    groupBy: [col("idx")],
  };
}

/** D'WD between two small effects q < r: the weight of each (level of q, level of r) pair, as (t, u, value) rows. */
export function schurCountsQuery(layout: Layout, ab: Absorption, q: number, r: number): Query {
  return {
    select: [
      { as: "t", expr: col("idx", "l1") },
      { as: "u", expr: col("idx", "l2") },
      { as: "v", expr: sum(layout.weight) },
    ],
    from: join(join(table("s"), table(`lev${q}`, "l1"), ab.small[q].effect.key), table(`lev${r}`, "l2"), ab.small[r].effect.key),
    groupBy: [col("idx", "l1"), col("idx", "l2")],
  };
}

/**
 * Pivoted: the part Σ_B n_Bt n_Bu / W_B of the Schur complement (t ≤ u) in one row, the upper
 * triangle row by row, from one row per B level holding its weight in each small level.
 */
export function schurPivotQuery(layout: Layout, ab: Absorption): Query {
  const w = layout.weight;
  const key = ab.big.key;
  const perLevel: Query = {
    select: [
      { as: key, expr: col(key) },
      { as: "wsum", expr: sum(w) },
      ...ab.small.flatMap(({ offset, size }, q) => Array.from({ length: size }, (_, i) => ({ as: levelWeight(offset + i), expr: sum(mul(w, isLevel(col("idx", `l${q}`), offset + i))) }))),
    ],
    from: withCodes(ab),
    groupBy: [col(key)],
  };
  const select: { as: string; expr: Expr }[] = [];
  for (let t = 0; t < ab.levels; t++) {
    for (let u = t; u < ab.levels; u++) select.push({ as: `v${t}_${u}`, expr: sum(div(mul(col(levelWeight(t)), col(levelWeight(u))), col("wsum"))) });
  }
  return { select, from: { kind: "query", query: perLevel, alias: "pb" } };
}

/** The same as (t, u, value) rows by a self-join of "pairs" on B: for many small levels. */
export function schurCrossQuery(ab: Absorption): Query {
  const key = ab.big.key;
  return {
    select: [
      { as: "t", expr: col("idx", "p1") },
      { as: "u", expr: col("idx", "p2") },
      { as: "v", expr: sum(div(mul(col("n", "p1"), col("n", "p2")), col("wsum", "fb"))) },
    ],
    from: join(join(table("pairs", "p1"), table("pairs", "p2"), key), table("fb"), key),
    groupBy: [col("idx", "p1"), col("idx", "p2")],
  };
}

/** Uploads Γ (one row per small level) and derives α, the B-level part of each column's projection. */
export function projectionTables(layout: Layout, ab: Absorption, gammaRows: readonly (readonly number[])[]): Statement[] {
  const width = layout.columns.length;
  const key = ab.big.key;
  const out: Statement[] = [];
  if (ab.small.length === 0) {
    out.push({ kind: "create", table: "fa", query: { select: [{ as: key, expr: col(key) }, ...layout.columns.map((_, j) => ({ as: alpha(j), expr: col(mean(j)) }))], from: table("fb") } });
    return out;
  }
  out.push({ kind: "values", table: "gam", columns: ["idx", ...layout.columns.map((_, j) => gamma(j))], rows: gammaRows });
  ab.small.forEach(({ effect }, q) => {
    out.push({
      kind: "create",
      table: `gl${q}`,
      query: { select: [{ as: effect.key, expr: col(effect.key) }, ...layout.columns.map((_, j) => ({ as: smallGamma(q, j), expr: col(gamma(j)) }))], from: join(table(`lev${q}`), table("gam"), "idx") },
    });
  });
  // α = B-means of c − DΓ_c: the B-level sums of w·Γ_c over the rows, from the sample joined with the Γ tables.
  const gammaSums: Query = {
    select: [{ as: key, expr: col(key) }, ...Array.from({ length: width }, (_, j) => ({ as: `sg${j}`, expr: sum(mul(layout.weight, total(ab.small.map((_, q) => col(smallGamma(q, j)))))) }))],
    from: ab.small.reduce((from: From, { effect }, q) => join(from, table(`gl${q}`), effect.key), table("s")),
    groupBy: [col(key)],
  };
  out.push({
    kind: "create",
    table: "fa",
    query: {
      select: [{ as: key, expr: col(key) }, ...Array.from({ length: width }, (_, j) => ({ as: alpha(j), expr: sub(col(mean(j)), div(col(`sg${j}`), col("wsum"))) }))],
      from: join(table("fb"), { kind: "query", query: gammaSums, alias: "t" }, key),
    },
  });
  return out;
}

/**
 * The sample's rows with every column projected off the fixed effects (d0 = ỹ, d1… the
 * regressors), the weight (w) and the cluster columns; the raw columns as v0, v1, ….
 */
export function demeanedRows(layout: Layout, ab: Absorption | null): Query {
  let from: From = table("s");
  if (ab) {
    from = join(from, table("fa"), ab.big.key);
    ab.small.forEach(({ effect }, q) => (from = join(from, table(`gl${q}`), effect.key)));
  }
  const demeaned = (c: Expr, j: number): Expr => (ab ? sub(sub(c, col(alpha(j))), total([num(0), ...ab.small.map((_, q) => col(smallGamma(q, j)))])) : c);
  return {
    select: [
      { as: "w", expr: layout.weight },
      ...layout.columns.map((c, j) => ({ as: `d${j}`, expr: demeaned(c, j) })),
      ...layout.columns.map((c, j) => ({ as: `v${j}`, expr: c })),
      ...layout.clusters.map((c) => ({ as: c, expr: col(c) })),
    ],
    from,
  };
}

const rows = (layout: Layout, ab: Absorption | null): From => ({ kind: "query", query: demeanedRows(layout, ab), alias: "r" });

/** Σw d_i d_j (i ≤ j, over y and the regressors), Σw, Σw v_j and Σw v_j² in one row. */
export function crossProductQuery(layout: Layout, ab: Absorption | null): Query {
  const width = layout.columns.length;
  const select: { as: string; expr: Expr }[] = [{ as: "sw", expr: sum(col("w")) }];
  for (let i = 0; i < width; i++) for (let j = i; j < width; j++) select.push({ as: `x${i}_${j}`, expr: sum(product([col("w"), col(`d${i}`), col(`d${j}`)])) });
  for (let j = 0; j < width; j++) select.push({ as: `s${j}`, expr: sum(mul(col("w"), col(`v${j}`))), }, { as: `q${j}`, expr: sum(product([col("w"), col(`v${j}`), col(`v${j}`)])) });
  return { select, from: rows(layout, ab) };
}

/** Position of Σw d_i d_j (i ≤ j) in crossProductQuery's row. */
export function crossIndex(width: number, i: number, j: number): number {
  const [a, b] = i <= j ? [i, j] : [j, i];
  return 1 + a * width - (a * (a - 1)) / 2 + (b - a);
}

/** What crossProductQuery's row holds, unpacked: the normal equations of the demeaned columns. */
export interface CrossProducts {
  readonly xtx: Float64Array;
  readonly xty: Float64Array;
  /** ỹ'Wỹ. */
  readonly withinTss: number;
  /** Each column's raw spread Σw(v − v̄)² (for R² and the absorbed check). */
  readonly rawSpread: number[];
  /** Σw d_i d_j of layout columns i, j (0: the dependent variable). */
  readonly at: (i: number, j: number) => number;
}

/** Unpacks crossProductQuery's row for `width` layout columns (the dependent variable and p regressors). */
export function unpackCrossProducts(row: readonly number[], width: number): CrossProducts {
  const p = width - 1;
  const sw = row[0];
  const at = (i: number, j: number) => row[crossIndex(width, i, j)];
  const tail = 1 + (width * (width + 1)) / 2;
  // As centredSquares computes it in memory: Σw v² − Σw · mean².
  const rawSpread = Array.from({ length: width }, (_, j) => row[tail + 2 * j + 1] - sw * (row[tail + 2 * j] / sw) ** 2);
  const xtx = new Float64Array(p * p);
  const xty = new Float64Array(p);
  for (let a = 0; a < p; a++) {
    xty[a] = at(0, a + 1);
    for (let b = 0; b < p; b++) xtx[a * p + b] = at(a + 1, b + 1);
  }
  return { xtx, xty, withinTss: at(0, 0), rawSpread, at };
}

/** e = ỹ − Σ β_k d_k over the kept regressors (indices into the layout's columns, 1-based). */
function residual(kept: readonly number[], beta: ArrayLike<number>): Expr {
  return kept.reduce((e, c, i) => sub(e, mul(num(beta[i]), col(`d${c}`))), col("d0"));
}

/**
 * The variance's sums over residuals: SSR, and the meat for hetero (Σ w² e² d d') or for one
 * cluster grouping (Σ_g S_g S_g' with S_g = Σ_{i∈g} w e d). Row: ssr, then the k×k meat's upper triangle.
 */
export function meatQuery(layout: Layout, ab: Absorption | null, kept: readonly number[], beta: ArrayLike<number>, by: readonly string[] | null): Query {
  const k = kept.length;
  const withResidual: From = {
    kind: "query",
    alias: "e",
    query: { select: [{ as: "w", expr: col("w") }, { as: "e", expr: residual(kept, beta) }, ...kept.map((c) => ({ as: `d${c}`, expr: col(`d${c}`) })), ...layout.clusters.map((c) => ({ as: c, expr: col(c) }))], from: rows(layout, ab) },
  };
  const we = mul(col("w"), col("e"));
  const upper = (f: (a: number, b: number) => Expr): { as: string; expr: Expr }[] => {
    const out: { as: string; expr: Expr }[] = [];
    for (let a = 0; a < k; a++) for (let b = a; b < k; b++) out.push({ as: `m${a}_${b}`, expr: f(a, b) });
    return out;
  };
  if (by === null) {
    return {
      select: [{ as: "ssr", expr: sum(mul(we, col("e"))) }, ...upper((a, b) => sum(product([we, we, col(`d${kept[a]}`), col(`d${kept[b]}`)])))],
      from: withResidual,
    };
  }
  const scores: Query = {
    select: [{ as: "ss", expr: sum(mul(we, col("e"))) }, ...kept.map((c, a) => ({ as: `sc${a}`, expr: sum(mul(we, col(`d${c}`))) }))],
    from: withResidual,
    groupBy: by.map((c) => col(c)),
  };
  return { select: [{ as: "ssr", expr: sum(col("ss")) }, ...upper((a, b) => sum(mul(col(`sc${a}`), col(`sc${b}`))))], from: { kind: "query", query: scores, alias: "g" } };
}

/** Unpacks meatQuery's row into ssr and the full k×k meat. */
export function unpackMeat(row: readonly number[], k: number): { ssr: number; meat: Float64Array } {
  const meat = new Float64Array(k * k);
  let i = 1;
  for (let a = 0; a < k; a++) {
    for (let b = a; b < k; b++) {
      meat[a * k + b] = row[i];
      meat[b * k + a] = row[i];
      i++;
    }
  }
  return { ssr: row[0], meat };
}
