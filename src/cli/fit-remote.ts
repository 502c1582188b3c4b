/**
 * `absorb fit --engine clickhouse` (the plan run by a ClickHouse server) and `absorb fit
 * --from-sufficient-stats` (the plan's results computed elsewhere, from `absorb sql`).
 */
import { InputError } from "../core/errors.js";
import { requireOption } from "./args.js";
import { Progress } from "./progress.js";
import { VERSION } from "../core/version.js";
import { readStats, scriptOptions, type RemoteFlags } from "./remote.js";
import type { CliOutput } from "./fit.js";
import type { SufficientStatsResult } from "../outofcore/sufficient-stats.js";

export interface RemoteFitFlags extends RemoteFlags {
  readonly engine?: string;
  readonly url?: string;
  readonly table?: string;
  readonly data?: string;
  readonly formula?: string;
  readonly method?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export async function runFitRemote(values: RemoteFitFlags): Promise<CliOutput> {
  const started = performance.now();
  const formula = requireOption("fit", values.formula, "--formula", '--formula "y ~ x | firm + year"');
  if (values.method !== undefined) throw new InputError("option", "--method chooses the in-memory demeaning; out-of-core fits always project exactly, so drop --method");
  if (values.data !== undefined) throw new InputError("option", `--data reads a file into memory or DuckDB; ${values.engine === "clickhouse" ? "--engine clickhouse reads --table on the server" : "--from-sufficient-stats reads results only"}, so drop --data`);
  const options = scriptOptions("fit", values);
  const progress = new Progress(!values.json && !values.quiet);
  let result: SufficientStatsResult;
  const stats = values["from-sufficient-stats"];
  if (stats !== undefined) {
    if (values.engine !== undefined && values.engine !== "memory") throw new InputError("option", "--from-sufficient-stats fits from a results file; drop --engine");
    const { feolsFromSufficientStats } = await import("../outofcore/printed.js");
    result = feolsFromSufficientStats(formula, options, readStats(stats));
  } else {
    const url = requireOption("fit", values.url, "--url", "--url http://127.0.0.1:8123");
    const table = requireOption("fit", values.table, "--table", "--table db.panel");
    progress.phase(`fitting in ClickHouse at ${url} over ${table}`);
    const { feolsClickHouse } = await import("../outofcore/clickhouse-fit.js");
    result = await feolsClickHouse({ url, table }, formula, options);
  }
  progress.done();
  const totalMs = performance.now() - started;
  if (!values.json) {
    for (const w of result.warnings) process.stderr.write(`absorb: warning: ${w}\n`);
    const scan = result.scan;
    const engine = scan
      ? `Engine: ${result.engine} (${scan.rows.toLocaleString("en-US")} rows scanned, ${scan.queries} statements, ${scan.bytesReturned.toLocaleString("en-US")} bytes returned)`
      : `Engine: ${result.engine} (from the results file)`;
    return { stdout: `${result.summary()}\n${engine}` };
  }
  return { stdout: JSON.stringify({ version: VERSION, ...result.toJSON(), timing_ms: { estimate: result.timings.estimate, total: totalMs } }) };
}
