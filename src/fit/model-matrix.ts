import type { Frame } from "../data/frame.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { placeI32, releaseTableFrom, residentAddress, residentRun, tableColumns } from "../engine/resident.js";
import { runKernelLanes } from "../engine/kernel-lanes.js";
import { withArena } from "../engine/shared.js";
import type { KernelCall } from "../engine/kernel-task.js";
import { markConsumed } from "../data/consumed.js";
import { designColumns, plainColumn, type DesignColumn } from "./design.js";
import { EXTRA_COLUMNS } from "../data/size-check.js";
import type { ModelSpec, Term } from "../formula/parse.js";

/**
 * The columns of one fit copied once into the shared arena as one contiguous block (column
 * j at block + j·n·8), in the order the estimators need them: the dependent variable, the
 * regressors, then any extra numeric columns (endogenous variables, instruments). A group of
 * models in multiple estimation builds one block with all its dependent variables first and
 * each distinct term once. Raw spreads Σw(x − x̄)² are kept to tell absorbed columns after
 * demeaning.
 */
export interface ModelMatrix {
  readonly n: number;
  readonly block: number;
  /** Names of columns 0..width-1. */
  readonly names: readonly string[];
  /** Row weights pointer, or 0. */
  readonly weights: number;
  /** Σ w (x − x̄_w)² of each column before demeaning. */
  readonly rawSpread: readonly number[];
  /**
   * Power-of-two factors the regressors (the columns after the dependent variables, index 0 for
   * the first) were multiplied by, when some were rescaled (see rescaleTiny); absent when none
   * was. The coefficients of the scaled columns are divided back by them.
   */
  readonly regressorScales?: readonly number[];
}

/**
 * Scratch for copies of ordinary arrays held at once while the model matrix's lanes gather them:
 * a 1M-row model of seven columns, and at most this much more memory for larger ones.
 */
const COPY_AHEAD_BYTES = 64 * 2 ** 20;

/** Regressors whose largest value is below this are rescaled: their squares would underflow or vanish against any tolerance. */
const TINY = 2 ** -60;

export function columnPtr(m: ModelMatrix, j: number): number {
  return m.block + j * m.n * 8;
}

/** The columns of a model over the sample rows, in the order of ModelMatrix. */
export interface ColumnRequest {
  readonly frame: Frame;
  readonly rows: Int32Array;
  /**
   * The leading numeric columns: the dependent variable, or several (the dependent variables of
   * a group of models in multiple estimation; the outcome and the mediator of a refit).
   */
  readonly depvar: string | readonly string[];
  readonly intercept: boolean;
  /** The regressors' terms, each once (a group of models passes the union of theirs). */
  readonly terms: readonly Term[];
  /** Plain numeric columns appended after the regressors. */
  readonly extra: readonly string[];
}

export interface ModelMatrixRequest extends ColumnRequest {
  readonly weights: Float64Array | null;
  /** The weights already placed in the arena by the caller (their pointer, 0 for none): not placed again. */
  readonly placedWeights?: number;
  /**
   * Multiply each regressor whose values are all tiny (below 2^-60 in absolute value) by a power
   * of two that brings its largest to [1, 2): exact in floating point, so collinearity checks,
   * demeaning and the solve see it at the scale of ordinary data (x·1e-200 is then estimated,
   * not dropped as collinear). The caller undoes it on the coefficients.
   */
  readonly rescaleTiny?: boolean;
  /**
   * The frame's columns may be overwritten (FeolsOptions.consumeFrame): when every column is a
   * plain one and they lie in order in one resident table (as readFrame's CSV and Parquet reads
   * leave them), the block is compacted where they are instead of beside them, every column of
   * the table is marked consumed, and the table's room past the block is given to the heap. So
   * the caller builds the sample first and reads no column of the frame afterwards.
   */
  readonly consumeFrame?: boolean;
  /** Threads for the per-column passes (1, the default: all on the calling thread). */
  readonly threads?: number;
}

/** Where the request's columns are, by position: what picking one model's columns out of a group's needs. */
export interface ColumnLayout {
  /** The leading columns (dependent variables) are 0..leading-1. */
  readonly leading: number;
  /** Column of the intercept, or -1. */
  readonly intercept: number;
  /** The columns each term made, per term of the request. */
  readonly terms: readonly (readonly number[])[];
}

/** A model matrix as built, with the names of its regressors (the intercept and the terms' columns) and its layout. */
export interface BuiltModelMatrix {
  readonly matrix: ModelMatrix;
  readonly regressors: readonly string[];
  readonly layout: ColumnLayout;
  /** The dependent variables that take one value over the rows (compared exactly, before demeaning). */
  readonly constantDepvars: ReadonlySet<string>;
}

/** The columns a request makes, each with how its values are written, and their layout. */
function layColumns(req: ColumnRequest): { columns: DesignColumn[]; regressors: string[]; layout: ColumnLayout } {
  const { frame, rows } = req;
  const depvars = typeof req.depvar === "string" ? [req.depvar] : req.depvar;
  const columns = depvars.map((name) => plainColumn(frame, name, rows));
  const intercept = req.intercept ? columns.push({ name: "(Intercept)", fill: (o) => o.fill(1) }) - 1 : -1;
  const terms = req.terms.map((t) => {
    const start = columns.length;
    columns.push(...designColumns(frame, [t], rows));
    return Array.from({ length: columns.length - start }, (_, c) => start + c);
  });
  const regressors = columns.slice(depvars.length).map((c) => c.name);
  columns.push(...req.extra.map((name) => plainColumn(frame, name, rows)));
  return { columns, regressors, layout: { leading: depvars.length, intercept, terms } };
}

/**
 * The block (see ModelMatrix) of a request in the arena; plain columns gathered in wasm, the
 * others written in place. Then one pass per column for its sums (and, for a column read where it
 * lives, its gather): in two lanes, this thread and a worker, each with its own columns.
 */
export async function buildModelMatrix(k: Kernels, arena: Arena, req: ModelMatrixRequest): Promise<BuiltModelMatrix> {
  const n = req.rows.length;
  const { columns, regressors, layout } = layColumns(req);
  const names = columns.map((c) => c.name);
  const sources = columns.map((c) => c.source);
  const run = req.consumeFrame && sources.every((s) => s !== undefined) ? residentRun(sources as Float64Array[]) : undefined;
  // The block (unless it is made in the frame's table), then weights, residuals, the fixed effects' codes and scratch (EXTRA_COLUMNS).
  arena.ensureTable(n, (run ? 0 : names.length) + EXTRA_COLUMNS);
  const block = run ? run.ptr : arena.allocF64(names.length * n, `${names.length} columns of ${n} rows`);
  const weights = req.placedWeights ?? (req.weights ? arena.putF64(req.weights, "weights") : 0);
  const statsAt = arena.allocF64(3 * names.length, "column sums");
  // Kept to the end of the fit: the plan being built meanwhile (startAbsorption) allocates in this arena while the lanes run, so nothing here is given back after the await.
  const at = placeI32(arena, req.rows, "rows");
  // Ordinary arrays (outside the shared memory) are copied into a scratch arena given back once
  // the lanes are done, up to COPY_AHEAD_BYTES, so their gathers run in the lanes too; past it,
  // each is copied and gathered here, and its copy given back at once.
  await withArena(async (scratch) => {
    let room = COPY_AHEAD_BYTES;
    // Per column, the calls of its lane: its gather and sums in one pass (gather_stats), or its sums.
    const passes = columns.map((c, j): KernelCall[] => {
      const out = block + j * n * 8;
      const sums = statsAt + j * 24;
      const gathered = (src: number): KernelCall => ({ name: "gather_stats", args: [n, src, at, out, weights, sums] });
      if (run) {
        // In place, so here and in order: column j moves from j·stride to j·n, and row rows[i] ≥ i
        // to i, so every value is read before anything is written over it (the rows ascend and n ≤ stride).
        k.gather_stats(n, run.ptr + j * run.stride * 8, at, out, weights, sums);
        return [];
      }
      if (!c.source) {
        c.fill(arena.f64(out, n));
        return [{ name: "column_stats", args: [n, out, weights, sums] }];
      }
      const resident = residentAddress(c.source);
      if (resident !== undefined) return [gathered(resident)];
      if (c.source.byteLength <= room) {
        room -= c.source.byteLength;
        return [gathered(scratch.putF64(c.source, "a column"))];
      }
      const copy = scratch.mark();
      k.gather_stats(n, scratch.putF64(c.source, "a column"), at, out, weights, sums);
      scratch.release(copy);
      return [];
    });
    if (run) {
      // The sample is built (its encodings and weights copied out), so no column of the table is
      // read again: all are consumed, and the room past the block goes back for the fit's arena.
      markConsumed(tableColumns(run));
      releaseTableFrom(run, block + names.length * n * 8);
    }
    const lanes = [0, 1].map((lane) => passes.filter((_, j) => j % 2 === lane).flat());
    await runKernelLanes(k, lanes, req.threads ?? 1, "summing the model matrix's columns");
  });
  const sums = arena.f64(statsAt, 3 * names.length);
  const stats = names.map((_, j): ColumnStats => ({ largest: sums[3 * j], sum: sums[3 * j + 1], squares: sums[3 * j + 2] }));
  const regressorScales = req.rescaleTiny ? rescaleTinyColumns(k, arena, n, block, layout.leading, stats, weights) : undefined;
  const sw = weights ? k.sum(n, weights, 0) : n;
  const rawSpread = stats.map(({ sum, squares }) => centredSpread(sum, squares, sw));
  const constantDepvars = new Set(names.slice(0, layout.leading).filter((_, j) => isConstant(arena.f64(block + j * n * 8, n))));
  return { matrix: { n, block, names, weights, rawSpread, ...(regressorScales ? { regressorScales } : {}) }, regressors, layout, constantDepvars };
}

/** Whether every value equals the first (exactly: a computed spread would be rounding noise). */
function isConstant(v: Float64Array): boolean {
  for (let i = 1; i < v.length; i++) if (v[i] !== v[0]) return false;
  return true;
}

/** What one pass over a column gives (assembly column_stats): max |x|, and Σ w x and Σ w x² as sum and dot give them. */
interface ColumnStats {
  readonly largest: number;
  readonly sum: number;
  readonly squares: number;
}

function columnStatsAt(k: Kernels, arena: Arena, n: number, x: number, weights: number): ColumnStats {
  const mark = arena.mark();
  const out = arena.allocF64(3);
  k.column_stats(n, x, weights, out);
  const [largest, sum, squares] = arena.f64(out, 3);
  arena.release(mark);
  return { largest, sum, squares };
}

/** The same columns as JavaScript arrays (the refits of the resampling procedures keep them outside the arena). */
export function modelColumnArrays(req: ColumnRequest): { columns: Float64Array[]; regressors: string[]; layout: ColumnLayout } {
  const n = req.rows.length;
  const { columns, regressors, layout } = layColumns(req);
  return {
    columns: columns.map((c) => {
      const out = new Float64Array(n);
      c.fill(out);
      return out;
    }),
    regressors,
    layout,
  };
}

/**
 * Columns `cols` of a built block (the first a dependent variable, then regressors) copied into a
 * block of their own: one model of a group, solved without touching the columns the others read.
 */
export function copyColumns(arena: Arena, built: BuiltModelMatrix, cols: readonly number[]): ModelMatrix {
  const m = built.matrix;
  const n = m.n;
  const block = arena.allocF64(cols.length * n, `${cols.length} columns of ${n} rows`);
  cols.forEach((c, i) => arena.f64(block + i * n * 8, n).set(arena.f64(columnPtr(m, c), n)));
  const scaleOf = (c: number) => m.regressorScales?.[c - built.layout.leading] ?? 1;
  const scales = cols.slice(1).map(scaleOf);
  return {
    n,
    block,
    names: cols.map((c) => m.names[c]),
    weights: m.weights,
    rawSpread: cols.map((c) => m.rawSpread[c]),
    ...(scales.some((s) => s !== 1) ? { regressorScales: scales } : {}),
  };
}

/** Σ w (x − x̄_w)²: the raw spread a demeaned column is compared with. */
export function centredSquares(k: Kernels, n: number, x: number, w: number, sw: number): number {
  return centredSpread(k.sum(n, x, w), k.dot(n, x, x, w), sw);
}

/** Σ w (x − x̄_w)² from Σ w x, Σ w x² and Σ w. */
function centredSpread(sum: number, squares: number, sw: number): number {
  const mean = sum / sw;
  return squares - sw * mean * mean;
}

/**
 * Scales tiny regressors in place (see rescaleTiny), updating their `stats` to the scaled values;
 * returns each regressor's factor, or undefined when all are 1.
 */
function rescaleTinyColumns(k: Kernels, arena: Arena, n: number, block: number, leading: number, stats: ColumnStats[], weights: number): number[] | undefined {
  const scales = stats.slice(leading).map(({ largest }, c) => {
    if (!(largest > 0 && largest < TINY)) return 1;
    // Capped so the factor itself stays finite for subnormal columns.
    const scale = 2 ** Math.min(1000, -Math.floor(Math.log2(largest)));
    const ptr = block + (leading + c) * n * 8;
    const col = arena.f64(ptr, n);
    for (let i = 0; i < n; i++) col[i] *= scale;
    stats[leading + c] = columnStatsAt(k, arena, n, ptr, weights);
    return scale;
  });
  return scales.some((s) => s !== 1) ? scales : undefined;
}

/** Columns of the model matrix a formula makes, at least: an i() factor counts as one though it makes a column per level. */
export function modelColumns(spec: ModelSpec): number {
  return 1 + (spec.intercept ? 1 : 0) + spec.terms.length + spec.endogenous.length + spec.instruments.length;
}
