/**
 * feolsClickHouse: the out-of-core fit with the plan's two scripts (script.ts) run by a
 * ClickHouse server over HTTP, typically on a Distributed table spanning shards. Only result
 * rows (sums, per-level totals of the small effects) come back; the plan's own tables are
 * dropped afterwards, whether the fit succeeds or fails.
 */
import { randomBytes } from "node:crypto";
import type { ScanStats } from "./duckdb-executor.js";
import { clickhouseDialect } from "./clickhouse-dialect.js";
import { ClickHouseSession } from "./clickhouse-executor.js";
import { runSteps } from "./script-runner.js";
import { sampleSteps, schurSteps, scriptAbsorption } from "./script.js";
import { finishFromResults, gammaFromResults, projectionScript, scriptModel, type ScriptOptions, type SufficientStatsResult } from "./sufficient-stats.js";
import { levelCounts } from "./finish.js";

export interface ClickHouseSource {
  /** The server's HTTP interface, e.g. http://127.0.0.1:8123 */
  readonly url: string;
  /** The table (db.table), e.g. a Distributed table over the shards. */
  readonly table: string;
}

export async function feolsClickHouse(source: ClickHouseSource, formula: string, options: Omit<ScriptOptions, "singletonRounds"> = {}): Promise<SufficientStatsResult> {
  const started = performance.now();
  const session = new ClickHouseSession(source.url);
  const model = scriptModel(formula, options, await session.columns(source.table));
  const dialect = clickhouseDialect({ kind: "table", table: source.table }, `absorb_${randomBytes(4).toString("hex")}_`);
  const results: Record<string, number[][]> = {};
  try {
    const sample = sampleSteps(model.stage, model.dropSingletons, model.rounds, model.variance);
    await runSteps(session, dialect, sample, results);
    // The engine knows the sizes before the Schur system: the effect with most levels goes by means.
    const sizes = levelCounts(model.layout, results.sizes[0]).feSizes;
    const big = sizes.indexOf(Math.max(...sizes));
    const ab = scriptAbsorption(model.layout, big);
    const schur = ab ? schurSteps(model.layout, ab) : [];
    await runSteps(session, dialect, schur, results);
    const steps1 = [...sample, ...schur];
    const projection = projectionScript(model, ab, ab ? gammaFromResults(model, ab, steps1, results) : []);
    await runSteps(session, dialect, projection, results);
    const scan: ScanStats = { rows: results.funnel[0][0], queries: session.queries, bytesReturned: session.bytesReturned };
    return finishFromResults(model, ab, steps1, projection, results, "clickhouse", scan, started);
  } finally {
    for (const name of [...dialect.created].reverse()) await session.execute(`DROP TABLE IF EXISTS \`${name}\``).catch(() => undefined);
  }
}
