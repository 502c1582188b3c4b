/**
 * Printed plans for engines absorb does not talk to. Step 1: `printPlan` without results prints
 * script 1; the user runs it and saves each "-- result: NAME" query's rows in the results format
 * (sufficient-stats.ts). Step 2: `printPlan` with those results solves Γ and prints script 2, to
 * run in the same session (it reads script 1's tables). Step 3: `feolsFromSufficientStats` with
 * both scripts' results finishes the fit. The first fixed effect in the formula is the one
 * absorbed by means (list the one with most levels first).
 */
import { InputError } from "../core/errors.js";
import { duckdbDialect, type Dialect } from "./duckdb-dialect.js";
import { clickhouseDialect } from "./clickhouse-dialect.js";
import { warehouseDialect } from "./warehouse-dialect.js";
import { printSteps } from "./script-runner.js";
import type { Step } from "./script.js";
import {
  assumedColumns,
  checkSingletonsDone,
  finishFromResults,
  gammaFromResults,
  momentsScript,
  projectionScript,
  scriptModel,
  type ScriptModel,
  type ScriptOptions,
  type StatsResults,
  type SufficientStatsResult,
} from "./sufficient-stats.js";
import type { Absorption } from "./plan.js";

export const DIALECTS = ["duckdb", "clickhouse", "spark", "bigquery"] as const;
export type DialectName = (typeof DIALECTS)[number];

function dialectFor(name: DialectName, table: string): Dialect {
  const source = { kind: "table", table } as const;
  switch (name) {
    case "duckdb":
      return duckdbDialect(source);
    case "clickhouse":
      return clickhouseDialect(source, "absorb_");
    case "spark":
    case "bigquery":
      return warehouseDialect(name, source);
    default:
      throw new InputError("option", `--dialect must be one of ${DIALECTS.join(", ")} (got "${name as string}")`);
  }
}

interface Planned {
  readonly model: ScriptModel;
  readonly steps1: Step[];
  readonly ab: Absorption | null;
}

function plan(formula: string, options: ScriptOptions): Planned {
  const model = scriptModel(formula, options, assumedColumns(formula, options));
  const { steps, ab } = momentsScript(model, 0);
  return { model, steps1: steps, ab };
}

function projection(p: Planned, results: StatsResults): Step[] {
  checkSingletonsDone(p.model, p.steps1, results);
  return projectionScript(p.model, p.ab, p.ab ? gammaFromResults(p.model, p.ab, p.steps1, results) : []);
}

/** Script 1 (no results yet) or script 2 (from script 1's results) in the dialect's SQL, reading `table`. */
export function printPlan(dialect: DialectName, table: string, formula: string, options: ScriptOptions = {}, results?: StatsResults): string {
  const p = plan(formula, options);
  const sql = dialectFor(dialect, table);
  const header = (n: number, what: string) =>
    `-- absorb sufficient statistics, script ${n} of 2 (${dialect}): ${formula}\n-- ${what}\n`;
  const script1 = printSteps(sql, p.steps1);
  if (results === undefined) {
    return header(1, "run in one session; save each result's rows, then print script 2 with: absorb sql … --from-sufficient-stats RESULTS.json") + script1;
  }
  // Script 2 names the tables script 1 left (Spark's and ClickHouse's versions of the sample): render script 1 first.
  return header(2, "run in the session that ran script 1; add each result's rows to the file, then: absorb fit … --from-sufficient-stats RESULTS.json") + printSteps(sql, projection(p, results));
}

/** The fit from both printed scripts' results (the same formula and options as printed them). */
export function feolsFromSufficientStats(formula: string, options: ScriptOptions, results: StatsResults, engine = "sufficient-stats"): SufficientStatsResult {
  const started = performance.now();
  const p = plan(formula, options);
  const steps2 = projection(p, results);
  return finishFromResults(p.model, p.ab, p.steps1, steps2, results, engine, null, started);
}
