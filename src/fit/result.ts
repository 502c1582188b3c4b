import { droppedRowsJson, type DroppedRows } from "./sample.js";
import type { DemeanMethod } from "../engine/absorb/plan.js";
import type { Coefficient } from "../vcov/coefficients.js";
import type { SmallSample } from "../vcov/ssc.js";
import type { FittedModel } from "./fitted-model.js";
import { formatPrinted as fmt, formatPValue as fmtP } from "../core/format.js";

export type { Coefficient };

/** How the variance was estimated, with the small-sample corrections applied. */
export type VcovInfo = (
  | { readonly type: "iid" | "hetero" }
  | { readonly type: "cluster"; readonly cluster: readonly string[] }
  | { readonly type: "nw" | "dk"; readonly panelId: readonly [string, string]; readonly lag: number }
) & { readonly ssc: SmallSample };

export interface FeolsFields {
  readonly formula: string;
  readonly depvar: string;
  readonly nobs: number;
  readonly coefficients: readonly Coefficient[];
  readonly vcov: VcovInfo;
  /** Row-major k×k over the kept coefficients, in their order. */
  readonly vcovMatrix: Float64Array;
  readonly r2: number;
  /** R² of the demeaned model; null without fixed effects. */
  readonly withinR2: number | null;
  /** Degrees of freedom of the t distribution. */
  readonly dfT: number;
  /** K of the small-sample correction (regressors + fixed-effect coefficients counted). */
  readonly dfK: number;
  readonly fixefSizes: Readonly<Record<string, number>>;
  readonly droppedCollinear: readonly string[];
  readonly droppedRows: Readonly<DroppedRows>;
  /** Largest number of demeaning sweeps over any column (0: solved directly, no iterations). */
  readonly iterations: number;
  readonly converged: boolean;
  readonly method: DemeanMethod | "none";
  /** Worker threads the demeaning used. */
  readonly threads: number;
  readonly ssr: number;
  readonly warnings: readonly string[];
  readonly timings: { readonly estimate: number };
  /** What fixef(), residuals(), fitted() and predict() need (not part of the JSON form). */
  readonly model?: FittedModel;
  /** sunab() models: the cohort × relative-period cells estimated, and the ATT (the coefficients are their averages by relative period). */
  readonly sunab?: SunabSummary;
}

export interface SunabSummary {
  readonly cells: readonly { readonly name: string; readonly estimate: number; readonly se: number }[];
  readonly att: { readonly estimate: number; readonly se: number };
}

/** What feols returns: the estimates and everything needed to report or reuse them. */
export class FeolsResult implements FeolsFields {
  readonly formula!: string;
  readonly depvar!: string;
  readonly nobs!: number;
  readonly coefficients!: readonly Coefficient[];
  readonly vcov!: VcovInfo;
  readonly vcovMatrix!: Float64Array;
  readonly r2!: number;
  readonly withinR2!: number | null;
  readonly dfT!: number;
  readonly dfK!: number;
  readonly fixefSizes!: Readonly<Record<string, number>>;
  readonly droppedCollinear!: readonly string[];
  readonly droppedRows!: Readonly<DroppedRows>;
  readonly iterations!: number;
  readonly converged!: boolean;
  readonly method!: DemeanMethod | "none";
  readonly threads!: number;
  readonly ssr!: number;
  readonly warnings!: readonly string[];
  readonly timings!: { readonly estimate: number };
  readonly model?: FittedModel;
  readonly sunab?: SunabSummary;

  constructor(fields: FeolsFields) {
    Object.assign(this, fields);
  }

  /** The coefficient called `name`, or undefined if it was not estimated. */
  coef(name: string): Coefficient | undefined {
    return this.coefficients.find((c) => c.name === name);
  }

  get vcovLabel(): string {
    return vcovLabel(this.vcov);
  }

  /** A fixest-like printout. */
  summary(): string {
    const lines: string[] = [];
    lines.push(`OLS estimation, Dep. Var.: ${this.depvar}`);
    lines.push(`Formula: ${this.formula}`);
    lines.push(`Observations: ${this.nobs.toLocaleString("en-US")}`);
    const fe = Object.entries(this.fixefSizes);
    if (fe.length > 0) lines.push(`Fixed-effects: ${fe.map(([k, v]) => `${k}: ${v.toLocaleString("en-US")}`).join(",  ")}`);
    lines.push(`Standard-errors: ${this.vcovLabel}`);
    const header = ["", "Estimate", "Std. Error", "t value", "Pr(>|t|)", ""];
    const rows = this.coefficients.map((c) => [c.name, fmt(c.estimate), fmt(c.se), c.t.toFixed(6), fmtP(c.p), stars(c.p)]);
    const table = [header, ...rows];
    const widths = header.map((_, j) => Math.max(...table.map((r) => r[j].length)));
    for (const r of table) lines.push(r.map((cell, j) => (j === 0 ? cell.padEnd(widths[j]) : cell.padStart(widths[j]))).join(" ").trimEnd());
    lines.push("---");
    lines.push("Signif. codes:  0 '***' 0.001 '**' 0.01 '*' 0.05 '.' 0.1 ' ' 1");
    const rmse = Math.sqrt(this.ssr / this.nobs);
    lines.push(`RMSE: ${fmt(rmse)}   R2: ${fmt(this.r2)}${this.withinR2 === null ? "" : `   Within R2: ${fmt(this.withinR2)}`}   t df: ${this.dfT}`);
    const d = this.droppedRows;
    const dropped = Object.entries(droppedRowsJson(d)).filter(([, v]) => v > 0);
    if (dropped.length > 0) lines.push(`Rows dropped: ${dropped.map(([k, v]) => `${v} (${k.replace("_", "-")})`).join(", ")}`);
    if (this.droppedCollinear.length > 0) lines.push(`Dropped as collinear: ${this.droppedCollinear.join(", ")}`);
    if (!this.converged) lines.push(`WARNING: demeaning did not converge (${this.iterations} iterations)`);
    return lines.join("\n");
  }

  toString(): string {
    return this.summary();
  }

  /** The JSON form the CLI prints (without its read/total timings). */
  toJSON(): Record<string, unknown> {
    return {
      formula: this.formula,
      nobs: this.nobs,
      coefficients: this.coefficients.map((c) => ({
        name: c.name,
        estimate: c.estimate,
        se: c.se,
        t: c.t,
        p: c.p,
        conf_low: c.confLow,
        conf_high: c.confHigh,
      })),
      vcov: vcovJson(this.vcov),
      r2: this.r2,
      within_r2: this.withinR2,
      df_t: this.dfT,
      fixef_sizes: { ...this.fixefSizes },
      dropped_collinear: [...this.droppedCollinear],
      dropped_rows: droppedRowsJson(this.droppedRows),
      iterations: this.iterations,
      converged: this.converged,
      method: this.method,
      threads: this.threads,
      warnings: [...this.warnings],
      ...(this.sunab ? { sunab: { cells: this.sunab.cells.map((c) => ({ ...c })), att: { ...this.sunab.att } } } : {}),
    };
  }
}

/** The printed name of a vcov: "IID", "Clustered (firm_id)", "Newey-West (L=1)", … */
export function vcovLabel(v: VcovInfo): string {
  if (v.type === "cluster") return `Clustered (${v.cluster.join(" & ")})`;
  if (v.type === "nw") return `Newey-West (L=${v.lag})`;
  if (v.type === "dk") return `Driscoll-Kraay (L=${v.lag})`;
  return v.type === "iid" ? "IID" : "Heteroskedasticity-robust";
}

export function vcovJson(v: VcovInfo): Record<string, unknown> {
  const ssc = { k_adj: v.ssc.kAdj, fixef_k: v.ssc.fixefK, g_adj: v.ssc.gAdj, t_df: v.ssc.tDf };
  if (v.type === "cluster") return { type: "cluster", cluster: [...v.cluster], ssc };
  if (v.type === "nw" || v.type === "dk") return { type: v.type, panel_id: [...v.panelId], lag: v.lag, ssc };
  return { type: v.type, ssc };
}



export function stars(p: number): string {
  return p < 0.001 ? "***" : p < 0.01 ? "**" : p < 0.05 ? "*" : p < 0.1 ? "." : "";
}
