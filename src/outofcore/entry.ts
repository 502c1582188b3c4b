/**
 * The library's feolsOutOfCore: loads the engine (and DuckDB's native module, about a second)
 * on first call, so importing absorb stays cheap for in-memory use.
 */
import type { OutOfCoreOptions, OutOfCoreResult, OutOfCoreSource } from "./fit.js";

export type { OutOfCoreOptions, OutOfCoreResult, OutOfCoreSource } from "./fit.js";
export type { ScanStats, DuckDBSettings } from "./duckdb-executor.js";

/** OLS with fixed effects computed inside DuckDB, over files, a database table or a query (see fit.ts). */
export async function feolsOutOfCore(source: OutOfCoreSource, formula: string, options: OutOfCoreOptions = {}): Promise<OutOfCoreResult> {
  return (await import("./fit.js")).feolsOutOfCore(source, formula, options);
}
