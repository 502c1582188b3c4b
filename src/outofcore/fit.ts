/**
 * feolsOutOfCore: the same OLS fit as feols, on data that stays in DuckDB (files, a database
 * table or a query). The plan (plan.ts) runs there; only sums come back, and the small solves,
 * the variance and the result are the in-memory fit's own code.
 */
import { parseFormula } from "../formula/parse.js";
import { parsePredicate, type Predicate } from "../data/predicate.js";
import { EstimationError, InputError } from "../core/errors.js";
import { resolveSsc, countK, type EffectSize } from "../vcov/ssc.js";
import { finishVcov, type SummedMeat } from "../vcov/compute.js";
import { clusterSubsets, signedMeat } from "../vcov/meat.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import { EXACT_MAX_LEVELS, SCHUR_PIVOT_TOL } from "../engine/absorb/plan.js";
import { vcovRequest } from "../vcov/spec.js";
import { FeolsResult, type FeolsFields } from "../fit/result.js";
import { checkRowsLeft, funnelDrops, levelCounts, outOfCoreFields, solveCrossProducts } from "./finish.js";
import type { FeolsOptions } from "../fit/options.js";
import type { DroppedRows } from "../fit/sample.js";
import type { Source } from "./ir.js";
import { openDuckDB, type DuckDBSettings, type PlanExecutor, type ScanStats } from "./duckdb-executor.js";
import {
  absorption,
  crossProductQuery,
  meatQuery,
  nestingQuery,
  planSample,
  projectionTables,
  schurCountsQuery,
  schurCrossQuery,
  schurPivotQuery,
  schurRhsQuery,
  schurTables,
  singletonRound,
  sizesQuery,
  unpackCrossProducts,
  unpackMeat,
  type Absorption,
  type CrossProducts,
  type Layout,
  type StagePlan,
} from "./plan.js";

/** Where the rows are: files (Parquet or CSV), a glob over them, a table of a DuckDB database, or a query. */
export type OutOfCoreSource =
  | { readonly files: string | readonly string[] }
  | { readonly glob: string }
  | { readonly table: string; readonly database: string }
  | { readonly query: string; readonly database?: string };

export interface OutOfCoreOptions extends Pick<FeolsOptions, "vcov" | "weights" | "fixefRm" | "ssc"> {
  /** Row filter in absorb's grammar ("year >= 2005 and region != 'west'"), run inside the engine. */
  readonly where?: string | Predicate;
  /** DuckDB's memory limit ("2GB"), threads and spill directory. */
  readonly duckdb?: Omit<DuckDBSettings, "database">;
}

/** A FeolsResult that also says which engine ran it and what the scan cost. */
export class OutOfCoreResult extends FeolsResult {
  readonly engine = "duckdb" as const;
  readonly scan: ScanStats;

  constructor(fields: FeolsFields, scan: ScanStats) {
    super(fields);
    this.scan = scan;
  }

  override toJSON(): Record<string, unknown> {
    return { ...super.toJSON(), engine: this.engine, scan: { rows: this.scan.rows, queries: this.scan.queries, bytes_returned: this.scan.bytesReturned } };
  }
}

/**
 * OLS with fixed effects (one of any size, the others up to EXACT_MAX_LEVELS levels together),
 * weights, iid / hetero / one- or multi-way clustered variance, computed where the data is:
 * `await feolsOutOfCore({ glob: "panel/*.parquet" }, "y ~ x1 + x2 | firm + year", { vcov: { cluster: "firm" } })`.
 */
export async function feolsOutOfCore(source: OutOfCoreSource, formula: string, options: OutOfCoreOptions = {}): Promise<OutOfCoreResult> {
  const started = performance.now();
  const spec = parseFormula(formula);
  const ssc = resolveSsc(options.ssc);
  const vreq = vcovRequest(options.vcov);
  if (vreq.type === "nw" || vreq.type === "dk") throw new InputError("option", `the DuckDB engine does not fit Newey–West or Driscoll–Kraay variances yet; use --engine memory for them`);
  if (options.fixefRm !== undefined && options.fixefRm !== "singleton" && options.fixefRm !== "none")
    throw new InputError("option", `fixefRm must be "singleton" or "none" (got ${JSON.stringify(options.fixefRm)})`);
  const where = typeof options.where === "string" ? parsePredicate(options.where) : (options.where ?? null);
  const { ir, database, describe } = resolveSource(source);
  const db = await openDuckDB(ir, { ...options.duckdb, database }, describe);
  try {
    const plan = planSample(
      { spec, weights: options.weights ?? null, clusters: vreq.columns, where },
      await db.columns(),
    );
    const { layout } = plan;
    const sample = await takeSample(db, plan, options);
    const { n, feSizes } = sample;
    const ab = layout.effects.length > 0 ? absorption(layout, feSizes) : null;
    if (ab && ab.levels > EXACT_MAX_LEVELS) {
      const names = ab.small.map((s) => `${s.effect.name} (${s.size.toLocaleString("en-US")})`).join(", ");
      throw new InputError(
        "option",
        `the DuckDB engine absorbs the largest fixed effect (${ab.big.name}) exactly and the others through a dense system of at most ` +
          `${EXACT_MAX_LEVELS} levels, but ${names} have ${ab.levels.toLocaleString("en-US")}; use --engine memory for several large fixed effects`,
      );
    }
    if (ab) await absorbInEngine(db, layout, ab);

    const p = layout.regressors.length;
    if (p === 0) throw new EstimationError("singular", `the model has no regressors to estimate: "${spec.formula}"`);
    const cross = await crossProducts(db, layout, ab);
    const ls = solveCrossProducts(cross, layout, ab !== null);
    const effects = await nestedEffects(db, layout, feSizes, vreq.type === "cluster" ? layout.clusters : []);
    const dfK = countK(ls.kept.length, effects, ssc);
    if (n - dfK <= 0) throw new EstimationError("singular", `${n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
    const { ssr, meat } = await residualSums(db, layout, ab, vreq.type, ls.kept.map((c) => c + 1), ls.beta, sample.clusterSizes);
    const vc = finishVcov({ n, k: ls.kept.length, bread: ls.bread, ssr, dfK, ssc }, meat);
    const fields = outOfCoreFields({
      spec, layout, absorbs: ab !== null, ls, vc, vreq, ssc, n, dfK, feSizes, droppedRows: sample.droppedRows, cross, ssr, threads: db.threads, started,
    });
    return new OutOfCoreResult(fields, db.stats(sample.sourceRows));
  } finally {
    db.close();
  }
}

interface TakenSample {
  readonly sourceRows: number;
  readonly n: number;
  readonly droppedRows: DroppedRows;
  readonly feSizes: readonly number[];
  readonly clusterSizes: readonly number[];
}

/** Counts what each filter drops, materialises the sample, removes singletons and sizes the effects and clusters. */
async function takeSample(db: PlanExecutor, plan: StagePlan, options: OutOfCoreOptions): Promise<TakenSample> {
  const { layout } = plan;
  const { total, drops } = funnelDrops((await db.select(plan.funnel)).map((c) => c[0]), options.weights);
  await db.run(plan.stage);
  let singletons = 0;
  if ((options.fixefRm ?? "singleton") === "singleton" && layout.effects.length > 0) {
    // Each round drops the rows alone in a level; dropping them can leave new singletons.
    for (let dropped = await db.run(singletonRound(layout)); dropped > 0; dropped = await db.run(singletonRound(layout))) singletons += dropped;
  }
  const droppedRows: DroppedRows = { ...drops, singletons };
  const sizes = (await db.select(sizesQuery(layout))).map((c) => c[0]);
  checkRowsLeft(sizes[0], total, droppedRows);
  return { sourceRows: total, n: sizes[0], droppedRows, ...levelCounts(layout, sizes) };
}

/** X'WX and X'Wy of the demeaned columns, ỹ'Wỹ, and each column's raw spread (see unpackCrossProducts). */
async function crossProducts(db: PlanExecutor, layout: Layout, ab: Absorption | null): Promise<CrossProducts> {
  return unpackCrossProducts((await db.select(crossProductQuery(layout, ab))).map((c) => c[0]), layout.columns.length);
}

/** The SSR and the meat of the variance from the residuals, which exist only inside the engine. */
async function residualSums(
  db: PlanExecutor,
  layout: Layout,
  ab: Absorption | null,
  type: "iid" | "hetero" | "cluster",
  kept: readonly number[],
  beta: Float64Array,
  clusterSizes: readonly number[],
): Promise<{ ssr: number; meat: SummedMeat }> {
  const k = kept.length;
  const sums = async (by: readonly string[] | null) => unpackMeat((await db.select(meatQuery(layout, ab, kept, beta, by))).map((c) => c[0]), k);
  if (type !== "cluster") {
    const { ssr, meat } = await sums(null);
    return { ssr, meat: type === "hetero" ? { type, meat } : { type } };
  }
  const parts: { sign: number; meat: Float64Array; ssr: number }[] = [];
  for (const { members, sign } of clusterSubsets(layout.clusters)) parts.push({ sign, ...(await sums(members)) });
  return { ssr: parts[0].ssr, meat: { type, meat: signedMeat(parts, k), clusterSizes, ways: layout.clusters.length } };
}

/** Builds the tables that hold each column's projection off the fixed effects (α per B level, Γ per small level). */
async function absorbInEngine(db: PlanExecutor, layout: Layout, ab: Absorption): Promise<void> {
  for (const s of schurTables(layout, ab)) await db.run(s);
  const width = layout.columns.length;
  const S = ab.levels;
  const gammaRows: number[][] = [];
  if (S > 0) {
    const a = new Float64Array(S * S);
    const rhs = Array.from({ length: width }, () => new Float64Array(S));
    for (let q = 0; q < ab.small.length; q++) {
      const [idx, d, ...r] = await db.select(schurRhsQuery(layout, ab, q));
      for (let i = 0; i < idx.length; i++) {
        a[idx[i] * S + idx[i]] += d[i];
        for (let j = 0; j < width; j++) rhs[j][idx[i]] = r[j][i];
      }
    }
    for (let q = 0; q < ab.small.length; q++) {
      for (let r = q + 1; r < ab.small.length; r++) {
        const [t, u, v] = await db.select(schurCountsQuery(layout, ab, q, r));
        for (let i = 0; i < t.length; i++) {
          a[t[i] * S + u[i]] += v[i];
          a[u[i] * S + t[i]] += v[i];
        }
      }
    }
    const weight = Float64Array.from({ length: S }, (_, i) => a[i * S + i]);
    if (ab.pivot) {
      const upper = (await db.select(schurPivotQuery(layout, ab))).map((c) => c[0]);
      let i = 0;
      for (let t = 0; t < S; t++) {
        for (let u = t; u < S; u++, i++) {
          a[t * S + u] -= upper[i];
          if (u !== t) a[u * S + t] -= upper[i];
        }
      }
    } else {
      const [t, u, v] = await db.select(schurCrossQuery(ab));
      for (let i = 0; i < t.length; i++) a[t[i] * S + u[i]] -= v[i];
    }
    // A level nested in the large effect leaves only rounding on its diagonal: clear it, or the relative pivot test would keep it.
    for (let i = 0; i < S; i++) {
      if (a[i * S + i] > SCHUR_PIVOT_TOL * weight[i]) continue;
      for (let j = 0; j < S; j++) a[i * S + j] = a[j * S + i] = 0;
    }
    // Rank-deficient by design (each small effect's levels sum to a B-level constant): a generalised inverse, as in memory.
    const factor = choleskyDropping(a, S, SCHUR_PIVOT_TOL);

    const gamma = rhs.map((r) => solveFactor(factor, r));
    for (let i = 0; i < S; i++) gammaRows.push([i, ...gamma.map((g) => g[i])]);
  }
  for (const s of projectionTables(layout, ab, gammaRows)) await db.run(s);
}

/** Fixed-effect sizes with fixest's nesting in the cluster variables (a nested effect adds nothing to K). */
async function nestedEffects(db: PlanExecutor, layout: Layout, sizes: readonly number[], clusters: readonly string[]): Promise<EffectSize[]> {
  const out: EffectSize[] = [];
  for (let q = 0; q < layout.effects.length; q++) {
    const fe = layout.effects[q];
    let nested = false;
    for (const c of clusters) {
      nested = fe.key === c || (await db.select(nestingQuery(fe.key, c)))[0][0] === 0;
      if (nested) break;
    }
    out.push({ size: sizes[q], nestedInCluster: nested });
  }
  return out;
}

function formatOf(name: string): "csv" | "parquet" {
  const lower = name.toLowerCase();
  if (lower.endsWith(".parquet")) return "parquet";
  if (lower.endsWith(".csv") || lower.endsWith(".csv.gz")) return "csv";
  throw new InputError("file", `cannot read "${name}" with the DuckDB engine: it reads .parquet, .csv and .csv.gz files`);
}

function resolveSource(source: OutOfCoreSource): { ir: Source; database?: string; describe: string } {
  if ("files" in source) {
    const paths = typeof source.files === "string" ? [source.files] : [...source.files];
    if (paths.length === 0) throw new InputError("option", "the DuckDB source names no files; pass { files: [...] } with at least one path");
    const formats = new Set(paths.map(formatOf));
    if (formats.size > 1) throw new InputError("file", `the files mix Parquet and CSV (${paths.join(", ")}); pass one format at a time`);
    return { ir: { kind: "files", paths, format: [...formats][0] }, describe: paths.length === 1 ? `"${paths[0]}"` : `${paths.length} files` };
  }
  if ("glob" in source) return { ir: { kind: "glob", pattern: source.glob, format: formatOf(source.glob) }, describe: `the files matching "${source.glob}"` };
  if ("table" in source) return { ir: { kind: "table", table: source.table }, database: source.database, describe: `table "${source.table}" of "${source.database}"` };
  if ("query" in source) return { ir: { kind: "query", sql: source.query }, database: source.database, describe: "the source query" };
  throw new InputError("option", "a DuckDB source is { files }, { glob }, { table, database } or { query, database? }");
}
