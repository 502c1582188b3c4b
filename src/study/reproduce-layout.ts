/**
 * How the study lays out its tables: the variables' labels, four decimals for the estimates
 * (the robot effects are of the order 0.001–0.01) with t statistics to two decimals below them,
 * p-values to three, and every robot measure on the one "Robot" row.
 */
import type { FeolsResult } from "../fit/result.js";
import { buildTable, type RegressionTable } from "../report/table.js";
import { fromFeolsResult, type ReportModel } from "../report/model.js";
import { formatFixed, significanceStars } from "../core/format.js";

/** Decimals in the tables. */
export const DIGITS = 4;
/** Decimals of the t statistics. */
export const T_DIGITS = 2;

export const LABELS: Record<string, string> = {
  robot: "Robot",
  robot_for: "For (suppliers' robots)",
  robot_back: "Back (buyers' robots)",
  profitability: "Profitability",
  innovation: "Innovation",
  dvar: "DVAR",
  dvar_alt: "DVAR (s = 0)",
  dvar_mean: "Mean DVAR",
  gap: "Gap to frontier",
  theil_t: "Theil T of DVAR",
  firm_id: "Firm",
  year: "Year",
  industry: "Industry",
};

/** A fit as a report model with one coefficient renamed to "robot" (so every column shares the Robot row). */
export function asRobot(fit: FeolsResult, from?: string): ReportModel {
  const m = fromFeolsResult(fit);
  if (from === undefined) return m;
  return { ...m, coefficients: m.coefficients.map((c) => (c.name === from ? { ...c, name: "robot" } : c)) };
}

/** A p-value to three decimals ("< 0.001" below). */
export function formatPValue(p: number): string {
  return Number.isNaN(p) ? "" : p < 0.001 ? "< 0.001" : p.toFixed(3);
}

/**
 * buildTable with DIGITS decimals for the estimates and 2 for the t statistics in parentheses
 * below them (taken from a second build at 2 decimals: the row layout does not depend on digits).
 */
export function studyTable(models: readonly (FeolsResult | ReportModel)[], options: Parameters<typeof buildTable>[1]): RegressionTable {
  const table = buildTable(models, { ...options, digits: DIGITS });
  const short = buildTable(models, { ...options, digits: T_DIGITS });
  return { ...table, rows: table.rows.map((row, i) => (row.kind === "coef" && row.label === "" ? short.rows[i]! : row)) };
}

export function starred(estimate: number, p: number, digits = DIGITS): string {
  return formatFixed(estimate, digits) + significanceStars(p);
}
