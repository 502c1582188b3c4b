import { toFrame, type DataInput } from "../data/input.js";
import { parseFormula, type ModelSpec } from "../formula/parse.js";
import { InputError } from "../core/errors.js";
import { resolveSsc, type SmallSample } from "../vcov/ssc.js";
import { withArena } from "../engine/shared.js";
import { checkThreads } from "../engine/pool.js";
import { buildSample } from "./sample.js";
import { modelFrame } from "./model-frame.js";
import { buildModelMatrix } from "./model-matrix.js";
import { absorbOptions } from "./absorb-effects.js";
import type { FeolsOptions } from "./options.js";
import type { FeolsResult } from "./result.js";
import { vcovRequest } from "../vcov/spec.js";
import { absorbModel, hasSlopes } from "./absorb-slopes.js";
import { olsSolver } from "./solvers/ols.js";
import { ivSolver } from "./solvers/iv.js";
import type { LinearSolver } from "./solvers/solver.js";
import type { FitHook } from "./fit-hook.js";

export { vcovRequest, nestedIn } from "../vcov/spec.js";

export function checkOptions(o: FeolsOptions): void {
  if (o.tol !== undefined && !(o.tol > 0 && o.tol < 1)) throw new InputError("option", `tol must be between 0 and 1 (got ${o.tol})`);
  if (o.maxIter !== undefined && !(Number.isInteger(o.maxIter) && o.maxIter >= 1))
    throw new InputError("option", `maxIter must be a positive integer (got ${o.maxIter})`);
  if (o.fixefRm !== undefined && o.fixefRm !== "singleton" && o.fixefRm !== "none")
    throw new InputError("option", `fixefRm must be "singleton" or "none" (got ${JSON.stringify(o.fixefRm)})`);
  checkThreads(o.threads);
  if (o.method !== undefined && !["auto", "map", "exact", "cg"].includes(o.method))
    throw new InputError("option", `method must be "auto", "map", "exact" or "cg" (got ${JSON.stringify(o.method)})`);
}

/**
 * OLS with any number of high-dimensional fixed effects, in fixest's formula syntax:
 * `await feols(data, "y ~ x1 + x2 | fe1 + fe2", { vcov: { cluster: "fe1" } })`. A formula with an
 * IV part, `y ~ x1 | fe1 + fe2 | endo ~ inst1 + inst2`, is estimated by 2SLS (src/fit/solvers/iv.ts)
 * and returns an IvResult.
 */
export function feols(data: DataInput, formula: string, options: FeolsOptions = {}): Promise<FeolsResult> {
  return fitOls(data, formula, options);
}

/**
 * @internal feols with a hook that sees the fit's wasm state before the arena is released (the
 * wild cluster bootstrap replicates from it); kept off the public entry and its declarations.
 */
export async function fitOls(data: DataInput, formula: string, options: FeolsOptions, hook?: FitHook): Promise<FeolsResult> {
  const started = performance.now();
  const data0 = toFrame(data);
  // Columns are checked before the formula is expanded: a typo in x0*…*x25 is reported as such.
  const spec = parseFormula(formula, data0.columns);
  checkOptions(options);
  const ssc: SmallSample = resolveSsc(options.ssc);
  const vreq = vcovRequest(options.vcov, options.panelId);
  const frame = modelFrame(data0, [spec], vreq, options);
  const sample = buildSample({
    frame,
    numeric: numericColumns(spec),
    categorical: factorColumns(spec),
    fixedEffects: spec.fixedEffects,
    clusters: vreq.columns,
    weights: options.weights ?? null,
    subset: options.subset ? normaliseSubset(options.subset, frame.nrows) : null,
    dropSingletons: (options.fixefRm ?? "singleton") === "singleton",
  });
  const solver: LinearSolver<FeolsResult> = spec.endogenous.length > 0 ? ivSolver : olsSolver;
  if (spec.endogenous.length > 0 && hasSlopes(spec.fixedEffects)) {
    throw new InputError("formula", `varying slopes (${spec.fixedEffects.map((fe) => fe.name).join(" + ")}) are supported for OLS, not IV`);
  }
  return withArena(async (arena, k) => {
    const { matrix: m, regressors } = buildModelMatrix(k, arena, {
      frame,
      rows: sample.rows,
      weights: sample.weights,
      depvar: spec.depvar,
      intercept: spec.intercept,
      terms: spec.terms,
      extra: solver.extraColumns(spec),
      // The wild bootstrap's hook works on the columns as they are: no rescaling under it.
      rescaleTiny: solver.rescalesTiny && hook === undefined,
    });
    const demeaning = absorbOptions(options);
    const { tol, maxIter, threads } = demeaning;
    const absorbed = await absorbModel(k, arena, m, frame, sample, spec.fixedEffects, demeaning);
    return await solver.solve({ k, arena, frame, spec, sample, vreq, ssc, tol, maxIter, threads, absorbed, started, hook }, m, regressors);
  });
}

export function numericColumns(spec: ModelSpec): string[] {
  const cols = [spec.depvar];
  for (const t of spec.terms) {
    if (t.kind === "variable") cols.push(t.name);
    else if (t.kind === "interaction") cols.push(...t.variables);
    else if (t.kind === "sunab") cols.push(t.cohort, t.period);
    else if (t.by) cols.push(t.by);
  }
  return [...new Set([...cols, ...spec.endogenous, ...spec.instruments, ...spec.fixedEffects.flatMap((fe) => fe.slopes ?? [])])];
}

/** Columns the model uses as categories (the variables of i() and factor()). */
export function factorColumns(spec: ModelSpec): string[] {
  return spec.terms.flatMap((t) => (t.kind === "factor" ? [t.variable] : []));
}

export function normaliseSubset(s: Uint8Array | readonly boolean[], nrows: number): Uint8Array {
  if (s.length !== nrows) throw new InputError("option", `subset has ${s.length} entries but the data has ${nrows} rows`);
  return s instanceof Uint8Array ? s : Uint8Array.from(s, (b) => (b ? 1 : 0));
}
