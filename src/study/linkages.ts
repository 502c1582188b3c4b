/**
 * Upstream and downstream robot exposure: the forward and backward linkages of Javorcik (2004)
 * applied to industry robot density, from an input–output flow matrix Z of the industries,
 * z_kj = the value of what industry j buys from industry k (row: seller, column: buyer).
 *
 *   For_jt  = Σ_{k≠j} ( z_kj / Σ_{k'≠j} z_k'j ) · R_kt     suppliers' robot density,
 *                                                           weighted by their shares in j's inputs
 *   Back_jt = Σ_{k≠j} ( z_jk / Σ_{k'≠j} z_jk' ) · R_kt     buyers' robot density,
 *                                                           weighted by their shares in j's sales
 *
 * R_kt is industry k's robot density in year t ({@link industryRobotDensity}). The own industry
 * is excluded from both sums and from the shares' denominators (its own density is the firm's
 * direct exposure). The weights come from one base-year table and are held fixed over the years,
 * so that the exposures move only with the robot densities. An industry that buys nothing from
 * (or sells nothing to) the other industries has For (Back) = 0. A supplier (buyer) with a
 * positive weight and no density in year t makes the exposure missing for that year.
 */
import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { encodeColumn, type Level } from "../data/encode.js";
import { InputError } from "../core/errors.js";
import { levelKey, numericColumn, numericInput, requireColumns, withColumns } from "./columns.js";
import { matchIndustryYear } from "./robots.js";

/** An input–output flow matrix over industries. */
export interface IoMatrix {
  /**
   * The industries of the rows and columns, in order. Default: the industries of the density
   * table, sorted (numbers ascending, text in code-point order).
   */
  readonly industries?: readonly Level[];
  /**
   * Z: `flows[k][j]` (one array per row) or `flows[k * n + j]` (flat, row-major) is what industry
   * j buys from industry k. Non-negative.
   */
  readonly flows: readonly ArrayLike<number>[] | ArrayLike<number>;
}

/** The For and Back weights of each industry (row j: industry j's weights over industries k). */
export interface LinkageWeights {
  readonly industries: readonly string[];
  readonly n: number;
  /** forward[j·n + k] = z_kj / Σ_{k'≠j} z_k'j, 0 on the diagonal. */
  readonly forward: Float64Array;
  /** backward[j·n + k] = z_jk / Σ_{k'≠j} z_jk', 0 on the diagonal. */
  readonly backward: Float64Array;
}

/** Z as a flat row-major n×n array, or an error saying the expected and the actual size. */
function flatFlows(io: IoMatrix, n: number, builder: string): Float64Array {
  const flows = io.flows;
  const expected = `${n}×${n} (one row and one column per industry)`;
  const z = new Float64Array(n * n);
  const nested = flows.length > 0 && typeof flows[0] === "object" && flows[0] !== null;
  if (nested) {
    const rows = flows as readonly ArrayLike<number>[];
    const widths = new Set(rows.map((row) => row.length));
    if (rows.length !== n || widths.size !== 1 || !widths.has(n)) {
      const got = widths.size === 1 ? `${rows.length}×${[...widths][0]}` : `${rows.length} rows of ${[...widths].sort((a, b) => a - b).join(", ")} values`;
      throw new InputError("data", `${builder}: the input–output matrix must be ${expected}, got ${got}`);
    }
    rows.forEach((row, k) => {
      for (let j = 0; j < n; j++) z[k * n + j] = row[j]!;
    });
  } else {
    const flat = flows as ArrayLike<number>;
    if (flat.length !== n * n) {
      const side = Math.sqrt(flat.length);
      const got = Number.isInteger(side) ? `${side}×${side}` : `${flat.length} values`;
      throw new InputError("data", `${builder}: the input–output matrix must be ${expected}, got ${got}`);
    }
    for (let i = 0; i < n * n; i++) z[i] = flat[i]!;
  }
  for (let i = 0; i < n * n; i++) {
    const v = z[i]!;
    if (!(v >= 0 && Number.isFinite(v))) {
      throw new InputError("data", `${builder}: input–output flows must be finite and non-negative; row ${Math.floor(i / n) + 1}, column ${(i % n) + 1} is ${v}`);
    }
  }
  return z;
}

function sortLevels(levels: readonly Level[]): Level[] {
  return [...levels].sort((a, b) =>
    typeof a === "number" && typeof b === "number" ? a - b : String(a) < String(b) ? -1 : String(a) > String(b) ? 1 : 0,
  );
}

/**
 * The For and Back weights (module comment) of `io`; `industries` orders the matrix when
 * `io.industries` does not.
 */
export function linkageWeights(io: IoMatrix, industries?: readonly Level[], builder = "linkageWeights"): LinkageWeights {
  const labels = io.industries ?? industries;
  if (!labels) throw new InputError("data", `${builder}: the input–output matrix needs its industries (io.industries)`);
  const n = labels.length;
  const keys = labels.map(levelKey);
  if (new Set(keys).size !== n) throw new InputError("data", `${builder}: the input–output matrix's industries repeat: ${keys.join(", ")}`);
  const z = flatFlows(io, n, builder);
  const forward = new Float64Array(n * n);
  const backward = new Float64Array(n * n);
  for (let j = 0; j < n; j++) {
    let inputs = 0; // Σ_{k≠j} z_kj: j's purchases from other industries
    let sales = 0; // Σ_{k≠j} z_jk: j's sales to other industries
    for (let k = 0; k < n; k++) {
      if (k === j) continue;
      inputs += z[k * n + j]!;
      sales += z[j * n + k]!;
    }
    for (let k = 0; k < n; k++) {
      if (k === j) continue;
      if (inputs > 0) forward[j * n + k] = z[k * n + j]! / inputs;
      if (sales > 0) backward[j * n + k] = z[j * n + k]! / sales;
    }
  }
  return { industries: keys, n, forward, backward };
}

/**
 * An input–output matrix from a table (e.g. a CSV file read with readFrame): one row per selling
 * industry k, its label in the `industry` column, and one numeric column per buying industry j
 * named by its label, holding z_kj. The columns may come in any order; they must be the rows'
 * industries.
 */
export function ioMatrixFromTable(data: DataInput, options: { readonly industry?: string } = {}): IoMatrix {
  const builder = "ioMatrixFromTable";
  const industry = options.industry ?? "industry";
  const table = toFrame(data);
  requireColumns(table, [industry], builder, "the input–output table");
  const enc = encodeColumn(table.columns.get(industry)!, null);
  const labels: Level[] = [];
  for (let r = 0; r < table.nrows; r++) {
    const c = enc.codes[r]!;
    if (c < 0) throw new InputError("data", `${builder}: row ${r + 1} of the input–output table has no industry`);
    labels.push(enc.levels[c]!);
  }
  const keys = labels.map(levelKey);
  const buyers = [...table.columns.keys()].filter((name) => name !== industry);
  const n = keys.length;
  if (buyers.length !== n) {
    throw new InputError("data", `${builder}: the input–output matrix must be ${n}×${n} (one row and one column per industry), got ${n}×${buyers.length}`);
  }
  const absent = keys.filter((key) => !buyers.includes(key));
  if (absent.length > 0) {
    throw new InputError(
      "data",
      `${builder}: the input–output table's columns (${buyers.join(", ")}) must be the industries of its rows (${keys.join(", ")}); missing: ${absent.join(", ")}`,
    );
  }
  const flows = keys.map(() => new Float64Array(n));
  keys.forEach((key, j) => {
    const z = numericInput(table, key, builder, "the input–output table");
    for (let k = 0; k < n; k++) flows[k]![j] = z[k]!;
  });
  return { industries: labels, flows };
}

export interface LinkageOptions {
  /** Industry and year columns, in the density table and the panel (defaults "industry", "year"). */
  readonly industry?: string;
  readonly year?: string;
  /** The density table's robot density column R (default "robot_density"). */
  readonly density?: string;
  /** Names of the exposure columns (defaults "robot_for", "robot_back"). */
  readonly names?: { readonly forward?: string; readonly backward?: string };
}

/**
 * For_jt and Back_jt for each row of the industry-year density table (industry, year,
 * robot_density): that table's industry and year columns plus the two exposure columns.
 */
export function industryLinkages(density: DataInput, io: IoMatrix, options: LinkageOptions = {}): Frame {
  const builder = "industryLinkages";
  const industry = options.industry ?? "industry";
  const yearName = options.year ?? "year";
  const dname = options.density ?? "robot_density";
  const table = toFrame(density);
  const what = "the robot density table";
  requireColumns(table, [industry, yearName, dname], builder, what);
  const R = numericInput(table, dname, builder, what);
  const year = numericInput(table, yearName, builder, what);
  const ind = encodeColumn(table.columns.get(industry)!, null);
  const weights = linkageWeights(io, sortLevels(ind.levels), builder);
  const n = weights.n;
  const index = new Map(weights.industries.map((key, i) => [key, i]));
  const tableKeys = new Set(ind.levels.map(levelKey));
  const absent = weights.industries.filter((key) => !tableKeys.has(key));
  if (absent.length > 0) {
    throw new InputError("data", `${builder}: industr${absent.length === 1 ? "y" : "ies"} ${absent.join(", ")} of the input–output matrix ha${absent.length === 1 ? "s" : "ve"} no rows in ${what}`);
  }
  const rowIndustry = new Int32Array(table.nrows);
  for (let r = 0; r < table.nrows; r++) {
    const c = ind.codes[r]!;
    const i = c >= 0 ? index.get(levelKey(ind.levels[c]!)) : undefined;
    if (i === undefined) {
      throw new InputError("data", `${builder}: industry ${c >= 0 ? levelKey(ind.levels[c]!) : "(missing)"} of ${what} is not among the input–output matrix's industries (${weights.industries.join(", ")})`);
    }
    rowIndustry[r] = i;
  }
  // R by year: one vector of n densities per distinct year (NaN where the table has no row).
  const years = encodeColumn(table.columns.get(yearName)!, null);
  const Rby = new Float64Array(years.size * n).fill(NaN);
  for (let r = 0; r < table.nrows; r++) {
    const t = years.codes[r]!;
    if (t >= 0) Rby[t * n + rowIndustry[r]!] = R[r]!;
  }
  const forward = new Float64Array(table.nrows);
  const backward = new Float64Array(table.nrows);
  for (let r = 0; r < table.nrows; r++) {
    const t = years.codes[r]!;
    const j = rowIndustry[r]!;
    if (t < 0 || year[r] !== year[r]) {
      forward[r] = backward[r] = NaN;
      continue;
    }
    let f = 0, b = 0;
    for (let k = 0; k < n; k++) {
      const wf = weights.forward[j * n + k]!;
      const wb = weights.backward[j * n + k]!;
      const rk = Rby[t * n + k]!;
      if (wf > 0) f += wf * rk;
      if (wb > 0) b += wb * rk;
    }
    forward[r] = f;
    backward[r] = b;
  }
  const columns = new Map<string, Column>([
    [industry, table.columns.get(industry)!],
    [yearName, table.columns.get(yearName)!],
    [options.names?.forward ?? "robot_for", numericColumn(forward)],
    [options.names?.backward ?? "robot_back", numericColumn(backward)],
  ]);
  return { nrows: table.nrows, columns };
}

export interface LinkagesResult {
  /** The panel with the For and Back columns added. */
  readonly frame: Frame;
  /** The industry-year exposures (industry, year, robot_for, robot_back). */
  readonly industryYear: Frame;
  /** Panel rows whose industry-year is not in the density table (their exposures are missing). */
  readonly unmatched: number;
}

/** Adds each firm-year's industry For and Back exposures (module comment) to the panel. */
export function buildLinkages(panel: DataInput, density: DataInput, io: IoMatrix, options: LinkageOptions = {}): LinkagesResult {
  const builder = "buildLinkages";
  const industry = options.industry ?? "industry";
  const yearName = options.year ?? "year";
  const frame = toFrame(panel);
  requireColumns(frame, [industry, yearName], builder, "the firm panel");
  const table = industryLinkages(density, io, options);
  const fname = options.names?.forward ?? "robot_for";
  const bname = options.names?.backward ?? "robot_back";
  const cell = matchIndustryYear(frame, table, { industry, year: yearName }, builder);
  const F = (table.columns.get(fname) as { values: Float64Array }).values;
  const B = (table.columns.get(bname) as { values: Float64Array }).values;
  const forward = new Float64Array(frame.nrows);
  const backward = new Float64Array(frame.nrows);
  let unmatched = 0;
  for (let r = 0; r < frame.nrows; r++) {
    const c = cell[r]!;
    if (c < 0) {
      unmatched++;
      forward[r] = backward[r] = NaN;
    } else {
      forward[r] = F[c]!;
      backward[r] = B[c]!;
    }
  }
  return {
    frame: withColumns(frame, [[fname, numericColumn(forward)], [bname, numericColumn(backward)]]),
    industryYear: table,
    unmatched,
  };
}
