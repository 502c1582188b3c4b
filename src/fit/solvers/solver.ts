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

/**
 * The seam every linear estimator plugs into: the fit pipeline (feols.ts) builds the sample, copies
 * the model's columns — the dependent variable, the regressors, then the solver's extra columns —
 * into one model matrix, projects all of them off the fixed effects in one pass, and hands the
 * demeaned matrix to the solver. OLS adds no columns; 2SLS adds the endogenous regressors and the
 * instruments.
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
  /** performance.now() when the fit started (for timings.estimate). */
  readonly started: number;
  /** @internal */
  readonly hook?: FitHook;
}
