/**
 * Robot exposure, as in Acemoglu & Restrepo (2020) brought to the firm (the study's measure):
 *
 *   industry robot density  R_jt = per · stock_jt / L_j,b         (robots per `per` workers)
 *   firm weight             w_it = ps_it / median_t(ps)
 *   firm penetration        robot_it = R_j(i)t · w_it
 *
 * stock_jt is industry j's operational robot stock in year t, L_j,b its employment in the base
 * year b (a parameter; default the first year of the robot-stock table), ps_it the firm's
 * production-worker share, and median_t(ps) the median share across the manufacturing firms of
 * the panel in year t (all rows, or those a `manufacturing` column flags 1). The instrument is
 * built the same way from the foreign robot stock: R*_jt = per · foreign_stock_jt / L*_j,b with
 * L* the employment table's `foreign_employment` column when it has one, else L itself, and
 * robot_iv_it = R*_j(i)t · w_it.
 *
 * Build it on the whole panel before the DVAR cleaning drops rows (the medians are over the
 * panel's firms), as {@link buildStudyData} does.
 */
import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { InputError } from "../core/errors.js";
import {
  checkYear,
  groupCodes,
  levelKey,
  matchKeys,
  numericColumn,
  numericInput,
  optionError,
  requireColumns,
  withColumns,
} from "./columns.js";
import { encodeColumn } from "../data/encode.js";
import { quantileSorted } from "../core/quantile.js";

export interface RobotTableColumns {
  /** Industry key, in the robot-stock and employment tables and the panel (default "industry"). */
  readonly industry?: string;
  /** Year, in the robot-stock and employment tables and the panel (default "year"). */
  readonly year?: string;
  /** Robot stock (default "stock"). */
  readonly stock?: string;
  /** Foreign robot stock, for the instrument (default "foreign_stock"). */
  readonly foreignStock?: string;
  /** Base-year industry employment (default "employment"). */
  readonly employment?: string;
  /** Optional foreign base-year employment, the instrument's denominator (default "foreign_employment"). */
  readonly foreignEmployment?: string;
}

export interface RobotDensityOptions {
  /** Base year of the employment denominator (default: the first year of the robot-stock table). */
  readonly baseYear?: number;
  /** Density is robots per `per` workers (default 10,000). */
  readonly per?: number;
  /** Build the foreign density (the instrument) too (default true; needs the foreign stock column). */
  readonly instrument?: boolean;
  readonly columns?: RobotTableColumns;
  /** Names of the density columns made (defaults "robot_density", "robot_density_foreign"). */
  readonly names?: { readonly density?: string; readonly foreignDensity?: string };
}

export const ROBOT_DEFAULTS = { per: 10_000 } as const;

const DENSITY_BUILDER = "industryRobotDensity";
const PENETRATION_BUILDER = "buildRobotPenetration";

function tableColumns(options: RobotDensityOptions) {
  const c = options.columns ?? {};
  return {
    industry: c.industry ?? "industry",
    year: c.year ?? "year",
    stock: c.stock ?? "stock",
    foreignStock: c.foreignStock ?? "foreign_stock",
    employment: c.employment ?? "employment",
    foreignEmployment: c.foreignEmployment ?? "foreign_employment",
  };
}

/** Industry-year robot densities, with the base year and employment they used. */
export interface RobotDensity {
  /** The robot-stock table's industry and year columns plus the density column(s). */
  readonly frame: Frame;
  readonly baseYear: number;
  /** Industry keys (as text) → row index into `employment`. */
  readonly industries: ReadonlyMap<string, number>;
  /** Base-year employment per industry, in the order of `industries`. */
  readonly employment: Float64Array;
}

/**
 * Industry robot density R_jt = per · stock_jt / L_j,b (and the foreign density R*_jt) for each
 * row of the robot-stock table (industry, year, stock, foreign_stock). `employment` has one row
 * per industry: either a table with a year column, of which the base year's rows are used, or
 * the base-year employment itself (industry, employment).
 */
export function industryRobotDensity(robots: DataInput, employment: DataInput, options: RobotDensityOptions = {}): RobotDensity {
  const cols = tableColumns(options);
  const per = options.per ?? ROBOT_DEFAULTS.per;
  if (!(per > 0 && Number.isFinite(per))) throw optionError(DENSITY_BUILDER, `per must be a positive number, got ${per}`);
  const instrument = options.instrument ?? true;
  const names = { density: options.names?.density ?? "robot_density", foreignDensity: options.names?.foreignDensity ?? "robot_density_foreign" };

  const rt = toFrame(robots);
  const what = "the robot-stock table";
  requireColumns(rt, [cols.industry, cols.year, cols.stock, ...(instrument ? [cols.foreignStock] : [])], DENSITY_BUILDER, what);
  const year = numericInput(rt, cols.year, DENSITY_BUILDER, what);
  const stock = numericInput(rt, cols.stock, DENSITY_BUILDER, what);
  const foreign = instrument ? numericInput(rt, cols.foreignStock, DENSITY_BUILDER, what) : null;
  let first = Infinity;
  for (let r = 0; r < rt.nrows; r++) if (year[r]! < first) first = year[r]!;
  if (!Number.isFinite(first)) throw new InputError("data", `${DENSITY_BUILDER}: ${what} has no rows with a year`);
  const baseYear = options.baseYear ?? first;
  checkYear(DENSITY_BUILDER, "baseYear", baseYear);

  // Base-year employment per industry.
  const et = toFrame(employment);
  const ewhat = "the employment table";
  requireColumns(et, [cols.industry, cols.employment], DENSITY_BUILDER, ewhat);
  const emp = numericInput(et, cols.employment, DENSITY_BUILDER, ewhat);
  const empForeign = instrument && et.columns.has(cols.foreignEmployment) ? numericInput(et, cols.foreignEmployment, DENSITY_BUILDER, ewhat) : null;
  const eyear = et.columns.has(cols.year) ? numericInput(et, cols.year, DENSITY_BUILDER, ewhat) : null;
  const eind = encodeColumn(et.columns.get(cols.industry)!, null);
  const industries = new Map<string, number>();
  const L: number[] = [];
  const Lf: number[] = [];
  for (let r = 0; r < et.nrows; r++) {
    if (eyear && eyear[r] !== baseYear) continue;
    const code = eind.codes[r]!;
    if (code < 0) continue;
    const key = levelKey(eind.levels[code]!);
    if (industries.has(key)) {
      throw new InputError("data", `${DENSITY_BUILDER}: ${ewhat} has more than one row for industry ${key}${eyear ? ` in ${baseYear}` : ""}`);
    }
    const l = emp[r]!;
    if (!(l > 0)) throw new InputError("data", `${DENSITY_BUILDER}: base-year employment of industry ${key} must be positive, got ${l}`);
    const lf = empForeign ? empForeign[r]! : l;
    if (!(lf > 0)) throw new InputError("data", `${DENSITY_BUILDER}: foreign base-year employment of industry ${key} must be positive, got ${lf}`);
    industries.set(key, L.length);
    L.push(l);
    Lf.push(lf);
  }

  const k = matchKeys(rt, cols.industry, industries);
  const rind = encodeColumn(rt.columns.get(cols.industry)!, null);
  const density = new Float64Array(rt.nrows);
  const foreignDensity = new Float64Array(rt.nrows);
  const seen = new Set<string>();
  for (let r = 0; r < rt.nrows; r++) {
    const code = rind.codes[r]!;
    const label = code >= 0 ? levelKey(rind.levels[code]!) : "(missing)";
    if (k[r]! < 0) {
      throw new InputError(
        "data",
        `${DENSITY_BUILDER}: industry ${label} of ${what} has no base-year (${baseYear}) employment in ${ewhat}`,
      );
    }
    const cell = `${label}|${year[r]}`;
    if (seen.has(cell)) throw new InputError("data", `${DENSITY_BUILDER}: ${what} has more than one row for industry ${label} in ${year[r]}`);
    seen.add(cell);
    density[r] = (per * stock[r]!) / L[k[r]!]!;
    if (foreign) foreignDensity[r] = (per * foreign[r]!) / Lf[k[r]!]!;
  }
  const columns = new Map<string, Column>([
    [cols.industry, rt.columns.get(cols.industry)!],
    [cols.year, rt.columns.get(cols.year)!],
    [names.density, numericColumn(density)],
  ]);
  if (foreign) columns.set(names.foreignDensity, numericColumn(foreignDensity));
  return { frame: { nrows: rt.nrows, columns }, baseYear, industries, employment: Float64Array.from(L) };
}

/**
 * Per row of `panel`, the row of the industry-year table `table` with its industry and year
 * (matched by value, 3 matches "3"), or -1 when the table has none.
 */
export function matchIndustryYear(
  panel: Frame,
  table: Frame,
  cols: { readonly industry: string; readonly year: string },
  builder: string,
): Int32Array {
  const tyear = numericInput(table, cols.year, builder, "the industry-year table");
  const pyear = numericInput(panel, cols.year, builder, "the firm panel");
  const tind = encodeColumn(table.columns.get(cols.industry)!, null);
  const industries = new Map<string, number>();
  tind.levels.forEach((level, i) => industries.set(levelKey(level), i));
  const pk = matchKeys(panel, cols.industry, industries);
  // Years are looked up through a small dense range.
  let y0 = Infinity, y1 = -Infinity;
  for (let r = 0; r < table.nrows; r++) {
    const y = tyear[r]!;
    if (y < y0) y0 = y;
    if (y > y1) y1 = y;
  }
  const out = new Int32Array(panel.nrows).fill(-1);
  if (!(y1 >= y0)) return out;
  const span = y1 - y0 + 1;
  const cell = new Int32Array(tind.size * span).fill(-1);
  for (let r = 0; r < table.nrows; r++) {
    const c = tind.codes[r]!;
    const y = tyear[r]!;
    if (c >= 0 && Number.isInteger(y)) cell[c * span + (y - y0)] = r;
  }
  for (let r = 0; r < panel.nrows; r++) {
    const c = pk[r]!;
    const y = pyear[r]!;
    if (c >= 0 && y >= y0 && y <= y1 && Number.isInteger(y)) out[r] = cell[c * span + (y - y0)]!;
  }
  return out;
}

export interface PenetrationOptions extends RobotDensityOptions {
  /** The panel's production-worker share column (default "prod_share"). */
  readonly prodShare?: string;
  /** Optional 0/1 column: the median share is over the rows flagged 1 (default: all rows). */
  readonly manufacturing?: string;
  /** Names of the columns added (defaults "robot", "robot_iv", "robot_density", "robot_weight"). */
  readonly output?: {
    readonly robot?: string;
    readonly instrument?: string;
    readonly density?: string;
    readonly weight?: string;
  };
}

export interface PenetrationResult {
  /** The panel with robot, robot_iv (when built), robot_density and robot_weight added. */
  readonly frame: Frame;
  /** The industry-year densities ({@link industryRobotDensity}'s frame), e.g. for the linkages. */
  readonly density: Frame;
  readonly baseYear: number;
  /** Median production-worker share per panel year, and how many firms it is over. */
  readonly medians: readonly { readonly year: number; readonly median: number; readonly firms: number }[];
  /** Panel rows whose industry-year is not in the robot-stock table (their measures are missing). */
  readonly unmatched: number;
}

/** Firm robot penetration and its instrument (module comment), added to the panel. */
export function buildRobotPenetration(
  panel: DataInput,
  robots: DataInput,
  employment: DataInput,
  options: PenetrationOptions = {},
): PenetrationResult {
  const cols = tableColumns(options);
  const frame = toFrame(panel);
  const prodShare = options.prodShare ?? "prod_share";
  const pwhat = "the firm panel";
  requireColumns(frame, [cols.industry, cols.year, prodShare, ...(options.manufacturing ? [options.manufacturing] : [])], PENETRATION_BUILDER, pwhat);
  const share = numericInput(frame, prodShare, PENETRATION_BUILDER, pwhat);
  numericInput(frame, cols.year, PENETRATION_BUILDER, pwhat); // years must be numbers
  const manuf = options.manufacturing ? numericInput(frame, options.manufacturing, PENETRATION_BUILDER, pwhat) : null;
  const instrument = options.instrument ?? true;
  const density = industryRobotDensity(robots, employment, options);
  const dname = options.names?.density ?? "robot_density";
  const fname = options.names?.foreignDensity ?? "robot_density_foreign";
  const dens = (density.frame.columns.get(dname) as { values: Float64Array }).values;
  const fdens = instrument ? (density.frame.columns.get(fname) as { values: Float64Array }).values : null;

  // Median production-worker share by year.
  const years = groupCodes(frame, [cols.year], PENETRATION_BUILDER);
  const byYear: number[][] = Array.from({ length: years.size }, () => []);
  for (let r = 0; r < frame.nrows; r++) {
    const g = years.codes[r]!;
    const v = share[r]!;
    if (g >= 0 && v === v && (!manuf || manuf[r] === 1)) byYear[g]!.push(v);
  }
  const median = new Float64Array(years.size);
  const medians = byYear.map((values, g) => {
    const sorted = Float64Array.from(values).sort();
    median[g] = sorted.length > 0 ? quantileSorted(sorted, 0.5) : NaN;
    return { year: years.levels[g] as number, median: median[g]!, firms: sorted.length };
  });

  const cell = matchIndustryYear(frame, density.frame, cols, PENETRATION_BUILDER);
  const n = frame.nrows;
  const robot = new Float64Array(n);
  const robotIv = new Float64Array(n);
  const rdens = new Float64Array(n);
  const weight = new Float64Array(n);
  let unmatched = 0;
  for (let r = 0; r < n; r++) {
    const g = years.codes[r]!;
    const w = g >= 0 && median[g]! > 0 ? share[r]! / median[g]! : NaN;
    weight[r] = w;
    const c = cell[r]!;
    if (c < 0) {
      unmatched++;
      robot[r] = robotIv[r] = rdens[r] = NaN;
      continue;
    }
    rdens[r] = dens[c]!;
    robot[r] = dens[c]! * w;
    robotIv[r] = fdens ? fdens[c]! * w : NaN;
  }
  const out = options.output ?? {};
  const added: [string, Column][] = [
    [out.density ?? "robot_density", numericColumn(rdens)],
    [out.weight ?? "robot_weight", numericColumn(weight)],
    [out.robot ?? "robot", numericColumn(robot)],
  ];
  if (instrument) added.push([out.instrument ?? "robot_iv", numericColumn(robotIv)]);
  return { frame: withColumns(frame, added), density: density.frame, baseYear: density.baseYear, medians, unmatched };
}
