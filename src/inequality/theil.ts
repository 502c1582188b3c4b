/**
 * theil(): Theil T, Theil L and GE(α) of a value column by group, with the exact within/between
 * decomposition over another grouping and optional bootstrap standard errors.
 *
 * Data flow: encode the key columns (as fixed effects are encoded) → the cells, one per
 * observed combination of every grouping's keys → one kernel pass over the rows accumulates
 * each cell's moment sums (in row blocks, reduced in a fixed order) → every grouping's sums are
 * gathered from the cells → indices and decomposition from the sums.
 */
import { toFrame, type DataInput } from "../data/input.js";
import { selectColumns } from "../data/select.js";
import type { Column, Frame } from "../data/frame.js";
import { InputError } from "../core/errors.js";
import { withArena } from "../engine/shared.js";
import { checkThreads, defaultThreads } from "../engine/pool.js";
import { computeMoments, gatherMoments, N_NEG, N_ZERO, STRIDE } from "./moments.js";
import { indicesOf, usableMoments, type NonpositiveMode, type UsableMoments } from "./indices.js";
import { decompose } from "./decompose.js";
import { bootstrapErrors } from "./bootstrap.js";
import { cellsOf, groupBy, type Cells, type GroupKey, type Grouping } from "./grouping.js";
import {
  groupList,
  RESERVED_COLUMNS,
  TheilResult,
  type DecompositionGroup,
  type DecompositionPart,
  type TheilDecomposition,
  type TheilGroup,
} from "./result.js";

export interface DecomposeOption {
  /** The grouping the inequality is split over (e.g. "region"). */
  by: string | readonly string[];
  /** Also split within each of these super-groups (e.g. "year": the region split year by year). */
  each?: string | readonly string[];
}

export interface TheilOptions {
  /** The numeric column whose inequality is measured. */
  value: string;
  /** Grouping column(s): one set of indices per observed key (default: one group of all rows). */
  by?: string | readonly string[];
  /** A column of non-negative weights; rows with a missing or zero weight are dropped and counted. */
  weights?: string;
  /** Also GE(α) for this α (GE(1) is Theil T, GE(0) Theil L). */
  alpha?: number;
  /**
   * Values ≤ 0. "error" (default): any is an error naming the rows and groups (Theil L needs
   * positive values). "drop": such rows are dropped and counted per group. "keep-zeros": zeros
   * stay (T and GE(α > 0) take 0·ln 0 = 0; L and GE(α ≤ 0) are null where a group has a zero),
   * negative values are still an error.
   */
  nonpositive?: NonpositiveMode;
  /** Split total inequality (over all the rows used) into within- and between-group parts. */
  decompose?: string | readonly string[] | DecomposeOption;
  /** Bootstrap standard errors of each group's indices: B resamples of rows within groups. */
  bootstrap?: { B: number; seed?: number };
  /** Worker threads for the moment pass (default: the available cores); results do not depend on it. */
  threads?: number;
}

interface Request {
  value: string;
  by: string[];
  weights: string | null;
  alpha: number | null;
  mode: NonpositiveMode;
  decompose: string[] | null;
  each: string[] | null;
  bootstrap: { B: number; seed: number } | null;
}

const MODES: readonly NonpositiveMode[] = ["error", "drop", "keep-zeros"];

function names(v: string | readonly string[] | undefined, what: string): string[] {
  if (v === undefined) return [];
  const list = typeof v === "string" ? [v] : Array.isArray(v) ? [...v] : null;
  if (!list || list.some((s) => typeof s !== "string" || s === "")) {
    throw new InputError("option", `${what} must be a column name or a list of column names (got ${JSON.stringify(v)})`);
  }
  return list;
}

function parseOptions(o: TheilOptions): Request {
  if (typeof o !== "object" || o === null || typeof o.value !== "string" || o.value === "") {
    throw new InputError("option", 'theil needs the value column to measure, e.g. theil(data, { value: "dvar", by: ["industry", "year"] })');
  }
  if (o.alpha !== undefined && !(typeof o.alpha === "number" && Number.isFinite(o.alpha))) {
    throw new InputError("option", `alpha must be a finite number (got ${JSON.stringify(o.alpha)})`);
  }
  if (o.weights !== undefined && (typeof o.weights !== "string" || o.weights === "")) {
    throw new InputError("option", `weights must be a column name (got ${JSON.stringify(o.weights)})`);
  }
  const mode = o.nonpositive ?? "error";
  if (!MODES.includes(mode)) throw new InputError("option", `nonpositive must be "error", "drop" or "keep-zeros" (got ${JSON.stringify(o.nonpositive)})`);
  let decomposeBy: string[] | null = null;
  let each: string[] | null = null;
  if (o.decompose !== undefined) {
    const d = o.decompose;
    const isObject = typeof d === "object" && d !== null && !Array.isArray(d);
    decomposeBy = names(isObject ? (d as DecomposeOption).by : (d as string | string[]), "decompose");
    if (decomposeBy.length === 0) throw new InputError("option", 'decompose needs a grouping column, e.g. decompose: "region"');
    if (isObject && (d as DecomposeOption).each !== undefined) {
      each = names((d as DecomposeOption).each, "decompose.each");
      if (each.length === 0) each = null;
    }
  }
  let bootstrap: Request["bootstrap"] = null;
  if (o.bootstrap !== undefined) {
    const { B, seed = 1 } = o.bootstrap;
    if (!(Number.isInteger(B) && B >= 2)) throw new InputError("option", `bootstrap.B must be an integer of at least 2 (got ${JSON.stringify(B)})`);
    if (!Number.isFinite(seed)) throw new InputError("option", `bootstrap.seed must be a finite number (got ${JSON.stringify(seed)})`);
    bootstrap = { B, seed };
  }
  const req: Request = {
    value: o.value,
    by: names(o.by, "by"),
    weights: o.weights ?? null,
    alpha: o.alpha ?? null,
    mode,
    decompose: decomposeBy,
    each,
    bootstrap,
  };
  for (const c of [...req.by, ...(req.decompose ?? []), ...(req.each ?? [])]) {
    if ((RESERVED_COLUMNS as readonly string[]).includes(c)) {
      throw new InputError("option", `grouping column "${c}" has the name of an output column (${RESERVED_COLUMNS.join(", ")}); rename it first`);
    }
  }
  return req;
}

function numericColumn(frame: Frame, name: string, role: string): Float64Array {
  const col = frame.columns.get(name)! as Column;
  if (col.kind !== "numeric") {
    throw new InputError(
      "column",
      `${role} column "${name}" is not numeric (it holds text, ${col.levels.length} distinct values such as "${col.levels[0] ?? ""}"); ` +
        `inequality indices need a numeric column`,
    );
  }
  return col.values;
}

/**
 * Theil T, Theil L (and GE(α)) of `options.value` by `options.by`:
 * `await theil(panel, { value: "dvar", by: ["industry", "year"], nonpositive: "drop", decompose: "region" })`.
 */
export async function theil(data: DataInput, options: TheilOptions): Promise<TheilResult> {
  const req = parseOptions(options);
  checkThreads(options.threads);
  const frame = toFrame(data);
  const used = [req.value, ...req.by, ...(req.decompose ?? []), ...(req.each ?? []), ...(req.weights ? [req.weights] : [])];
  selectColumns(frame, [...new Set(used)], "the data");
  const values = numericColumn(frame, req.value, "value");
  const weights = req.weights ? numericColumn(frame, req.weights, "weights") : null;

  const byGroups = groupBy(frame, req.by);
  const decGroups = req.decompose ? groupBy(frame, req.decompose) : null;
  const eachGroups = req.each ? groupBy(frame, req.each) : null;
  const cells = cellsOf([byGroups, ...(decGroups ? [decGroups] : []), ...(eachGroups ? [eachGroups] : [])]);
  const sample = sampleCodes(req, frame.nrows, cells.codes, values, weights);
  // apache-arrow, for the result's toArrow, loads while the pool computes.
  const arrowWriter = import("../data/writers/arrow.js");

  return withArena(async (arena, kernels) => {
    const x = arena.putF64(values, "the value column");
    const w = weights ? arena.putF64(weights, "the weights") : 0;
    const codes = arena.putI32(sample.codes, "the group codes");
    const moments = await computeMoments(kernels, arena, { rows: frame.nrows, x, w, codes, groups: cells.size, alpha: req.alpha }, options.threads ?? defaultThreads());

    const byMoments = gatherMoments(moments, cells.groupOf[0], byGroups.size);
    checkNonpositive(req, byMoments, byGroups);
    const usable = byGroups.keys.map((_, g) => usableMoments(byMoments, g, req.mode, req.alpha));
    const nobs = usable.reduce((s, u) => s + u.n, 0);
    const droppedNonpositive = usable.reduce((s, u) => s + u.dropped, 0);
    if (nobs === 0) {
      throw new InputError(
        "data",
        `every row was dropped (${frame.nrows} rows: ${sample.missing} with a missing value or key, ${sample.weights} with a missing or zero weight, ` +
          `${droppedNonpositive} with a value ≤ 0); check the value column "${req.value}" and the grouping columns`,
      );
    }
    const se = req.bootstrap
      ? bootstrapErrors(
          kernels,
          arena,
          {
            rows: frame.nrows,
            x,
            weights,
            groupOfRow: rowGroups(sample.codes, cells.groupOf[0], values, req.mode === "keep-zeros"),
            groups: byGroups.size,
            alpha: req.alpha,
            mode: req.mode,
          },
          req.bootstrap.B,
          req.bootstrap.seed,
        )
      : null;
    const groups: TheilGroup[] = usable.map((u, g) => ({
      key: byGroups.keys[g],
      n: u.n,
      dropped: u.dropped,
      ...indicesOf(u, req.alpha),
      se: se ? se[g] : null,
    }));
    return new TheilResult({
      value: req.value,
      by: req.by,
      weights: req.weights,
      alpha: req.alpha,
      nonpositive: req.mode,
      groups,
      nobs,
      droppedNonpositive,
      droppedMissing: sample.missing,
      droppedWeights: sample.weights,
      decomposition: decGroups ? decomposition(req, moments, cells, decGroups, eachGroups) : null,
      bootstrap: req.bootstrap,
      arrowTable: (await arrowWriter).frameToArrow,
    });
  });
}

/**
 * The kernel's code per row: its cell, or −1 for a missing key, value or weight (counted).
 * Infinite values and negative weights are errors.
 */
function sampleCodes(
  req: Request,
  n: number,
  cellCodes: Int32Array,
  values: Float64Array,
  weights: Float64Array | null,
): { codes: Int32Array; missing: number; weights: number } {
  const codes = new Int32Array(n);
  let missing = 0;
  let zeroWeights = 0;
  let infinite = 0;
  let firstInfinite = -1;
  let badWeights = 0;
  let firstBadWeight = -1;
  for (let r = 0; r < n; r++) {
    let c = cellCodes[r];
    const v = values[r];
    if (c < 0 || v !== v) {
      missing++;
      c = -1;
    } else if (v === Infinity || v === -Infinity) {
      if (infinite++ === 0) firstInfinite = r;
    } else if (weights) {
      const wr = weights[r];
      if (wr !== wr || wr === 0) {
        zeroWeights++;
        c = -1;
      } else if (!(wr > 0 && wr < Infinity)) {
        if (badWeights++ === 0) firstBadWeight = r;
      }
    }
    codes[r] = c;
  }
  if (infinite > 0) {
    throw new InputError(
      "data",
      `value column "${req.value}" has ${infinite} infinite value(s) (first at row ${firstInfinite + 1}, ${values[firstInfinite]}); ` +
        `make them missing or finite`,
    );
  }
  if (badWeights > 0) {
    throw new InputError(
      "data",
      `weights column "${req.weights}" has ${badWeights} negative or infinite value(s) (first at row ${firstBadWeight + 1}, ` +
        `${weights![firstBadWeight]}); weights must be positive (rows with missing or zero weights are dropped and counted)`,
    );
  }
  return { codes, missing, weights: zeroWeights };
}

/** Under "error", any value ≤ 0 fails; under "keep-zeros", any negative value. Names rows and groups. */
function checkNonpositive(req: Request, m: Float64Array, groups: Grouping): void {
  if (req.mode === "drop") return;
  const zerosCount = req.mode === "error";
  const offending: { key: GroupKey; count: number }[] = [];
  let zeros = 0;
  let negatives = 0;
  for (let g = 0; g < groups.size; g++) {
    const z = zerosCount ? m[g * STRIDE + N_ZERO] : 0;
    const neg = m[g * STRIDE + N_NEG];
    zeros += z;
    negatives += neg;
    if (z + neg > 0) offending.push({ key: groups.keys[g], count: z + neg });
  }
  if (offending.length === 0) return;
  const where = `in ${offending.length} group(s): ${groupList(offending)}`;
  const fix = `drop them with nonpositive: "drop" (absorb theil --nonpositive drop), which counts them per group`;
  if (req.mode === "error") {
    const why = [zeros > 0 ? "Theil L needs positive values" : "", negatives > 0 ? "no index takes negative values" : ""].filter(Boolean);
    throw new InputError(
      "data",
      `value column "${req.value}" has ${zeros + negatives} non-positive value(s) (${zeros} zero, ${negatives} negative) ${where}; ` +
        `${why.join(" and ")}: ${fix}` +
        (negatives === 0 ? `, or keep the zeros for Theil T with nonpositive: "keep-zeros" (--nonpositive keep-zeros)` : ""),
    );
  }
  throw new InputError("data", `value column "${req.value}" has ${negatives} negative value(s) ${where}; no inequality index takes negative values: ${fix}`);
}

/** Each row's by-group among the rows the indices use (for the bootstrap), −1 for the others. */
function rowGroups(codes: Int32Array, groupOfCell: Int32Array, values: Float64Array, keepZeros: boolean): Int32Array {
  return Int32Array.from(codes, (c, r) => (c >= 0 && (values[r] > 0 || (keepZeros && values[r] === 0)) ? groupOfCell[c] : -1));
}

function decomposition(req: Request, moments: Float64Array, cells: Cells, dec: Grouping, each: Grouping | null): TheilDecomposition {
  const { alpha, mode } = req;
  const total = usableMoments(gatherMoments(moments, new Int32Array(cells.size), 1), 0, mode, alpha);
  const decMoments = gatherMoments(moments, cells.groupOf[1], dec.size);
  const parts = dec.keys.map((_, g) => usableMoments(decMoments, g, mode, alpha));
  return {
    by: dec.columns,
    n: total.n,
    ...decompose(total, parts, alpha),
    groups: parts.map((u, g) => describe(dec.keys[g], u, alpha)),
    each: each ? { by: each.columns, groups: splitEach(req, moments, cells, dec, each) } : null,
  };
}

function describe(key: GroupKey, u: UsableMoments, alpha: number | null): DecompositionGroup {
  return { key, n: u.n, ...indicesOf(u, alpha) };
}

/** The split over `dec` within each super-group of `each`, over the (super-group, group) pairs present. */
function splitEach(req: Request, moments: Float64Array, cells: Cells, dec: Grouping, each: Grouping): DecompositionPart[] {
  const { alpha, mode } = req;
  const decOf = cells.groupOf[1];
  const eachOf = cells.groupOf[2];
  const pairKeys = [...new Set(Array.from(decOf, (d, c) => eachOf[c] * dec.size + d))].sort((a, b) => a - b);
  const pairIndex = new Map(pairKeys.map((k, i) => [k, i]));
  const pairOfCell = Int32Array.from(decOf, (d, c) => pairIndex.get(eachOf[c] * dec.size + d)!);
  const pairMoments = gatherMoments(moments, pairOfCell, pairKeys.length);
  const superMoments = gatherMoments(moments, eachOf, each.size);
  const out: DecompositionPart[] = [];
  let p = 0;
  for (let e = 0; e < each.size; e++) {
    const total = usableMoments(superMoments, e, mode, alpha);
    const parts: UsableMoments[] = [];
    const groups: DecompositionGroup[] = [];
    for (; p < pairKeys.length && Math.floor(pairKeys[p] / dec.size) === e; p++) {
      const u = usableMoments(pairMoments, p, mode, alpha);
      parts.push(u);
      groups.push(describe(dec.keys[pairKeys[p] % dec.size], u, alpha));
    }
    out.push({ key: each.keys[e], n: total.n, ...decompose(total, parts, alpha), groups });
  }
  return out;
}
