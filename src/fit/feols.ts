import { toFrame, type DataInput } from "../data/input.js";
import { parseFormula, type ModelSpec } from "../formula/parse.js";
import { EstimationError, InputError } from "../core/errors.js";
import { computeVcov } from "../vcov/compute.js";
import { countK, resolveSsc, type SmallSample } from "../vcov/ssc.js";
import { coefficientTable } from "../vcov/coefficients.js";
import { withArena } from "../engine/shared.js";
import { checkThreads } from "../engine/pool.js";
import { buildSample, type Sample } from "./sample.js";
import { modelFrame } from "./model-frame.js";
import { buildModelMatrix, columnPtr, type ModelMatrix } from "./model-matrix.js";
import { absorbOptions, type AbsorbOutcome } from "./absorb-effects.js";
import { ABSORBED_TOL, CONDITION_WARNING, leastSquares } from "./least-squares.js";
import type { FeolsOptions } from "./options.js";
import { FeolsResult } from "./result.js";
import { computeRequest, effectSizes, vcovInfo, vcovRequest, type VcovSpec } from "../vcov/spec.js";
import { fitIv } from "./iv.js";
import { aggregateSunab, sunabTerm } from "./sunab.js";
import { absorbModel, hasSlopes, slopeSizes } from "./absorb-slopes.js";
import { fittedModel } from "./postestimation.js";
import type { FitHook } from "./fit-hook.js";
import type { Frame, NumericColumn } from "../data/frame.js";
import type { Kernels } from "../engine/kernels.js";
import type { Arena } from "../engine/arena.js";

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
 * IV part, `y ~ x1 | fe1 + fe2 | endo ~ inst1 + inst2`, is estimated by 2SLS (src/fit/iv.ts)
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
    clusters: vreq.clusters,
    weights: options.weights ?? null,
    subset: options.subset ? normaliseSubset(options.subset, frame.nrows) : null,
    dropSingletons: (options.fixefRm ?? "singleton") === "singleton",
  });
  return withArena(async (arena, k) => {
    if (spec.endogenous.length > 0 && hasSlopes(spec.fixedEffects)) {
      throw new InputError("formula", `varying slopes (${spec.fixedEffects.map((fe) => fe.name).join(" + ")}) are supported for OLS, not IV`);
    }
    if (spec.endogenous.length > 0) return await fitIv({ k, arena, spec, frame, sample, vcov: vreq, ssc, options, started });
    const { matrix: m, regressors } = buildModelMatrix(k, arena, {
      frame,
      rows: sample.rows,
      weights: sample.weights,
      depvar: spec.depvar,
      intercept: spec.intercept,
      terms: spec.terms,
      extra: [],
      // The wild bootstrap's hook works on the columns as they are: no rescaling under it.
      rescaleTiny: hook === undefined,
    });
    const demeaning = absorbOptions(options);
    const { tol, maxIter, threads } = demeaning;
    const absorbed = await absorbModel(k, arena, m, frame, sample, spec.fixedEffects, demeaning);
    return await solveDemeaned({ k, arena, frame, spec, sample, vreq, ssc, tol, maxIter, threads, absorbed, started, hook }, m, regressors);
  });
}

/** Everything a fit knows once its columns are demeaned: what solving one model from them needs. */
export interface DemeanedContext {
  readonly k: Kernels;
  readonly arena: Arena;
  readonly frame: Frame;
  readonly spec: ModelSpec;
  readonly sample: Sample;
  readonly vreq: VcovSpec;
  readonly ssc: SmallSample;
  readonly tol: number;
  readonly maxIter: number;
  readonly threads: number;
  readonly absorbed: AbsorbOutcome;
  /** performance.now() when the fit started (for timings.estimate). */
  readonly started: number;
  /** @internal */
  readonly hook?: FitHook;
}

/**
 * Solves one OLS model from an already-demeaned model matrix (column 0 the dependent variable,
 * columns 1..p the regressors, contiguous; moved in place as leastSquares keeps columns): the
 * absorbed-column check, least squares, vcov, post-estimation state and the result. feols calls
 * it once; multiple estimation (multi.ts) calls it once per model on columns copied from one
 * shared demeaned block, so both give the same bytes.
 */
export async function solveDemeaned(ctx: DemeanedContext, m: ModelMatrix, regressors: readonly string[]): Promise<FeolsResult> {
  const { k, arena, frame, spec, sample, vreq, ssc, tol, maxIter, threads, absorbed, started, hook } = ctx;
  const hasFe = sample.fixedEffects.length > 0;
  const p = regressors.length;
  const absorbedCols = new Set<number>();
  if (hasFe) {
    for (let c = 0; c < p; c++) {
      const within = k.dot(m.n, columnPtr(m, c + 1), columnPtr(m, c + 1), m.weights);
      if (!(within > ABSORBED_TOL * m.rawSpread[c + 1])) absorbedCols.add(c);
    }
  }
  if (p === 0 && !hasFe) throw new EstimationError("singular", `the model has no regressors to estimate: "${spec.formula}"`);
  // y ~ 1 | fe: no coefficients; the residuals are the demeaned y.
  const ls = p === 0
    ? { kept: [], dropped: [], beta: new Float64Array(0), bread: new Float64Array(0), resid: columnPtr(m, 0), ssr: k.dot(m.n, columnPtr(m, 0), columnPtr(m, 0), m.weights), condition: 0 }
    : leastSquares(k, arena, { n: m.n, y: columnPtr(m, 0), x: columnPtr(m, 1), p, w: m.weights, absorbed: absorbedCols, names: regressors });
  const keptNames = ls.kept.map((c) => regressors[c]);
  const droppedCollinear = ls.dropped.map((c) => regressors[c]);
  const effects = slopeSizes(effectSizes(vreq, sample), spec.fixedEffects);
  const dfK = countK(ls.kept.length, effects, ssc);
  if (m.n - dfK <= 0) {
    throw new EstimationError("singular", `${m.n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
  }
  const vc = computeVcov(k, arena, computeRequest(vreq, sample), {
    n: m.n, k: ls.kept.length, x: columnPtr(m, 1), e: ls.resid, w: m.weights, bread: ls.bread, ssr: ls.ssr, dfK, ssc,
  });
  // Coefficients of rescaled regressors (tiny values, see ModelMatrix.regressorScales) in the data's units.
  const scales = m.regressorScales ? ls.kept.map((c) => m.regressorScales![c]) : undefined;
  const beta = scales ? ls.beta.map((b, i) => b * scales[i]) : ls.beta;
  const kk = ls.kept.length;
  const vcovMatrix = scales ? vc.matrix.map((v, ij) => v * scales[Math.floor(ij / kk)] * scales[ij % kk]) : vc.matrix;
  const withinTss = k.dot(m.n, columnPtr(m, 0), columnPtr(m, 0), m.weights);
  const sunab = sunabTerm(spec.terms);
  // sunab(): the cells are estimated, their averages by relative period reported.
  const report = sunab ? aggregateSunab(frame, sunab, sample.rows, sample.weights, keptNames, beta, vcovMatrix, vc.dfT) : null;
  const warnings: string[] = [];
  if (!absorbed.converged) warnings.push(`demeaning did not converge within ${maxIter} iterations (tol ${tol}); estimates are approximate`);
  if (isConstant(frame, spec.depvar, sample.rows)) {
    warnings.push(`the dependent variable ${spec.depvar} is constant over the ${m.n} rows of the sample: every coefficient is 0 and R² is undefined`);
  }
  if (ls.condition > CONDITION_WARNING) {
    warnings.push(
      `the regressors are nearly collinear (condition number ${ls.condition.toPrecision(2)} of X'X with unit-length columns, above ${CONDITION_WARNING}): ` +
        `the last digits of the estimates are unreliable; drop or combine regressors that nearly repeat each other`,
    );
  }
  if (droppedCollinear.length > 0) warnings.push(`dropped as collinear${hasFe ? " (or absorbed by the fixed effects)" : ""}: ${droppedCollinear.join(", ")}`);
  hook?.({ k, arena, n: m.n, x: columnPtr(m, 1), y: columnPtr(m, 0), w: m.weights, names: keptNames, beta: ls.beta, bread: ls.bread, resid: ls.resid, sample, vcov: vreq, ssc, dfK, vc });
  const model = fittedModel(k, {
    frame, sample, spec, regressors, keptNames, beta, method: absorbed.method, tol, maxIter,
  });
  return new FeolsResult({
    formula: spec.formula,
    depvar: spec.depvar,
    nobs: m.n,
    coefficients: report ? report.coefficients : coefficientTable(keptNames, beta, vc.matrix, vc.dfT, scales),
    vcov: vcovInfo(vreq, ssc, vc.lag),
    vcovMatrix: report ? report.vcovMatrix : vcovMatrix,
    sunab: report ? { cells: report.cells, att: report.att } : undefined,
    r2: 1 - ls.ssr / m.rawSpread[0],
    withinR2: hasFe ? 1 - ls.ssr / withinTss : null,
    dfT: vc.dfT,
    dfK,
    fixefSizes: Object.fromEntries(sample.fixedEffects.map((fe) => [fe.name, fe.size])),
    droppedCollinear,
    droppedRows: sample.dropped,
    iterations: absorbed.iterations,
    converged: absorbed.converged,
    method: absorbed.method,
    threads,
    ssr: ls.ssr,
    warnings,
    timings: { estimate: performance.now() - started },
    model,
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

/** Whether the column takes one value over `rows` (compared exactly: a computed spread would be rounding noise). */
function isConstant(frame: Frame, name: string, rows: Int32Array): boolean {
  const v = (frame.columns.get(name) as NumericColumn).values;
  const first = v[rows[0]];
  for (let i = 1; i < rows.length; i++) if (v[rows[i]] !== first) return false;
  return true;
}
