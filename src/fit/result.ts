import { droppedRowsJson } from "./sample.js";
import type { Coefficient } from "../vcov/coefficients.js";
import { FitResult, type FitFields } from "./fit-result.js";
import { formatPrinted as fmt } from "../core/format.js";

export type { Coefficient };

export interface FeolsFields extends FitFields {
  readonly r2: number;
  /** R² of the demeaned model; null without fixed effects. */
  readonly withinR2: number | null;
  /** Largest number of demeaning sweeps over any column (0: solved directly, no iterations). */
  readonly iterations: number;
  readonly ssr: number;
  /** sunab() models: the cohort × relative-period cells estimated, and the ATT (the coefficients are their averages by relative period). */
  readonly sunab?: SunabSummary;
}

export interface SunabSummary {
  readonly cells: readonly { readonly name: string; readonly estimate: number; readonly se: number }[];
  readonly att: { readonly estimate: number; readonly se: number };
}

/** What feols returns: the estimates and everything needed to report or reuse them. */
export class FeolsResult extends FitResult implements FeolsFields {
  declare readonly r2: number;
  declare readonly withinR2: number | null;
  declare readonly ssr: number;
  declare readonly sunab?: SunabSummary;

  constructor(fields: FeolsFields) {
    super(fields);
  }

  summary(): string {
    const lines = this.summaryHead("OLS estimation", "t");
    const rmse = Math.sqrt(this.ssr / this.nobs);
    lines.push(`RMSE: ${fmt(rmse)}   R2: ${fmt(this.r2)}${this.withinR2 === null ? "" : `   Within R2: ${fmt(this.withinR2)}`}   t df: ${this.dfT}`);
    const printedDrops = Object.entries(droppedRowsJson(this.droppedRows)).map(([k, v]) => [k.replace("_", "-"), v]);
    lines.push(...this.summaryDropped(Object.fromEntries(printedDrops)));
    if (!this.converged) lines.push(`WARNING: demeaning did not converge (${this.iterations} iterations)`);
    return lines.join("\n");
  }

  toJSON(): Record<string, unknown> {
    return {
      formula: this.formula,
      nobs: this.nobs,
      coefficients: this.coefficientsJson("t"),
      vcov: this.vcovJson(),
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
