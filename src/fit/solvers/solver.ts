import type { Frame } from "../../data/frame.js";
import type { ModelSpec } from "../../formula/parse.js";
import type { Kernels } from "../../engine/kernels.js";
import type { Arena } from "../../engine/arena.js";
import type { SmallSample } from "../../vcov/ssc.js";
import type { VcovSpec } from "../../vcov/spec.js";
import type { Sample } from "../sample.js";
import type { ModelMatrix } from "../model-matrix.js";
import type { AbsorbOutcome } from "../absorb-effects.js";
import type { FitHook } from "../fit-hook.js";
import type { FittedModel } from "../fitted-model.js";
import type { FeolsFields } from "../result.js";
import type { Vcov } from "../../vcov/compute.js";
import { vcovInfo } from "../../vcov/info.js";

/**
 * The seam every linear estimator plugs into: the fit plan (fit/plan.ts) builds the sample, copies
 * the model's columns — the dependent variable, the regressors, then the solver's extra columns —
 * into one model matrix, projects all of them off the fixed effects in one pass, and hands the
 * demeaned matrix to the solver. OLS (ols.ts) adds no columns; 2SLS (iv.ts) adds the endogenous
 * regressors and the instruments.
 *
 * A new linear estimator is one solver file and its result type: a `LinearSolver<R>` naming its
 * extra columns and solving from the DemeanedContext — binding the context's VcovSpec to the
 * sample (vcov/spec.ts bindVcov) for computeVcov, filling the fields every linear fit shares with
 * linearFitFields — and an `R` that extends FeolsResult (or, for another kind of model, FitResult)
 * with its own fields, summary() and toJSON(). linearSolver (fit/plan.ts) picks the
 * solver from the model's spec: a new one adds its case there.
 */
export interface LinearSolver<R> {
  /** Numeric columns the solver needs after the regressors, in this order. */
  extraColumns(spec: ModelSpec): readonly string[];
  /** Whether tiny regressors are rescaled before demeaning (ModelMatrixRequest.rescaleTiny). */
  readonly rescalesTiny: boolean;
  solve(ctx: DemeanedContext, m: ModelMatrix, regressors: readonly string[]): Promise<R>;
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
  /** The dependent variable takes one value over the sample (BuiltModelMatrix.constantDepvars). */
  readonly depvarConstant: boolean;
  /** performance.now() when the fit started (for timings.estimate). */
  readonly started: number;
  /** @internal */
  readonly hook?: FitHook;
}

/** What a linear solver's fit gives the fields every linear result fills the same way. */
export interface LinearFit {
  readonly ssr: number;
  /** Σ w y² of the demeaned dependent variable (the within R²'s denominator). */
  readonly withinTss: number;
  readonly vc: Vcov;
  readonly dfK: number;
  readonly warnings: readonly string[];
  readonly model: FittedModel;
}

/** The result fields that come from the context and the fit's totals, the same for every linear solver. */
export function linearFitFields(ctx: DemeanedContext, m: ModelMatrix, fit: LinearFit): Omit<FeolsFields, "coefficients" | "vcovMatrix" | "droppedCollinear" | "sunab"> {
  const { spec, sample, absorbed } = ctx;
  return {
    formula: spec.formula,
    depvar: spec.depvar,
    nobs: m.n,
    vcov: vcovInfo(ctx.vreq, ctx.ssc, fit.vc.lag),
    r2: 1 - fit.ssr / m.rawSpread[0],
    withinR2: sample.fixedEffects.length > 0 ? 1 - fit.ssr / fit.withinTss : null,
    dfT: fit.vc.dfT,
    dfK: fit.dfK,
    fixefSizes: Object.fromEntries(sample.fixedEffects.map((fe) => [fe.name, fe.size])),
    droppedRows: sample.dropped,
    iterations: absorbed.iterations,
    converged: absorbed.converged,
    method: absorbed.method,
    threads: ctx.threads,
    ssr: fit.ssr,
    warnings: fit.warnings,
    timings: { estimate: performance.now() - ctx.started },
    model: fit.model,
  };
}
