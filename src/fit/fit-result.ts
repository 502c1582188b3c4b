import type { DroppedRows } from "./sample.js";
import type { DemeanMethod } from "../engine/absorb/plan.js";
import type { Coefficient } from "../vcov/coefficients.js";
import { vcovJson, vcovLabel, type VcovInfo } from "../vcov/info.js";
import type { FittedModel } from "./fitted-model.js";
import { formatPrinted as fmt, formatPValue as fmtP } from "../core/format.js";

/** What every fit result holds, whatever the estimator (OLS, 2SLS, a GLM). */
export interface FitFields {
  readonly formula: string;
  readonly depvar: string;
  readonly nobs: number;
  readonly coefficients: readonly Coefficient[];
  readonly vcov: VcovInfo;
  /** Row-major k×k over the kept coefficients, in their order. */
  readonly vcovMatrix: Float64Array;
  /** Degrees of freedom of the t distribution (Infinity: normal inference). */
  readonly dfT: number;
  /** K of the small-sample correction (regressors + fixed-effect coefficients counted). */
  readonly dfK: number;
  readonly fixefSizes: Readonly<Record<string, number>>;
  readonly droppedCollinear: readonly string[];
  readonly droppedRows: Readonly<DroppedRows>;
  readonly iterations: number;
  readonly converged: boolean;
  readonly method: DemeanMethod | "none";
  /** Worker threads the demeaning used. */
  readonly threads: number;
  readonly warnings: readonly string[];
  readonly timings: { readonly estimate: number };
  /** What fixef(), residuals(), fitted() and predict() need (not part of the JSON form). */
  readonly model?: FittedModel;
}

/**
 * The base of every result type: the shared fields, coef(), the vcov's label and the parts of the
 * printout and the JSON form that read the same for every estimator. A result type adds its own
 * fields (declared, as the constructor assigns them) and writes summary() and toJSON() from these
 * parts.
 */
export abstract class FitResult implements FitFields {
  declare readonly formula: string;
  declare readonly depvar: string;
  declare readonly nobs: number;
  declare readonly coefficients: readonly Coefficient[];
  declare readonly vcov: VcovInfo;
  declare readonly vcovMatrix: Float64Array;
  declare readonly dfT: number;
  declare readonly dfK: number;
  declare readonly fixefSizes: Readonly<Record<string, number>>;
  declare readonly droppedCollinear: readonly string[];
  declare readonly droppedRows: Readonly<DroppedRows>;
  declare readonly iterations: number;
  declare readonly converged: boolean;
  declare readonly method: DemeanMethod | "none";
  declare readonly threads: number;
  declare readonly warnings: readonly string[];
  declare readonly timings: { readonly estimate: number };
  declare readonly model?: FittedModel;

  constructor(fields: FitFields) {
    Object.assign(this, fields);
  }

  /** A fixest-like printout. */
  abstract summary(): string;

  /** The JSON form the CLI prints (without its read/total timings). */
  abstract toJSON(): Record<string, unknown>;

  /** The coefficient called `name`, or undefined if it was not estimated. */
  coef(name: string): Coefficient | undefined {
    return this.coefficients.find((c) => c.name === name);
  }

  get vcovLabel(): string {
    return vcovLabel(this.vcov);
  }

  toString(): string {
    return this.summary();
  }

  /** The printout's opening: title, formula, sample, fixed effects, vcov, the coefficient table and the significance legend. */
  protected summaryHead(title: string, statistic: "t" | "z"): string[] {
    const lines: string[] = [];
    lines.push(`${title}, Dep. Var.: ${this.depvar}`);
    lines.push(`Formula: ${this.formula}`);
    lines.push(`Observations: ${this.nobs.toLocaleString("en-US")}`);
    const fe = Object.entries(this.fixefSizes);
    if (fe.length > 0) lines.push(`Fixed-effects: ${fe.map(([k, v]) => `${k}: ${v.toLocaleString("en-US")}`).join(",  ")}`);
    lines.push(`Standard-errors: ${this.vcovLabel}`);
    const header = ["", "Estimate", "Std. Error", `${statistic} value`, `Pr(>|${statistic}|)`, ""];
    const rows = this.coefficients.map((c) => [c.name, fmt(c.estimate), fmt(c.se), c.t.toFixed(6), fmtP(c.p), stars(c.p)]);
    const table = [header, ...rows];
    const widths = header.map((_, j) => Math.max(...table.map((r) => r[j].length)));
    for (const r of table) lines.push(r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join(" ").trimEnd());
    lines.push("---");
    lines.push("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1");
    return lines;
  }

  /** The printout's lines on dropped rows (`counts`, by their printed reason) and collinear regressors. */
  protected summaryDropped(counts: Readonly<Record<string, number>>): string[] {
    const lines: string[] = [];
    const dropped = Object.entries(counts).filter(([, v]) => v > 0);
    if (dropped.length > 0) lines.push(`Rows dropped: ${dropped.map(([k, v]) => `${v} (${k})`).join(", ")}`);
    if (this.droppedCollinear.length > 0) lines.push(`Dropped as collinear: ${this.droppedCollinear.join(", ")}`);
    return lines;
  }

  /** The coefficients as the JSON form lists them, the test statistic under `statistic`. */
  protected coefficientsJson(statistic: "t" | "z"): Record<string, unknown>[] {
    return this.coefficients.map((c) => ({
      name: c.name,
      estimate: c.estimate,
      se: c.se,
      [statistic]: c.t,
      p: c.p,
      conf_low: c.confLow,
      conf_high: c.confHigh,
    }));
  }

  protected vcovJson(): Record<string, unknown> {
    return vcovJson(this.vcov);
  }
}

/** fixest's significance stars. */
export function stars(p: number): string {
  return p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : "";
}
