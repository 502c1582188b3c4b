/**
 * The fit from the results of the plan's two scripts (script.ts): the model is re-planned from
 * the formula and options alone, each named result is checked against its query's columns, Γ is
 * solved from script 1's results and the fit finished from script 2's. The same code finishes a
 * ClickHouse fit (clickhouse-executor.ts runs the scripts) and `absorb fit --from-sufficient-stats`.
 *
 * The results format ("absorb-sufficient-stats", version 1) is JSON:
 *   { "format": "absorb-sufficient-stats", "version": 1,
 *     "results": { "<name>": [[v, v, …], …], … } }
 * one entry per `-- result: <name>` query of the printed scripts, its rows in any order, each row
 * the query's columns in their order as numbers (null or "NaN" for a missing value, "Infinity").
 */
import { parseFormula, type ModelSpec } from "../formula/parse.js";
import { parsePredicate, type Predicate } from "../data/predicate.js";
import { EstimationError, InputError } from "../core/errors.js";
import { resolveSsc, countK, type EffectSize, type SmallSample } from "../vcov/ssc.js";
import { finishVcov, type SummedMeat } from "../vcov/compute.js";
import { clusterSubsets, signedMeat } from "../vcov/meat.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import { EXACT_MAX_LEVELS, SCHUR_PIVOT_TOL } from "../engine/absorb/plan.js";
import { vcovRequest, type VcovSpec } from "../vcov/spec.js";
import { FeolsResult, type FeolsFields } from "../fit/result.js";
import { checkRowsLeft, funnelDrops, levelCounts, outOfCoreFields, solveCrossProducts } from "./finish.js";
import type { DroppedRows } from "../fit/sample.js";
import type { Query } from "./ir.js";
import { planSample, unpackCrossProducts, type Absorption, type Layout, type StagePlan } from "./plan.js";
import type { OutOfCoreOptions } from "./fit.js";
import type { ScanStats, SourceColumn } from "./duckdb-executor.js";
import { clusterMeat, heteroMeat, residualWeights } from "./moments.js";
import { clusterName, countsName, LEVEL_STRIDE, nestingName, rhsName, sampleSteps, schurSteps, projectionSteps, scriptAbsorption, type Step, type VarianceKind } from "./script.js";

export const STATS_FORMAT = "absorb-sufficient-stats";
export const STATS_VERSION = 1;

/** Rows of each named result query. */
export type StatsResults = Readonly<Record<string, readonly (readonly number[])[]>>;

/** Options of a fit from scripts: the out-of-core options without DuckDB's, plus the rounds of singleton removal a printed script runs. */
export type ScriptOptions = Omit<OutOfCoreOptions, "duckdb"> & {
  /** Rounds of singleton removal in a printed script (default 10); the results say if more were needed. */
  readonly singletonRounds?: number;
};

/** A model planned for scripts: everything both scripts and the finish need. */
export interface ScriptModel {
  readonly spec: ModelSpec;
  readonly vreq: VcovSpec;
  readonly ssc: SmallSample;
  readonly stage: StagePlan;
  readonly layout: Layout;
  readonly variance: VarianceKind;
  readonly dropSingletons: boolean;
  readonly rounds: number;
  readonly weights: string | null;
}

export function scriptModel(formula: string, options: ScriptOptions, available: readonly SourceColumn[]): ScriptModel {
  const spec = parseFormula(formula);
  const vreq = vcovRequest(options.vcov);
  if (vreq.type === "nw" || vreq.type === "dk") throw new InputError("option", "out-of-core fits do not compute Newey–West or Driscoll–Kraay variances yet; use --engine memory for them");
  if (options.fixefRm !== undefined && options.fixefRm !== "singleton" && options.fixefRm !== "none")
    throw new InputError("option", `fixefRm must be "singleton" or "none" (got ${JSON.stringify(options.fixefRm)})`);
  const rounds = options.singletonRounds ?? 10;
  if (!(Number.isInteger(rounds) && rounds >= 1)) throw new InputError("option", `singleton rounds must be a positive integer (got ${rounds})`);
  const where: Predicate | null = typeof options.where === "string" ? parsePredicate(options.where) : (options.where ?? null);
  const dropSingletons = (options.fixefRm ?? "singleton") === "singleton";
  const weights = options.weights ?? null;
  const stage = planSample({ spec, weights, clusters: vreq.columns, where }, available);
  return { spec, vreq, ssc: resolveSsc(options.ssc), stage, layout: stage.layout, variance: { type: vreq.type }, dropSingletons, rounds, weights };
}

/**
 * The columns a printed script assumes (it cannot ask the warehouse): the dependent variable,
 * regressors and weights are numbers, fixed-effect and cluster columns are compared as they are
 * (no NaN test), and a --where column is a number when compared with a number.
 */
export function assumedColumns(formula: string, options: ScriptOptions): SourceColumn[] {
  const spec = parseFormula(formula);
  const vreq = vcovRequest(options.vcov);
  const where = typeof options.where === "string" ? parsePredicate(options.where) : (options.where ?? null);
  const numeric = new Set([spec.depvar, ...spec.terms.flatMap((t) => (t.kind === "variable" ? [t.name] : t.kind === "interaction" ? t.variables : [])), ...(options.weights ? [options.weights] : [])]);
  for (const c of where?.clauses ?? []) if (c.value.kind === "number") numeric.add(c.column);
  const names = new Set([...spec.variables, ...vreq.columns, ...(options.weights ? [options.weights] : []), ...(where?.columns ?? [])]);
  return [...names].map((name) => ({ name, numeric: numeric.has(name) }));
}

/** Script 1 with the large effect chosen by position (printed scripts: the first in the formula). */
export function momentsScript(model: ScriptModel, bigIndex: number): { steps: Step[]; ab: Absorption | null } {
  const ab = scriptAbsorption(model.layout, bigIndex);
  return { steps: [...sampleSteps(model.stage, model.dropSingletons, model.rounds, model.variance), ...(ab ? schurSteps(model.layout, ab) : [])], ab };
}

/** Reads a named result, checking its shape against the query it answers. */
function rowsOf(results: StatsResults, name: string, query: Query, exactlyOne: boolean): readonly (readonly number[])[] {
  const rows = results[name];
  if (rows === undefined) throw new InputError("data", `the sufficient statistics have no result "${name}"; run the script that prints "-- result: ${name}" and add its rows`);
  if (!Array.isArray(rows) || (exactlyOne && rows.length !== 1)) throw new InputError("data", `result "${name}" must be ${exactlyOne ? "one row" : "a list of rows"} (got ${Array.isArray(rows) ? `${rows.length} rows` : typeof rows})`);
  for (const row of rows) {
    if (!Array.isArray(row) || row.length !== query.select.length)
      throw new InputError("data", `result "${name}" has a row of ${Array.isArray(row) ? row.length : "no"} values; its query returns ${query.select.length} columns (${query.select.map((s) => s.as).join(", ")})`);
  }
  return rows;
}

function stepQuery(steps: readonly Step[], name: string): Query {
  const step = steps.find((s) => s.kind === "result" && s.name === name) as Extract<Step, { kind: "result" }>;
  return step.query;
}

const single = (results: StatsResults, steps: readonly Step[], name: string): readonly number[] => rowsOf(results, name, stepQuery(steps, name), true)[0];

/** Γ (one row per small level: its code, then one value per column) from script 1's results. */
export function gammaFromResults(model: ScriptModel, ab: Absorption, steps: readonly Step[], results: StatsResults): number[][] {
  if (ab.small.length === 0) return [];
  const width = model.layout.columns.length;
  // Dense positions of the strided codes: effect q's levels follow the earlier effects'.
  const rhs = ab.small.map((_, q) => rowsOf(results, rhsName(q), stepQuery(steps, rhsName(q)), false));
  const offsets: number[] = [];
  let S = 0;
  for (const rows of rhs) {
    offsets.push(S);
    S += rows.length;
  }
  if (S > EXACT_MAX_LEVELS) {
    throw new InputError(
      "option",
      `out-of-core fits absorb one fixed effect (${ab.big.name}, the first in the formula) by means and the others through a dense system of at most ${EXACT_MAX_LEVELS} levels, ` +
        `but ${ab.small.map((s) => s.effect.name).join(", ")} have ${S}; put the fixed effect with the most levels first`,
    );
  }
  const dense = (code: number): number => {
    const q = Math.floor(code / LEVEL_STRIDE);
    const local = code - q * LEVEL_STRIDE;
    if (!(q >= 0 && q < ab.small.length && local >= 0 && local < rhs[q].length)) throw new InputError("data", `a small fixed-effect code ${code} in the results is out of range; the results do not belong to this plan`);
    return offsets[q] + local;
  };
  const a = new Float64Array(S * S);
  const right = Array.from({ length: width }, () => new Float64Array(S));
  rhs.forEach((rows) => {
    for (const [code, d, ...r] of rows) {
      const i = dense(code);
      a[i * S + i] += d;
      for (let j = 0; j < width; j++) right[j][i] = r[j];
    }
  });
  ab.small.forEach((_, q) =>
    ab.small.forEach((__, r) => {
      if (r <= q) return;
      for (const [t, u, v] of rowsOf(results, countsName(q, r), stepQuery(steps, countsName(q, r)), false)) {
        a[dense(t) * S + dense(u)] += v;
        a[dense(u) * S + dense(t)] += v;
      }
    }),
  );
  const weight = Float64Array.from({ length: S }, (_, i) => a[i * S + i]);
  for (const [t, u, v] of rowsOf(results, "schur", stepQuery(steps, "schur"), false)) a[dense(t) * S + dense(u)] -= v;
  // A level nested in the large effect leaves only rounding on its diagonal: cleared, as in memory.
  for (let i = 0; i < S; i++) {
    if (a[i * S + i] > SCHUR_PIVOT_TOL * weight[i]) continue;
    for (let j = 0; j < S; j++) a[i * S + j] = a[j * S + i] = 0;
  }
  const factor = choleskyDropping(a, S, SCHUR_PIVOT_TOL);
  const gamma = right.map((r) => solveFactor(factor, r));
  const codes = new Float64Array(S);
  rhs.forEach((rows, q) => rows.forEach(([code]) => (codes[dense(code)] = code)));
  return Array.from({ length: S }, (_, i) => [codes[i], ...gamma.map((g) => g[i])]);
}

/** Script 2 for the Γ solved from script 1's results. */
export function projectionScript(model: ScriptModel, ab: Absorption | null, gammaRows: readonly (readonly number[])[]): Step[] {
  return projectionSteps(model.layout, ab, gammaRows, model.variance);
}

/** A fit finished from sufficient statistics, saying which engine computed them. */
export class SufficientStatsResult extends FeolsResult {
  constructor(
    fields: FeolsFields,
    readonly engine: string,
    readonly scan: ScanStats | null,
  ) {
    super(fields);
  }

  override toJSON(): Record<string, unknown> {
    const scan = this.scan && { rows: this.scan.rows, queries: this.scan.queries, bytes_returned: this.scan.bytesReturned };
    return { ...super.toJSON(), engine: this.engine, ...(scan ? { scan } : {}) };
  }
}

/** Whether singleton removal in a printed script went far enough (its check counted no rows left in singleton levels). */
export function checkSingletonsDone(model: ScriptModel, steps: readonly Step[], results: StatsResults): void {
  const step = steps.find((s) => s.kind === "singletons") as Extract<Step, { kind: "singletons" }> | undefined;
  if (!step) return;
  const [left] = rowsOf(results, "singletons_left", step.check, true)[0];
  if (left > 0) throw new InputError("data", `${left} rows are still singletons after ${model.rounds} rounds of removal; print the script again with more rounds (--singleton-rounds) and rerun it`);
}

/** The fit from both scripts' results. */
export function finishFromResults(model: ScriptModel, ab: Absorption | null, steps1: readonly Step[], steps2: readonly Step[], results: StatsResults, engine: string, scan: ScanStats | null, started: number): SufficientStatsResult {
  const { layout, spec, ssc, vreq } = model;
  const { total, drops } = funnelDrops(single(results, steps1, "funnel"), model.weights);
  const sizes = single(results, steps1, "sizes");
  const n = sizes[0];
  // Singleton removal took what the weight filter left, down to the sample's n.
  const droppedRows: DroppedRows = { ...drops, singletons: total - drops.subset - drops.missing - drops.nonFinite - drops.weights - n };
  checkRowsLeft(n, total, droppedRows);
  const { feSizes, clusterSizes } = levelCounts(layout, sizes);
  const width = layout.columns.length;
  const p = width - 1;
  if (p === 0) throw new EstimationError("singular", `the model has no regressors to estimate: "${spec.formula}"`);
  const cross = unpackCrossProducts(single(results, steps2, "cross"), width);
  const { at } = cross;
  const ls = solveCrossProducts(cross, layout, ab !== null);
  const effects: EffectSize[] = layout.effects.map((fe, q) => ({
    size: feSizes[q],
    nestedInCluster: vreq.type === "cluster" && layout.clusters.some((c, j) => fe.key === c || single(results, steps1, nestingName(q, j))[0] === 0),
  }));
  const dfK = countK(ls.kept.length, effects, ssc);
  if (n - dfK <= 0) throw new EstimationError("singular", `${n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
  const kept = ls.kept.map((c) => c + 1);
  const c = residualWeights(width, kept, ls.beta);
  let ssr = 0;
  for (let i = 0; i < width; i++) for (let j = 0; j < width; j++) ssr += c[i] * c[j] * at(i, j);
  let meat: SummedMeat;
  if (vreq.type === "cluster") {
    const parts = clusterSubsets(layout.clusters).map(({ members, sign }) => ({ sign, meat: clusterMeat(single(results, steps2, clusterName(members, layout)), width, kept, c) }));
    meat = { type: "cluster", meat: signedMeat(parts, kept.length), clusterSizes, ways: layout.clusters.length };
  } else if (vreq.type === "hetero") {
    meat = { type: "hetero", meat: heteroMeat(single(results, steps2, "hetero"), width, kept, c) };
  } else {
    meat = { type: "iid" };
  }
  const vc = finishVcov({ n, k: kept.length, bread: ls.bread, ssr, dfK, ssc }, meat);
  const fields = outOfCoreFields({ spec, layout, absorbs: ab !== null, ls, vc, vreq, ssc, n, dfK, feSizes, droppedRows, cross, ssr, threads: 1, started });
  return new SufficientStatsResult(fields, engine, scan);
}


/** Parses a results file's text (the JSON format above). */
export function parseStats(text: string, file: string): StatsResults {
  let doc: unknown;
  try {
    doc = JSON.parse(text);
  } catch (err) {
    throw new InputError("file", `${file} is not JSON (${(err as Error).message}); sufficient statistics are {"format": "${STATS_FORMAT}", "version": 1, "results": {...}}`);
  }
  const d = doc as { format?: unknown; version?: unknown; results?: unknown };
  if (d === null || typeof d !== "object" || d.format !== STATS_FORMAT || d.version !== STATS_VERSION || typeof d.results !== "object" || d.results === null) {
    throw new InputError("file", `${file} is not absorb sufficient statistics: expected {"format": "${STATS_FORMAT}", "version": ${STATS_VERSION}, "results": {"name": [[...], ...]}}`);
  }
  const out: Record<string, number[][]> = {};
  for (const [name, rows] of Object.entries(d.results as Record<string, unknown>)) {
    if (!Array.isArray(rows)) throw new InputError("file", `${file}: result "${name}" must be a list of rows`);
    out[name] = rows.map((row, r) => {
      if (!Array.isArray(row)) throw new InputError("file", `${file}: result "${name}" row ${r + 1} must be a list of numbers`);
      return row.map((v) => {
        if (v === null) return NaN;
        const x = typeof v === "number" ? v : typeof v === "string" ? Number(v) : NaN;
        if (typeof v !== "number" && !(typeof v === "string" && (v.trim() !== "" && (!Number.isNaN(x) || v.trim() === "NaN")))) throw new InputError("file", `${file}: result "${name}" row ${r + 1} holds ${JSON.stringify(v)}, not a number`);
        return x;
      });
    });
  }
  return out;
}

/** Results as the JSON format above (what an executor collected, or a template to fill). */
export function formatStats(results: StatsResults): string {
  const rows = Object.fromEntries(Object.entries(results).map(([k, v]) => [k, v.map((r) => r.map((x) => (Number.isFinite(x) ? x : String(x))))]));
  return JSON.stringify({ format: STATS_FORMAT, version: STATS_VERSION, results: rows });
}
