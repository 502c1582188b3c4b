import { readFrame } from "../data/read.js";
import { parsePredicate, evaluatePredicate } from "../data/predicate.js";
import { parseFormula } from "../formula/parse.js";
import { InputError } from "../errors.js";
import { parseCommandArgs, requireOption, numberOption } from "./args.js";
import { parseCliVcov, vcovColumns } from "./vcov-panel.js";
import { parseSscFlag } from "../inference/ssc.js";
import { Progress } from "./progress.js";
import { VERSION } from "../version.js";
import { checkThreads, defaultThreads, warmPool } from "../engine/pool.js";
import type { DemeanMethodOption } from "../engine/demean.js";
import { ENGINE_HELP } from "./fit-engine.js";
import { REMOTE_HELP } from "./remote.js";

export const FIT_HELP = `absorb fit — OLS and 2SLS with high-dimensional fixed effects (fixest syntax)

Usage:
  absorb fit --data FILE --formula "y ~ x1 + x2 | fe1 + fe2" [options]
  absorb fit --data FILE --formula "y ~ x1 | fe1 + fe2 | endo ~ inst1 + inst2" [options]   (IV)

  FILE: .csv, .csv.gz, .parquet, .arrow / .feather (only the columns the model uses are read)

Options:
  --vcov iid|hetero|cluster:COL[+COL]   variance (default iid); two-way: cluster:firm_id+industry
  --vcov nw|dk --panel-id ID,TIME       Newey–West / Driscoll–Kraay for panels (t df = periods − 1)
  --lag N                               their lag (default floor(periods^(1/4)), as fixest)
  --ssc reghdfe|fixest|KEY=VALUE,...    small-sample corrections, e.g.
                                        k_adj=true,fixef_k=nested,g_adj=true,t_df=min (fixest's)
  --weights COL                         regression weights (missing/zero weights drop the row)
  --where "PREDICATE"                   row subset, e.g. "year >= 2005 and region != 'west'"
  --fixef-rm singleton|none             drop singletons (default) or keep them (fixest 0.12)
  --method auto|map|exact|cg            demeaning method (default auto)
  --threads N                           worker threads (default: all cores); results do not depend on it
  --tol X                               demeaning tolerance (default 1e-8)
  --max-iter N                          demeaning iterations before giving up (default 10000)
  --allow-nonconvergence                return the result (converged: false) instead of failing
${ENGINE_HELP}
${REMOTE_HELP}
  --json                                print one JSON object
  --quiet                               no progress lines on stderr
  -h, --help                            this help

Exit status: 0 success, 2 invalid input, 1 estimation failure.`;

const FIT_OPTIONS = {
  data: { type: "string" },
  formula: { type: "string" },
  vcov: { type: "string" },
  "panel-id": { type: "string" },
  lag: { type: "string" },
  ssc: { type: "string" },
  weights: { type: "string" },
  where: { type: "string" },
  "fixef-rm": { type: "string" },
  method: { type: "string" },
  tol: { type: "string" },
  threads: { type: "string" },
  "max-iter": { type: "string" },
  "allow-nonconvergence": { type: "boolean" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  engine: { type: "string" },
  "data-glob": { type: "string" },
  "duckdb-memory": { type: "string" },
  "duckdb-threads": { type: "string" },
  url: { type: "string" },
  table: { type: "string" },
  "from-sufficient-stats": { type: "string", multiple: true },
} as const;

export interface CliOutput {
  stdout: string;
}

export async function runFit(argv: string[]): Promise<CliOutput> {
  const { values } = parseCommandArgs("fit", argv, FIT_OPTIONS);
  if (values.help) return { stdout: FIT_HELP };
  if (values.engine === "clickhouse" || values["from-sufficient-stats"] !== undefined) return (await import("./fit-remote.js")).runFitRemote(values);
  if (values.engine !== undefined && values.engine !== "memory") return (await import("./fit-engine.js")).runFitEngine(values);
  const started = performance.now();
  const data = requireOption("fit", values.data, "--data", "--data panel.csv");
  const formula = requireOption("fit", values.formula, "--formula", '--formula "dvar ~ robot | firm_id + year"');
  const spec = parseFormula(formula);
  const vcov = parseCliVcov(values.vcov, values["panel-id"], values.lag);
  const ssc = values.ssc === undefined ? undefined : parseSscFlag(values.ssc);
  const predicate = values.where === undefined ? null : parsePredicate(values.where);
  const fixefRm = values["fixef-rm"];
  if (fixefRm !== undefined && fixefRm !== "singleton" && fixefRm !== "none") {
    throw new InputError("option", `--fixef-rm must be singleton or none (got "${fixefRm}")`);
  }
  const method = values.method;
  if (method !== undefined && !["auto", "map", "exact", "cg"].includes(method)) {
    throw new InputError("option", `--method must be auto, map, exact or cg (got "${method}")`);
  }
  const progress = new Progress(!values.json && !values.quiet);
  const columns = new Set([
    ...spec.variables,
    ...vcovColumns(vcov),
    ...(values.weights ? [values.weights] : []),
    ...(predicate ? predicate.columns : []),
  ]);
  const threads = numberOption("fit", values.threads, "--threads");
  checkThreads(threads);
  warmPool(threads ?? defaultThreads());
  progress.phase(`reading ${data}`);
  // The estimator's modules load while DuckDB reads (on its own threads).
  const [frame, { feols }] = await Promise.all([readFrame(data, [...columns]), import("../estimators/feols.js")]);
  const readMs = performance.now() - started;
  progress.phase(`estimating on ${frame.nrows.toLocaleString("en-US")} rows`, frame.nrows >= 2_000_000);
  const result = await feols(frame, formula, {
    vcov,
    ssc,
    weights: values.weights,
    subset: predicate ? evaluatePredicate(predicate, frame) : undefined,
    fixefRm: fixefRm as "singleton" | "none" | undefined,
    method: method as DemeanMethodOption | undefined,
    tol: numberOption("fit", values.tol, "--tol"),
    threads,
    maxIter: numberOption("fit", values["max-iter"], "--max-iter"),
    allowNonConvergence: values["allow-nonconvergence"] ?? false,
  });
  progress.done();
  const totalMs = performance.now() - started;
  if (!values.json) {
    for (const w of result.warnings) process.stderr.write(`absorb: warning: ${w}\n`);
    return { stdout: result.summary() };
  }
  const json = {
    version: VERSION,
    ...result.toJSON(),
    timing_ms: { read: readMs, estimate: result.timings.estimate, total: totalMs },
  };
  return { stdout: JSON.stringify(json) };
}
