/**
 * The study's firm controls and measures, each from raw firm columns:
 *
 *   age            year − open_year + 1                      (missing unless ≥ 1)
 *   ln_age         ln(age)
 *   leverage       liabilities / assets                      (assets > 0)
 *   debt_nfa       liabilities / net fixed assets            (net fixed assets > 0)
 *   cap_intensity  ln(net fixed assets / employees)          (both > 0)
 *   hhi            Σ_i (assets_i / Σ_i' assets_i')² over the firms of the industry-year
 *                  (rows with missing or non-positive assets are left out of the sums but get
 *                  their industry-year's value)
 *   profitability  profit / cost                             (cost > 0)
 *   innovation     ln(1 + R&D expenditure)                   (R&D ≥ 0)
 *
 * A value the definition does not allow (a non-positive denominator, a negative R&D, …) gives a
 * missing measure, counted per measure in the result. The distance to the frontier, the gap
 * between the best DVAR of the year (or industry-year) and the firm's, is {@link gapToFrontier}.
 */
import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { groupCodes, numericColumn, numericInput, optionError, requireColumns, withColumns } from "./columns.js";

export const CONTROL_MEASURES = [
  "age",
  "ln_age",
  "leverage",
  "debt_nfa",
  "cap_intensity",
  "hhi",
  "profitability",
  "innovation",
] as const;

export type ControlMeasure = (typeof CONTROL_MEASURES)[number];

/** The raw columns the measures are built from (defaults: the names below). */
export interface ControlColumns {
  readonly year: string;
  readonly industry: string;
  readonly openYear: string;
  readonly liabilities: string;
  readonly assets: string;
  readonly netFixedAssets: string;
  readonly employees: string;
  readonly profit: string;
  readonly cost: string;
  readonly rd: string;
}

export const CONTROL_COLUMNS: ControlColumns = {
  year: "year",
  industry: "industry",
  openYear: "open_year",
  liabilities: "liabilities",
  assets: "assets",
  netFixedAssets: "net_fixed_assets",
  employees: "employees",
  profit: "profit",
  cost: "cost",
  rd: "rd",
};

/** The raw columns each measure needs. */
const NEEDS: Record<ControlMeasure, readonly (keyof ControlColumns)[]> = {
  age: ["year", "openYear"],
  ln_age: ["year", "openYear"],
  leverage: ["liabilities", "assets"],
  debt_nfa: ["liabilities", "netFixedAssets"],
  cap_intensity: ["netFixedAssets", "employees"],
  hhi: ["industry", "year", "assets"],
  profitability: ["profit", "cost"],
  innovation: ["rd"],
};

export interface ControlsOptions {
  /** The measures to add (default: all of {@link CONTROL_MEASURES}), named as in that list. */
  readonly measures?: readonly ControlMeasure[];
  /** Raw column names, where they differ from {@link CONTROL_COLUMNS}. */
  readonly columns?: Partial<ControlColumns>;
}

export interface ControlsResult {
  /** The panel with the measures added. */
  readonly frame: Frame;
  /** Per measure, rows whose inputs were present but not allowed by its definition (set missing). */
  readonly invalid: Readonly<Partial<Record<ControlMeasure, number>>>;
}

function ratio(num: Float64Array, den: Float64Array, log: boolean): { values: Float64Array; invalid: number } {
  const n = num.length;
  const values = new Float64Array(n);
  let invalid = 0;
  for (let r = 0; r < n; r++) {
    const a = num[r]!, b = den[r]!;
    if (a !== a || b !== b) values[r] = NaN;
    else if (!(b > 0) || (log && !(a > 0))) {
      values[r] = NaN;
      invalid++;
    } else values[r] = log ? Math.log(a / b) : a / b;
  }
  return { values, invalid };
}

/** Adds the chosen measures (module comment) to the panel. */
export function buildControls(data: DataInput, options: ControlsOptions = {}): ControlsResult {
  const frame = toFrame(data);
  const cols: ControlColumns = { ...CONTROL_COLUMNS, ...options.columns };
  const measures = options.measures ?? CONTROL_MEASURES;
  for (const m of measures) {
    if (!(CONTROL_MEASURES as readonly string[]).includes(m)) {
      throw optionError("buildControls", `unknown measure ${JSON.stringify(m)}; the measures are ${CONTROL_MEASURES.join(", ")}`);
    }
  }
  // Every missing input column is reported before anything is computed.
  for (const m of measures) requireColumns(frame, NEEDS[m].map((k) => cols[k]), `buildControls (${m})`, "the firm panel");
  const get = (m: ControlMeasure, key: keyof ControlColumns) => numericInput(frame, cols[key], `buildControls (${m})`, "the firm panel");
  const added: [string, Column][] = [];
  const invalid: Partial<Record<ControlMeasure, number>> = {};
  const n = frame.nrows;
  for (const m of measures) {
    let values: Float64Array;
    let bad = 0;
    switch (m) {
      case "age":
      case "ln_age": {
        const year = get(m, "year");
        const open = get(m, "openYear");
        values = new Float64Array(n);
        for (let r = 0; r < n; r++) {
          const age = year[r]! - open[r]! + 1;
          if (age !== age) values[r] = NaN;
          else if (!(age >= 1)) {
            values[r] = NaN;
            bad++;
          } else values[r] = m === "age" ? age : Math.log(age);
        }
        break;
      }
      case "leverage":
        ({ values, invalid: bad } = ratio(get(m, "liabilities"), get(m, "assets"), false));
        break;
      case "debt_nfa":
        ({ values, invalid: bad } = ratio(get(m, "liabilities"), get(m, "netFixedAssets"), false));
        break;
      case "cap_intensity":
        ({ values, invalid: bad } = ratio(get(m, "netFixedAssets"), get(m, "employees"), true));
        break;
      case "profitability":
        ({ values, invalid: bad } = ratio(get(m, "profit"), get(m, "cost"), false));
        break;
      case "innovation": {
        const rd = get(m, "rd");
        values = new Float64Array(n);
        for (let r = 0; r < n; r++) {
          const v = rd[r]!;
          if (v !== v) values[r] = NaN;
          else if (!(v >= 0)) {
            values[r] = NaN;
            bad++;
          } else values[r] = Math.log1p(v);
        }
        break;
      }
      case "hhi": {
        const assets = get(m, "assets");
        const cells = groupCodes(frame, [cols.industry, cols.year], "buildControls (hhi)");
        const sum = new Float64Array(cells.size);
        const sumSq = new Float64Array(cells.size);
        for (let r = 0; r < n; r++) {
          const c = cells.codes[r]!;
          const a = assets[r]!;
          if (c >= 0 && a > 0) {
            sum[c] += a;
            sumSq[c] += a * a;
          } else if (a === a && !(a > 0)) bad++;
        }
        values = new Float64Array(n);
        for (let r = 0; r < n; r++) {
          const c = cells.codes[r]!;
          values[r] = c >= 0 && sum[c]! > 0 ? sumSq[c]! / (sum[c]! * sum[c]!) : NaN;
        }
        break;
      }
    }
    added.push([m, numericColumn(values)]);
    invalid[m] = bad;
  }
  return { frame: withColumns(frame, added), invalid };
}

export interface GapOptions {
  /** The column whose frontier is taken (default "dvar"). */
  readonly value?: string;
  /** The frontier is the maximum within these groups (default "year"; e.g. ["industry", "year"]). */
  readonly by?: string | readonly string[];
  /** Name of the column added (default "gap"). */
  readonly name?: string;
}

/**
 * Distance to the frontier: gap_it = max over the firms of i's group (default: the year) of the
 * value − the firm's value, ≥ 0; missing where the value is missing.
 */
export function gapToFrontier(data: DataInput, options: GapOptions = {}): Frame {
  const builder = "gapToFrontier";
  const frame = toFrame(data);
  const value = options.value ?? "dvar";
  const by = options.by === undefined ? ["year"] : typeof options.by === "string" ? [options.by] : options.by;
  const x = numericInput(frame, value, builder, "the firm panel");
  const groups = groupCodes(frame, by, builder);
  const max = new Float64Array(groups.size).fill(-Infinity);
  for (let r = 0; r < frame.nrows; r++) {
    const g = groups.codes[r]!;
    const v = x[r]!;
    if (g >= 0 && v > max[g]!) max[g] = v;
  }
  const gap = new Float64Array(frame.nrows);
  for (let r = 0; r < frame.nrows; r++) {
    const g = groups.codes[r]!;
    gap[r] = g >= 0 ? max[g]! - x[r]! : NaN;
  }
  return withColumns(frame, [[options.name ?? "gap", numericColumn(gap)]]);
}
