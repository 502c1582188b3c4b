import type { DroppedRows } from "./sample.js";
import type { Coefficient } from "../vcov/coefficients.js";
import type { FittedModel } from "./fitted-model.js";
import type { FamilyName } from "./glm-family.js";
import { FitResult, type FitFields } from "./fit-result.js";
import { formatPrinted as fmt } from "../core/format.js";

export interface FeglmFields extends FitFields {
  readonly family: FamilyName;
  /** Poisson and binomial: `t` holds the z statistic and p-values and intervals are normal. */
  readonly coefficients: readonly Coefficient[];
  readonly loglik: number;
  /** Log-likelihood of the intercept-only model. */
  readonly nullLoglik: number;
  readonly deviance: number;
  readonly nullDeviance: number;
  /** 1 − loglik / nullLoglik (fixest's pr2). */
  readonly pseudoR2: number;
  /** 1 for Poisson and binomial; Σ w e² / (n − parameters) for Gaussian. */
  readonly dispersion: number;
  /** Infinity (normal) for Poisson and binomial. */
  readonly dfT: number;
  /** With `separation`: rows in perfectly predicted fixed-effect groups plus rows separated by the regressors. */
  readonly droppedRows: Readonly<DroppedRows>;
  /** IRLS iterations. */
  readonly iterations: number;
  /** Largest number of demeaning sweeps of any column in any IRLS iteration (0: solved directly). */
  readonly demeanIterations: number;
  readonly offset: string | null;
  /** fixef() and glmPredict(): the linear predictor's coefficients and fixed effects. */
  readonly model?: FittedModel;
  /** glmFitted() and glmResiduals(): the sample's outcome and fit (not part of the JSON form). */
  readonly fit?: GlmSampleFit;
}

/** Over the estimation sample's rows: outcome, linear predictor η (offset included), mean μ, prior weights. */
export interface GlmSampleFit {
  readonly y: Float64Array;
  readonly eta: Float64Array;
  readonly mu: Float64Array;
  readonly weights: Float64Array | null;
}

/** What feglm and fepois return. */
export class FeglmResult extends FitResult implements FeglmFields {
  declare readonly family: FamilyName;
  declare readonly loglik: number;
  declare readonly nullLoglik: number;
  declare readonly deviance: number;
  declare readonly nullDeviance: number;
  declare readonly pseudoR2: number;
  declare readonly dispersion: number;
  declare readonly demeanIterations: number;
  declare readonly offset: string | null;
  declare readonly fit?: GlmSampleFit;

  constructor(fields: FeglmFields) {
    super(fields);
  }

  /** "z" for Poisson and binomial (normal inference), "t" for Gaussian. */
  get statistic(): "z" | "t" {
    return this.dfT === Infinity ? "z" : "t";
  }

  summary(): string {
    const label = this.family === "poisson" ? "Poisson" : this.family === "gaussian" ? "GLM (Gaussian)" : `GLM (binomial, ${this.family})`;
    const lines = this.summaryHead(`${label} estimation`, this.statistic);
    lines.push(`Log-Likelihood: ${fmt(this.loglik)}   Pseudo R2: ${fmt(this.pseudoR2)}   Deviance: ${fmt(this.deviance)}   IRLS iterations: ${this.iterations}`);
    lines.push(...this.summaryDropped(this.droppedRows));
    if (!this.converged) lines.push(`WARNING: IRLS did not converge (${this.iterations} iterations)`);
    return lines.join("\n");
  }

  toJSON(): Record<string, unknown> {
    return {
      formula: this.formula,
      family: this.family,
      nobs: this.nobs,
      coefficients: this.coefficientsJson(this.statistic),
      vcov: this.vcovJson(),
      loglik: this.loglik,
      null_loglik: this.nullLoglik,
      deviance: this.deviance,
      null_deviance: this.nullDeviance,
      pseudo_r2: this.pseudoR2,
      dispersion: this.dispersion,
      df_t: this.dfT === Infinity ? null : this.dfT,
      fixef_sizes: { ...this.fixefSizes },
      dropped_collinear: [...this.droppedCollinear],
      dropped_rows: { ...this.droppedRows },
      iterations: this.iterations,
      converged: this.converged,
      demean_iterations: this.demeanIterations,
      method: this.method,
      offset: this.offset,
      threads: this.threads,
      warnings: [...this.warnings],
    };
  }
}
