import type { Column, Frame, NumericColumn } from "../data/frame.js";
import { codeIntegerColumns, compact, encodeInteraction, type EncodedEffect, type Encoding } from "../data/encode.js";
import { InputError, InternalError } from "../core/errors.js";
import { withArena, withArenaSync } from "../engine/shared.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { runKernelLanes } from "../engine/kernel-lanes.js";
import type { KernelCall } from "../engine/kernel-task.js";
import { placeF64, placeI32, residentI32Of } from "../engine/resident.js";
import { separatedByFixedEffects, type OutcomeKind } from "./glm-separation.js";

/**
 * The estimation sample: which rows a fit uses, why the others were dropped, and the fixed
 * effects and clusters encoded over the kept rows. Rows go, in this order and counted by
 * reason: outside the subset, a missing value in any used column, an infinite value in a
 * numeric one (as fixest drops NA and Inf alike), a missing or zero weight, then singletons
 * (iteratively, since dropping one can make another).
 */
export interface DroppedRows {
  subset: number;
  missing: number;
  /** Rows with ±Infinity in the dependent variable, a regressor or an instrument (missing ones counted first). */
  nonFinite: number;
  weights: number;
  singletons: number;
  /** GLMs only: rows in fixed-effect groups with a perfectly predicted outcome, then rows separated by the regressors. */
  separation?: number;
}

/** DroppedRows as the JSON output names them. */
export function droppedRowsJson(d: DroppedRows): Record<string, number> {
  return { subset: d.subset, missing: d.missing, non_finite: d.nonFinite, weights: d.weights, singletons: d.singletons };
}

export type { EncodedEffect };

interface EncodedFixedEffect extends EncodedEffect {
  readonly variables: readonly string[];
}

export interface SampleRequest {
  readonly frame: Frame;
  /** Columns that must be numeric (dependent variable, regressors, instruments). */
  readonly numeric: readonly string[];
  /** Columns used as categories (factor terms): any type, must not be missing. */
  readonly categorical: readonly string[];
  /** Fixed effects, each a list of columns interacted with ^. */
  readonly fixedEffects: readonly { readonly name: string; readonly variables: readonly string[] }[];
  /** Cluster (or panel) columns: any type, must not be missing. */
  readonly clusters: readonly string[];
  readonly weights: string | null;
  /** 1 = row in the user's subset. */
  readonly subset: Uint8Array | null;
  readonly dropSingletons: boolean;
  /**
   * No later fit reads this frame (it is consumed): id columns are coded over the sample's rows
   * directly, not through whole-column encodings kept for the next fit (encodeColumn's `reuse`),
   * and the rows and codes are resident, read in place by the fit's kernels.
   */
  readonly singleUse?: boolean;
  /** Threads for the per-row passes (1, the default: all on the calling thread). */
  readonly threads?: number;
  /** GLMs: remove rows separated by the fixed effects (glm-separation.ts), counted in dropped.separation. */
  readonly separation?: {
    readonly outcome: string;
    readonly kind: OutcomeKind;
    /** Frame rows found separated by the regressors (glm-separation.ts), removed first. */
    readonly rows?: Int32Array;
  };
}

export interface Sample {
  /** Indices into the frame of the rows kept, ascending. */
  readonly rows: Int32Array;
  readonly dropped: DroppedRows;
  readonly fixedEffects: readonly EncodedEffect[];
  readonly clusters: readonly EncodedEffect[];
  readonly weights: Float64Array | null;
}

/**
 * What the screen found in a column, kept for every later fit on the same data (as the
 * whole-column encodings are): the column is not read again. A column with nothing to drop has
 * no `marked` rows; one with missing (or infinite) values keeps the rows it marks when a later
 * fit may read it (the frame is not single-use): a few bytes per marked row, not the column.
 */
interface Screened {
  /** ±Infinity was looked for (a numeric use); otherwise only missing values (an id, whose infinities are levels). */
  readonly finite: boolean;
  /** The largest finite |x| (numeric columns). */
  readonly largest: number;
  readonly marked: MarkedRows | null;
}
interface MarkedRows {
  readonly rows: Int32Array;
  /** The mark of each row (assembly/sample.ts: MISSING, INFINITE). */
  readonly marks: Uint8Array;
}
const screened = new WeakMap<Column, Screened>();

/**
 * Counts the rows outside the subset, then drops the rows with a missing value in a used column,
 * then those with ±Infinity in a numeric one (each row counted once, under the first reason),
 * and checks the numeric columns for overflow over the rows left. The passes run in wasm over
 * the columns (copies in a scratch arena, unless resident), but not over a column screened
 * before (its marked rows, if any, are marked from the list kept): a mark pass per column, split
 * by rows into two lanes (this thread and a worker: each marks its own rows, so no byte is
 * written by both), then one drop pass. `remember`: keep the marked rows of the columns that
 * have some, for later fits.
 */
async function screenRows(
  column: (name: string) => Column,
  used: Set<string>,
  numeric: Set<string>,
  keep: Uint8Array,
  dropped: DroppedRows,
  threads: number,
  remember: boolean,
): Promise<void> {
  await withArena(async (arena, k) => {
    const n = keep.length;
    const flags = arena.putU8(keep, "row flags");
    dropped.subset = n - k.count_kept(n, flags);
    const bad = arena.alloc(n, "row marks");
    arena.u8(bad, n).fill(0);
    const known = (name: string): Screened | undefined => {
      const found = screened.get(column(name));
      return found && (found.finite || !numeric.has(name)) ? found : undefined;
    };
    for (const name of used) {
      const marked = known(name)?.marked;
      if (marked) k.mark_rows(marked.rows.length, arena.putI32(marked.rows, "marked rows"), arena.putU8(marked.marks, "marks"), numeric.has(name) ? 1 : 0, bad);
    }
    // Numeric columns are checked for infinities too, and give their largest |x| for the overflow check.
    const toScan = [...used].flatMap((name): { col: Column; finite: boolean; ptr: number; out: number }[] => {
      if (known(name)) return [];
      const col = column(name);
      const finite = numeric.has(name);
      // A numeric column's two lanes each write its largest |x| and how many rows they marked at `out`.
      if (col.kind === "numeric") return [{ col, finite, ptr: placeF64(arena, col.values, `column "${name}"`), out: arena.allocF64(4, "column screen") }];
      return [{ col, finite, ptr: arena.putI32(col.codes, `column "${name}"`), out: 0 }];
    });
    const lanes = threads > 1 ? 2 : 1;
    const calls = Array.from({ length: lanes }, (_, lane): KernelCall[] => {
      const lo = Math.floor((n * lane) / lanes);
      const rows = Math.floor((n * (lane + 1)) / lanes) - lo;
      return toScan.map(({ col, finite, ptr, out }): KernelCall =>
        col.kind === "numeric" ? { name: "mark_unusable_f64", args: [rows, ptr + lo * 8, finite ? 1 : 0, bad + lo, out + lane * 16] } : { name: "mark_missing_i32", args: [rows, ptr + lo * 4, bad + lo] },
      );
    });
    const results = await runKernelLanes(k, calls, threads, "screening the columns for missing values");
    // The largest |x| of the numeric columns scanned that had rows to drop and are not remembered.
    const largestFound = new Map<Column, number>();
    toScan.forEach(({ col, finite, ptr, out }, c) => {
      const found = arena.f64(out, 4);
      const lane = Array.from({ length: lanes }, (_, l) => (col.kind === "numeric" ? { largest: found[2 * l], marked: found[2 * l + 1] } : { largest: 0, marked: results[l][c] }));
      const marked = lane.reduce((sum, l) => sum + l.marked, 0);
      const largest = Math.max(...lane.map((l) => l.largest));
      if (marked === 0) screened.set(col, { finite, largest, marked: null });
      else if (remember) screened.set(col, { finite, largest, marked: markedRows(arena, k, col, ptr, finite, marked) });
      else if (finite) largestFound.set(col, largest);
    });
    const counts = arena.allocI32(2, "counts");
    k.drop_unusable(n, flags, bad, counts);
    [dropped.missing, dropped.nonFinite] = arena.i32(counts, 2);
    const kept = k.count_kept(n, flags);
    for (const name of numeric) {
      const col = column(name) as NumericColumn;
      const largest = known(name)?.largest ?? largestFound.get(col)!;
      // The largest over all rows cannot overflow, so neither can the kept rows': no second pass.
      if (largest > overflowBound(kept)) checkOverflow(name, col.values, kept, k.argmax_abs_kept(n, placeF64(arena, col.values, `column "${name}"`), flags));
    }
    keep.set(arena.u8(flags, n));
  });
}

/** The `count` rows the screen marked in column `col` (placed at `ptr`) and their marks, listed (assembly: unusable_rows_f64). */
function markedRows(arena: Arena, k: Kernels, col: Column, ptr: number, finite: boolean, count: number): MarkedRows {
  const n = col.kind === "numeric" ? col.values.length : col.codes.length;
  const rows = arena.allocI32(count, "marked rows");
  const marks = arena.alloc(count, "marks");
  const listed = col.kind === "numeric" ? k.unusable_rows_f64(n, ptr, finite ? 1 : 0, rows, marks) : k.missing_rows_i32(n, ptr, rows, marks);
  if (listed !== count) throw new InternalError(`the screen marked ${count} rows of a column and then listed ${listed}`);
  return { rows: arena.i32(rows, count).slice(), marks: arena.u8(marks, count).slice() };
}

/**
 * Least squares sums squares and cross-products of every numeric column over the rows: a value
 * whose square times the row count passes float64's range (about 1.8e308) would turn them into
 * Infinity, and the column would look collinear or every estimate null. `at` is the kept row
 * with the largest absolute value (-1 when none is above 0).
 */
function checkOverflow(name: string, v: Float64Array, kept: number, at: number): void {
  const max = at < 0 ? 0 : Math.abs(v[at]);
  if (kept > 0 && max > overflowBound(kept)) {
    const power = Math.floor(Math.log10(max));
    throw new InputError(
      "data",
      `column "${name}" holds values too large to square and sum over ${kept} rows (up to ${v[at]} at row ${at + 1}): ` +
        `sums of squares would overflow float64; rescale it (divide it by 1e${power} in the data; its coefficient scales by the same factor)`,
    );
  }
}

/** The largest |x| whose square, summed over `kept` rows, stays finite. */
function overflowBound(kept: number): number {
  return Math.sqrt(Number.MAX_VALUE / kept);
}

export async function buildSample(req: SampleRequest): Promise<Sample> {
  const { frame } = req;
  const n = frame.nrows;
  const column = (name: string): Column => frame.columns.get(name)!;
  for (const name of req.numeric) {
    const col = column(name);
    if (col.kind !== "numeric") {
      throw new InputError(
        "column",
        `column "${name}" is not numeric (it holds text, ${col.levels.length} distinct values such as "${col.levels[0] ?? ""}"); ` +
          `a regressor must be numeric: use i(${name}) for its categories, or put it after | as a fixed effect`,
      );
    }
  }
  const keep = req.subset ? Uint8Array.from(req.subset, (b) => (b ? 1 : 0)) : new Uint8Array(n).fill(1);
  const dropped: DroppedRows = { subset: 0, missing: 0, nonFinite: 0, weights: 0, singletons: 0 };
  const mustExist = new Set([
    ...req.numeric,
    ...req.categorical,
    ...req.fixedEffects.flatMap((fe) => fe.variables),
    ...req.clusters.flatMap(clusterVariables),
  ]);
  await screenRows(column, mustExist, new Set(req.numeric), keep, dropped, req.threads ?? 1, req.singleUse !== true);

  let weights: Float64Array | null = null;
  if (req.weights) {
    const col = column(req.weights);
    if (col.kind !== "numeric") throw new InputError("column", `weights column "${req.weights}" is not numeric`);
    let negative = 0;
    let firstNegative = -1;
    for (let r = 0; r < n; r++) {
      if (!keep[r]) continue;
      const w = col.values[r];
      if (w < 0) {
        negative++;
        if (firstNegative < 0) firstNegative = r;
      } else if (!(w > 0) || !Number.isFinite(w)) {
        keep[r] = 0;
        dropped.weights++;
      }
    }
    if (negative > 0) {
      throw new InputError(
        "data",
        `weights column "${req.weights}" has ${negative} negative value(s) (first at row ${firstNegative + 1}); ` +
          `weights must be positive (rows with missing or zero weights are dropped and counted)`,
      );
    }
  }

  if (req.separation) {
    dropped.separation = 0;
    for (const r of req.separation.rows ?? []) {
      dropped.separation += keep[r];
      keep[r] = 0;
    }
  }
  let rows = indicesOf(keep, req.singleUse === true);
  // When rows may go next (singletons, separation), the codes keep the whole column's numbering
  // and are renumbered once, after; otherwise they are numbered over these rows now. (An
  // interaction's codes are numbered over the rows either way.)
  const renumberLater = req.separation !== undefined || req.dropSingletons;
  // A column in several fixed effects (year in year and industry^year) is coded once at these rows.
  const coded = new Map<Column, Encoding | null>();
  if (req.singleUse) {
    const ids = [...new Set(req.fixedEffects.flatMap((fe) => fe.variables))].map(column).filter((c): c is NumericColumn => c.kind === "numeric");
    await codeIntegerColumns(ids, rows, coded, req.threads ?? 1);
  }
  let fes = req.fixedEffects.map((fe) => ({
    name: fe.name,
    variables: fe.variables,
    ...encodeInteraction(fe.variables.map(column), rows, { dense: !renumberLater, reuse: !req.singleUse, coded }),
  }));
  if (req.separation) {
    if (fes.length > 0) ({ rows, fes } = dropSeparated(fes, rows, column(req.separation.outcome), req.separation.kind, req.dropSingletons, dropped));
  } else if (req.dropSingletons && fes.length > 0) {
    const result = dropSingletons(fes);
    const before = rows.length;
    rows = selectRows(rows, result.keep);
    dropped.singletons = before - rows.length;
    fes = result.fes;
  }
  if (rows.length === 0) {
    throw new InputError(
      "data",
      `every row was dropped (${n} rows: ${dropped.subset} outside the subset, ${dropped.missing} with a missing value, ` +
        `${dropped.nonFinite} with an infinite value, ${dropped.weights} with a missing or zero weight, ${dropped.singletons} singletons` +
        (dropped.separation === undefined
          ? "); check the subset and the columns' missing values"
          : `, ${dropped.separation} in fixed-effect groups whose outcome is perfectly predicted (separation)); ` +
            `every fixed-effect group has an outcome that is all zero${req.separation!.kind === "binary" ? " or all one" : ""}: check the outcome and the fixed effects`),
    );
  }
  if (req.weights) {
    const w = column(req.weights) as Extract<Column, { kind: "numeric" }>;
    weights = Float64Array.from(rows, (r) => w.values[r]);
  }
  // A cluster variable that is also a fixed effect (firm effects, clustered by firm) shares its codes.
  const clusters = req.clusters.map((name) => {
    const same = fes.find((fe) => fe.name === name);
    return same ? { ...same, name } : { name, ...encodeInteraction(clusterVariables(name).map(column), rows, { reuse: !req.singleUse }) };
  });
  return { rows, dropped, fixedEffects: fes, clusters, weights };
}

/** "exporter^importer" clusters by the combinations of the two columns, as in fixest. */
export function clusterVariables(name: string): string[] {
  return name.split("^");
}

/** rows[i] for the flagged i, in order. */
function selectRows(rows: Int32Array, keep: Uint8Array): Int32Array {
  return withArenaSync((arena, k) => {
    const n = keep.length;
    const picked = arena.allocI32(n, "rows");
    const m = k.select_i32(n, placeI32(arena, rows, "rows"), arena.putU8(keep, "row flags"), picked);
    return arena.i32(picked, m).slice();
  });
}

/** The indices of the flagged rows, ascending; resident (for a single-use sample, see SampleRequest) or not. */
function indicesOf(keep: Uint8Array, resident: boolean): Int32Array {
  return withArenaSync((arena, k) => {
    const n = keep.length;
    const flags = arena.putU8(keep, "row flags");
    // Resident: written where they stay, the room past the last given back.
    if (resident) return residentI32Of(n, "rows", (ptr) => k.flagged_rows(n, flags, ptr))!;
    const rows = arena.allocI32(n, "rows");
    return arena.i32(rows, k.flagged_rows(n, flags, rows)).slice();
  });
}

/**
 * Removes rows alone in their level of any fixed effect, until none is left (in wasm:
 * assembly/sample.ts drop_singletons), and renumbers the effects over the rows kept.
 */
function dropSingletons(fes: EncodedFixedEffect[]): { keep: Uint8Array; fes: EncodedFixedEffect[] } {
  const n = fes[0].codes.length;
  const keep = withArenaSync((arena, k) => {
    const codes = fes.map((fe) => placeI32(arena, fe.codes, `codes of ${fe.name}`));
    const counts = fes.map((fe) => arena.allocI32(fe.size, `level counts of ${fe.name}`));
    const flags = arena.alloc(n, "row flags");
    k.drop_singletons(n, fes.length, arena.putU32(codes), arena.putU32(counts), arena.putI32(fes.map((fe) => fe.size)), flags);
    return arena.u8(flags, n).slice();
  });
  return { keep, fes: fes.map((fe) => ({ name: fe.name, variables: fe.variables, ...compact(fe, keep) })) };
}

/**
 * Separated rows and (when asked) singletons, alternately until neither removes a row: dropping
 * singletons can leave a group all zero, and dropping a separated group can make singletons.
 */
function dropSeparated(
  fes: EncodedFixedEffect[],
  rows: Int32Array,
  outcome: Column,
  kind: OutcomeKind,
  singletons: boolean,
  dropped: DroppedRows,
): { rows: Int32Array; fes: EncodedFixedEffect[] } {
  const values = (outcome as Extract<Column, { kind: "numeric" }>).values;
  fes = fes.map((fe) => ({ name: fe.name, variables: fe.variables, ...compact(fe, null) }));
  for (;;) {
    const y = new Float64Array(rows.length);
    for (let i = 0; i < rows.length; i++) y[i] = values[rows[i]];
    const keep = separatedByFixedEffects(fes, y, kind);
    if (keep) {
      const before = rows.length;
      rows = selectRows(rows, keep);
      dropped.separation! += before - rows.length;
      fes = fes.map((fe) => ({ name: fe.name, variables: fe.variables, ...compact(fe, keep) }));
    }
    if (!singletons) break;
    const before = rows.length;
    const result = dropSingletons(fes);
    rows = selectRows(rows, result.keep);
    fes = result.fes;
    dropped.singletons += before - rows.length;
    if (rows.length === before) break;
  }
  return { rows, fes };
}
