/**
 * `absorb fit --engine duckdb`: the fit runs inside DuckDB over the files (src/outofcore), so
 * data larger than memory never has to be read in. `--data FILE` or `--data-glob PATTERN`.
 */
import { InputError } from "../core/errors.js";
import { numberOption, requireOption } from "./args.js";
import { modelOptions, type ModelFlags } from "./remote.js";
import { Progress } from "./progress.js";
import { VERSION } from "../core/version.js";
import type { CliOutput } from "./fit.js";

/** The `absorb fit` flags this engine reads (the rest of fit's are refused with a reason). */
export interface EngineFitFlags extends ModelFlags {
  readonly engine?: string;
  readonly data?: string;
  readonly "data-glob"?: string;
  readonly formula?: string;
  readonly method?: string;
  readonly "duckdb-memory"?: string;
  readonly "duckdb-threads"?: string;
  readonly json?: boolean;
  readonly quiet?: boolean;
}

export const ENGINE_HELP = `  --engine memory|duckdb                memory (default) reads the data in; duckdb fits it where it lies,
                                        for data larger than memory (OLS, iid/hetero/cluster variance)
  --data-glob PATTERN                   with --engine duckdb: every file matching PATTERN ("panel/*.parquet")
  --duckdb-memory SIZE                  DuckDB's memory limit, e.g. 2GB (it spills to disk past it)
  --duckdb-threads N                    DuckDB's threads (default: all cores)`;

export async function runFitEngine(values: EngineFitFlags): Promise<CliOutput> {
  if (values.engine !== "duckdb") throw new InputError("option", `--engine must be memory or duckdb (got "${values.engine}")`);
  const started = performance.now();
  if (values.data !== undefined && values["data-glob"] !== undefined) throw new InputError("option", "absorb fit: pass --data or --data-glob, not both");
  if (values.method !== undefined) throw new InputError("option", "--method chooses the in-memory demeaning; --engine duckdb always projects exactly, so drop --method");
  const formula = requireOption("fit", values.formula, "--formula", '--formula "dvar ~ robot | firm_id + year"');
  const glob = values["data-glob"];
  const data = glob === undefined ? requireOption("fit", values.data, "--data (or --data-glob)", "--data panel.parquet") : undefined;
  const model = modelOptions(values);
  const threads = numberOption("fit", values["duckdb-threads"], "--duckdb-threads");
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1)) throw new InputError("option", `--duckdb-threads must be a positive integer (got ${threads})`);
  const memoryLimit = values["duckdb-memory"];
  if (memoryLimit !== undefined && !/^\s*\d+(\.\d+)?\s*[KMGT]?i?B\s*$/i.test(memoryLimit))
    throw new InputError("option", `--duckdb-memory must be a size such as 2GB or 512MB (got "${memoryLimit}")`);
  const progress = new Progress(!values.json && !values.quiet);
  progress.phase(`fitting in DuckDB over ${glob === undefined ? data : `"${glob}"`}`);
  const { feolsOutOfCore } = await import("../outofcore/fit.js");
  const result = await feolsOutOfCore(glob === undefined ? { files: data! } : { glob }, formula, { ...model, duckdb: { memoryLimit, threads } });
  progress.done();
  const totalMs = performance.now() - started;
  if (!values.json) {
    for (const w of result.warnings) process.stderr.write(`absorb: warning: ${w}\n`);
    const { rows, queries, bytesReturned } = result.scan;
    return { stdout: `${result.summary()}\nEngine: duckdb (${rows.toLocaleString("en-US")} rows scanned, ${queries} statements, ${bytesReturned.toLocaleString("en-US")} bytes returned)` };
  }
  return { stdout: JSON.stringify({ version: VERSION, ...result.toJSON(), timing_ms: { estimate: result.timings.estimate, total: totalMs } }) };
}
