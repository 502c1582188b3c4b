import { readFrame } from "../data/read.js";
import { checkRowsFit } from "../data/size-check.js";
import { modelColumns } from "../fit/model-matrix.js";
import { parsePredicate, evaluatePredicate } from "../data/predicate.js";
import { formulaColumns, parseFormula, type ModelSpec } from "../formula/parse.js";
import { InputError } from "../core/errors.js";
import { parseCommandArgs, requireOption, numberOption, integerOption } from "./args.js";
import { parseCliVcov, parsePanelIdFlag, vcovColumns } from "./vcov-panel.js";
import { parseSscFlag } from "../vcov/ssc.js";
import { Progress } from "./progress.js";
import { dataSourceOption, describeSource } from "./data-source.js";
import { VERSION } from "../core/version.js";
import { loadTDistribution } from "../core/distributions.js";
import { warmUpFit, worthWarmingUp } from "./warm-up.js";
import { checkThreads, defaultThreads, warmPool } from "../engine/pool.js";
import type { DemeanMethodOption } from "../engine/absorb/plan.js";
import type { FeglmOptions } from "../fit/options.js";
import { ENGINE_HELP } from "./fit-engine.js";
import { REMOTE_HELP } from "./remote.js";

export const FIT_HELP = `absorb fit — OLS, 2SLS and GLMs (Poisson, logit, probit) with high-dimensional fixed effects (fixest syntax)

Usage:
  absorb fit --data FILE --formula "y ~ x1 + x2 | fe1 + fe2" [options]
  absorb fit --data FILE --formula "y ~ x1 | fe1 + fe2 | endo ~ inst1 + inst2" [options]   (IV)

  FILE: .csv, .csv.gz, .parquet, .arrow / .feather (only the columns the model uses are read);
        the name is taken literally (no globbing, ~ or URLs)

Options:
  --data-glob PATTERN                   instead of --data: every CSV or Parquet file matching PATTERN
                                        (*, ?, [..], ** for any folders), read as one table
  --vcov iid|hetero|cluster:COL[+COL]   variance (default iid); two-way: cluster:firm_id+industry
  --vcov nw|dk --panel-id ID,TIME       Newey–West / Driscoll–Kraay for panels (t df = periods − 1)
  --panel-id ID,TIME                    the panel of the formula's l(), f(), d() (with any --vcov)
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
  --family poisson|logit|probit|gaussian  a GLM by IRLS (feglm; default: OLS); JSON adds family,
                                        loglik, deviance, pseudo_r2, IRLS iterations, z statistics
  --offset COL                          GLM offset (added to the linear predictor)
  --glm-tol X / --glm-iter N            IRLS tolerance (default 1e-12) and iterations (default 100)
${ENGINE_HELP}
${REMOTE_HELP}
  --json                                print one JSON object
  --quiet                               no progress lines on stderr
  -h, --help                            this help

Exit status: 0 success, 2 invalid input, 1 estimation failure.`;

const FIT_OPTIONS = {
  data: { type: "string" },
  "data-glob": { type: "string" },
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
  family: { type: "string" },
  offset: { type: "string" },
  "glm-tol": { type: "string" },
  "glm-iter": { type: "string" },
  json: { type: "boolean" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
  engine: { type: "string" },
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
  const data = dataSourceOption("fit", values.data, values["data-glob"]);
  const formula = requireOption("fit", values.formula, "--formula", '--formula "dvar ~ robot | firm_id + year"');
  const vcov = parseCliVcov(values.vcov, values["panel-id"], values.lag);
  const panelId = values["panel-id"] === undefined ? undefined : parsePanelIdFlag(values["panel-id"]);
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
    ...formulaColumns(formula),
    ...vcovColumns(vcov),
    ...(panelId ?? []),
    ...(values.weights ? [values.weights] : []),
    ...(predicate ? predicate.columns : []),
    ...(values.offset ? [values.offset] : []),
  ]);
  const threads = integerOption("fit", values.threads, "--threads", 1);
  checkThreads(threads);
  warmPool(threads ?? defaultThreads());
  progress.phase(`reading ${describeSource(data)}`);
  // Without --where every row is in the sample, so a file too big for the model is refused before it is read.
  const spec = predicate ? undefined : specBeforeRead(formula);
  const checkRows = spec === undefined ? undefined : (rows: number) => checkRowsFit(rows, modelColumns(spec), `"${describeSource(data)}"`);
  const glm = values.family === undefined ? null : import("../fit/glm.js");
  const read = readFrame(data, [...columns], { checkRows });
  // The estimator's modules, and the t distribution every fit's p-values use, load while DuckDB
  // reads (on its own threads); then a small fit warms the code the user's fit will run.
  const estimator = import("../fit/feols.js").then((module) => {
    loadTDistribution();
    return module;
  });
  const warmed = worthWarmingUp(data) ? estimator.then(({ feols }) => warmUpFit(feols, threads ?? defaultThreads())) : undefined;
  const [frame, { feols }] = await Promise.all([read, estimator, warmed]);
  const readMs = performance.now() - started;
  progress.phase(`estimating on ${frame.nrows.toLocaleString("en-US")} rows`, frame.nrows >= 2_000_000);
  const options = {
    vcov,
    panelId,
    ssc,
    weights: values.weights,
    subset: predicate ? evaluatePredicate(predicate, frame) : undefined,
    fixefRm: fixefRm as "singleton" | "none" | undefined,
    method: method as DemeanMethodOption | undefined,
    tol: numberOption("fit", values.tol, "--tol"),
    threads,
    maxIter: integerOption("fit", values["max-iter"], "--max-iter", 1),
    allowNonConvergence: values["allow-nonconvergence"] ?? false,
    // The frame is this run's alone and read by no one after the fit: its columns can hold the model matrix.
    consumeFrame: true,
  };
  const result = glm
    ? await (await glm).feglm(frame, formula, {
        ...options,
        family: values.family as FeglmOptions["family"],
        offset: values.offset,
        glmTol: numberOption("fit", values["glm-tol"], "--glm-tol"),
        glmIter: numberOption("fit", values["glm-iter"], "--glm-iter"),
      })
    : await feols(frame, formula, options);
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

/**
 * The model as far as the formula alone tells, for the size check before the read; a formula that
 * needs the data's columns to be judged (one naming a column the file lacks) is reported by the
 * fit, with the columns known.
 */
function specBeforeRead(formula: string): ModelSpec | undefined {
  try {
    return parseFormula(formula);
  } catch {
    return undefined;
  }
}
