import type { DroppedRows } from "./sample.js";
import type { DemeanMethod } from "../engine/absorb/plan.js";
import type { Coefficient } from "../vcov/coefficients.js";
import type { FittedModel } from "./fitted-model.js";
import type { FamilyName } from "./glm-family.js";
import { stars, vcovJson, vcovLabel, type VcovInfo } from "./result.js";
import { formatPrinted as fmt, formatPValue as fmtP } from "../core/format.js";

export interface FeglmFields {
  readonly formula: string;
  readonly depvar: string;
  readonly family: FamilyName;
  readonly nobs: number;
  /** Poisson and binomial: `t` holds the z statistic and p-values and intervals are normal. */
  readonly coefficients: readonly Coefficient[];
  readonly vcov: VcovInfo;
  readonly vcovMatrix: Float64Array;
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
  readonly dfK: number;
  readonly fixefSizes: Readonly<Record<string, number>>;
  readonly droppedCollinear: readonly string[];
  /** With `separation`: rows in perfectly predicted fixed-effect groups plus rows separated by the regressors. */
  readonly droppedRows: Readonly<DroppedRows>;
  /** IRLS iterations. */
  readonly iterations: number;
  readonly converged: boolean;
  /** Largest number of demeaning sweeps of any column in any IRLS iteration (0: solved directly). */
  readonly demeanIterations: number;
  readonly method: DemeanMethod | "none";
  readonly threads: number;
  readonly offset: string | null;
  readonly warnings: readonly string[];
  readonly timings: { readonly estimate: number };
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
export class FeglmResult implements FeglmFields {
  readonly formula!: string;
  readonly depvar!: string;
  readonly family!: FamilyName;
  readonly nobs!: number;
  readonly coefficients!: readonly Coefficient[];
  readonly vcov!: VcovInfo;
  readonly vcovMatrix!: Float64Array;
  readonly loglik!: number;
  readonly nullLoglik!: number;
  readonly deviance!: number;
  readonly nullDeviance!: number;
  readonly pseudoR2!: number;
  readonly dispersion!: number;
  readonly dfT!: number;
  readonly dfK!: number;
  readonly fixefSizes!: Readonly<Record<string, number>>;
  readonly droppedCollinear!: readonly string[];
  readonly droppedRows!: Readonly<DroppedRows>;
  readonly iterations!: number;
  readonly converged!: boolean;
  readonly demeanIterations!: number;
  readonly method!: DemeanMethod | "none";
  readonly threads!: number;
  readonly offset!: string | null;
  readonly warnings!: readonly string[];
  readonly timings!: { readonly estimate: number };
  readonly model?: FittedModel;
  readonly fit?: GlmSampleFit;

  constructor(fields: FeglmFields) {
    Object.assign(this, fields);
  }

  coef(name: string): Coefficient | undefined {
    return this.coefficients.find((c) => c.name === name);
  }

  get vcovLabel(): string {
    return vcovLabel(this.vcov);
  }

  /** "z" for Poisson and binomial (normal inference), "t" for Gaussian. */
  get statistic(): "z" | "t" {
    return this.dfT === Infinity ? "z" : "t";
  }

  summary(): string {
    const lines: string[] = [];
    const label = this.family === "poisson" ? "Poisson" : this.family === "gaussian" ? "GLM (Gaussian)" : `GLM (binomial, ${this.family})`;
    lines.push(`${label} estimation, Dep. Var.: ${this.depvar}`);
    lines.push(`Formula: ${this.formula}`);
    lines.push(`Observations: ${this.nobs.toLocaleString("en-US")}`);
    const fe = Object.entries(this.fixefSizes);
    if (fe.length > 0) lines.push(`Fixed-effects: ${fe.map(([k, v]) => `${k}: ${v.toLocaleString("en-US")}`).join(",  ")}`);
    lines.push(`Standard-errors: ${this.vcovLabel}`);
    const s = this.statistic;
    const header = ["", "Estimate", "Std. Error", `${s} value`, `Pr(>|${s}|)`, ""];
    const rows = this.coefficients.map((c) => [c.name, fmt(c.estimate), fmt(c.se), c.t.toFixed(6), fmtP(c.p), stars(c.p)]);
    const table = [header, ...rows];
    const widths = header.map((_, j) => Math.max(...table.map((r) => r[j].length)));
    for (const r of table) lines.push(r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join(" ").trimEnd());
    lines.push("---");
    lines.push("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1");
    lines.push(`Log-Likelihood: ${fmt(this.loglik)}   Pseudo R2: ${fmt(this.pseudoR2)}   Deviance: ${fmt(this.deviance)}   IRLS iterations: ${this.iterations}`);
    const dropped = Object.entries(this.droppedRows).filter(([, v]) => v > 0);
    if (dropped.length > 0) lines.push(`Rows dropped: ${dropped.map(([k, v]) => `${v} (${k})`).join(", ")}`);
    if (this.droppedCollinear.length > 0) lines.push(`Dropped as collinear: ${this.droppedCollinear.join(", ")}`);
    if (!this.converged) lines.push(`WARNING: IRLS did not converge (${this.iterations} iterations)`);
    return lines.join("\n");
  }

  toString(): string {
    return this.summary();
  }

  /** The JSON form the CLI prints (without its read/total timings). */
  toJSON(): Record<string, unknown> {
    const s = this.statistic;
    return {
      formula: this.formula,
      family: this.family,
      nobs: this.nobs,
      coefficients: this.coefficients.map((c) => ({
        name: c.name,
        estimate: c.estimate,
        se: c.se,
        [s]: c.t,
        p: c.p,
        conf_low: c.confLow,
        conf_high: c.confHigh,
      })),
      vcov: vcovJson(this.vcov),
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
