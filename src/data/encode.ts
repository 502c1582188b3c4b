import type { Column, NumericColumn } from "./frame.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { withArena, withArenaSync } from "../engine/shared.js";
import { runKernelLanes } from "../engine/kernel-lanes.js";
import type { KernelCall } from "../engine/kernel-task.js";
import { copyOutI32, placeF64, placeI32, residentAddress, residentI32Of } from "../engine/resident.js";
import { InternalError } from "../core/errors.js";

/**
 * Factor encoding: a column's values over a set of rows become dense int32 codes 0..size-1
 * (the form every group kernel takes), with the level behind each code. Levels are sorted
 * (numbers ascending, text in code-point order) as fixest sorts them, so codes and anything
 * reported per level do not depend on row order. Missing values get code -1.
 */
export type Level = number | string;

export interface Encoding {
  readonly codes: Int32Array;
  readonly size: number;
  readonly levels: readonly Level[];
}

/** An encoding under the name of what it encodes: a fixed effect, a cluster or panel variable. */
export interface EncodedEffect extends Encoding {
  readonly name: string;
}

/** The encoding of column `name` among a sample's encodings (its clusters or fixed effects), found by name. */
export function encodingNamed(encodings: readonly EncodedEffect[], name: string): EncodedEffect {
  const enc = encodings.find((e) => e.name === name);
  if (!enc) throw new InternalError(`the sample does not encode "${name}" (it encodes: ${encodings.map((e) => e.name).join(", ") || "nothing"})`);
  return enc;
}

/** Whole-column encodings, computed once per column and reused by every fit on the same data. */
const encodedColumns = new WeakMap<Column, Encoding>();

/** How encodeColumn and encodeInteraction code a column at a set of rows. */
export interface EncodeOptions {
  /**
   * false: the codes may keep the whole column's numbering (levels absent from the rows stay,
   * with no rows), for a caller that drops more rows next and renumbers once, at the end, with
   * `compact` (default true: dense over the rows).
   */
  readonly dense?: boolean;
  /**
   * Go through the column's whole-column encoding, made once and kept for every later call on
   * the same column (default true). false, for a column no later fit reads: integer ids are
   * coded over the rows directly (slower than gathering kept codes, but nothing is made or kept
   * for the whole column), and their codes come out resident (engine/resident.ts), for the
   * fit's kernels to read in place.
   */
  readonly reuse?: boolean;
  /**
   * The columns coded so far at the same rows and with the same `dense`, by column (a sample's
   * fixed effects share one), so a column in several of them (year in year and industry^year)
   * is coded once; each new one is added. null: a column found not to be compact integer ids when
   * coded over the rows (without `reuse`), so that is not tried again.
   */
  readonly coded?: Map<Column, Encoding | null>;
}

/**
 * Encodes `column` at `rows` (ascending row indices, each once; all rows when null), as
 * `options` say. The per-row work runs in wasm (assembly/sample.ts) over copies in a scratch
 * arena; only the levels are handled here.
 */
export function encodeColumn(column: Column, rows: Int32Array | null, { dense = true, reuse = true, coded }: EncodeOptions = {}): Encoding {
  // Integer ids coded over the rows come out dense, right for either `dense`.
  if (rows && !reuse && column.kind === "numeric") {
    let direct = coded?.get(column);
    if (direct === undefined) {
      direct = withArenaSync((arena, k) => directCodes(arena, k, column, rows));
      coded?.set(column, direct);
    }
    if (direct) return direct;
  }
  let full = encodedColumns.get(column);
  if (!full) {
    full = column.kind === "numeric" ? encodeNumbers(column.values) : encodeCategories(column.codes, column.levels);
    encodedColumns.set(column, full);
  }
  // Every row (rows ascend without repeats, so as many as the column has are all of them): the
  // whole-column encoding is theirs, as a gather and a renumbering would give it back unchanged.
  if (!rows || rows.length === full.codes.length) return full;
  const known = coded?.get(column);
  if (known) return known;
  const whole = full;
  const gathered = withArenaSync((arena, k) => {
    const n = rows.length;
    const src = placeI32(arena, whole.codes, "codes");
    const at = arena.putI32(rows, "rows");
    const codes = arena.allocI32(n, "codes");
    k.gather_i32(n, src, at, codes);
    return dense ? densifyIn(arena, k, codes, n, whole) : { codes: arena.i32(codes, n).slice(), size: whole.size, levels: whole.levels };
  });
  coded?.set(column, gathered);
  return gathered;
}

/**
 * Renumbers the n codes at `codes` (in the arena) 0..size-1 over the levels of `of` that occur,
 * keeping their sorted order (-1 stays), and returns them copied out of the arena.
 */
function densifyIn(arena: Arena, k: Kernels, codes: number, n: number, of: Pick<Encoding, "size" | "levels">): Encoding {
  const map = arena.allocI32(of.size, "level map");
  const size = k.densify_codes(n, codes, of.size, map);
  const levels = size === of.size ? of.levels.slice() : levelsKept(of.levels, arena.i32(map, of.size), size);
  return { codes: arena.i32(codes, n).slice(), size, levels };
}

/**
 * The `size` levels whose new code is not negative, in order. A counted loop into an array made
 * at its length: filter's callback per level took 6 ms for a quarter of a million firms.
 */
function levelsKept(levels: readonly Level[], newCode: Int32Array, size: number): Level[] {
  const kept: Level[] = new Array(size);
  let j = 0;
  for (let c = 0; c < newCode.length; c++) if (newCode[c] >= 0) kept[j++] = levels[c];
  return kept;
}

function densify(codes: Int32Array, of: Pick<Encoding, "size" | "levels">): Encoding {
  return withArenaSync((arena, k) => densifyIn(arena, k, arena.putI32(codes, "codes"), codes.length, of));
}

function encodeCategories(src: Int32Array, names: readonly string[]): Encoding {
  const order = names.map((_, c) => c).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
  const rank = new Int32Array(names.length);
  order.forEach((c, i) => (rank[c] = i));
  return withArenaSync((arena, k) => {
    const n = src.length;
    const codes = arena.putI32(src, "codes");
    k.remap_codes(n, codes, arena.putI32(rank, "level ranks"), codes);
    return densifyIn(arena, k, codes, n, { size: names.length, levels: order.map((c) => names[c]) });
  });
}

/**
 * The whole-column encoding of numbers. A resident column (read by readFrame) gets resident
 * codes: kept as long as the column is, like it in the shared memory (one per column, given back
 * with it), and read in place by every later fit instead of copied into its arena.
 */
function encodeNumbers(values: Float64Array): Encoding {
  const resident = residentAddress(values) !== undefined;
  return withArenaSync((arena, k) => {
    const n = values.length;
    const x = placeF64(arena, values, "values");
    const coded = integerCodesIn(arena, k, x, n, 0);
    return coded ? copiedOut(arena, coded, n, resident) : encodeHashed(arena.f64(x, n).slice());
  });
}

/** An encoding whose n codes are in the arena (at `codes`), for work that goes on there. */
interface CodesIn {
  readonly codes: number;
  readonly size: number;
  readonly levels: readonly Level[];
}

/** The encoding copied out of the arena: into a JavaScript array, or a resident one (placeI32 reads it in place). */
function copiedOut(arena: Arena, c: CodesIn, n: number, resident = false): Encoding {
  return { codes: copyOutI32(arena.i32(c.codes, n), resident, "codes"), size: c.size, levels: c.levels };
}

/** An encoding's codes where the arena's kernels read them: in place when resident, else copied in. */
function placedCodes(arena: Arena, e: Encoding): CodesIn {
  return { codes: placeI32(arena, e.codes, "codes"), size: e.size, levels: e.levels };
}

/**
 * The codes of the float64 values at `x` (in the arena), read at the n `rows` (a pointer to i32
 * row indices; 0 for rows 0..n-1), when they are integers in a compact range (firm ids, years):
 * by direct indexing, no hashing, left in the arena. Otherwise null.
 */
function integerCodesIn(arena: Arena, k: Kernels, x: number, n: number, rows: number, into?: () => number): CodesIn | null {
  const coding = integerCoding(arena, x, n, rows, into);
  k.int_range(...coding.range.args);
  const codes = coding.codes();
  if (!codes) return null;
  if (codes.call) codes.finish(k.dense_codes(...codes.call.args));
  return codes.result();
}

/**
 * integerCodesIn in its steps, for running the passes of several columns at once (lanes of
 * kernel calls): the range pass, then, when the values are compact integers, the coding pass and
 * the levels from its result.
 */
interface IntegerCoding {
  readonly range: Extract<KernelCall, { name: "int_range" }>;
  /**
   * After the range pass: the coding pass to run (none when every value is missing) and what to
   * do with its result; null when the values are not compact integers.
   */
  codes(): { readonly call: Extract<KernelCall, { name: "dense_codes" }> | null; finish(size: number): void; result(): CodesIn } | null;
}

/**
 * The steps of integerCodesIn; once the values are known to be compact integers, their codes go
 * into the n i32s at `into()` when given (a resident array's room), else into the arena.
 */
function integerCoding(arena: Arena, x: number, n: number, rows: number, into?: () => number): IntegerCoding {
  const range = arena.allocF64(3, "range");
  return {
    range: { name: "int_range", args: [n, x, rows, range] },
    codes: () => {
      const [min, max, integral] = arena.f64(range, 3);
      const missing = min > max;
      if (!missing && (integral !== 1 || max - min > 4 * n + 1024)) return null;
      const codes = into ? into() : arena.allocI32(n, "codes");
      if (missing) {
        arena.i32(codes, n).fill(-1);
        return { call: null, finish: () => undefined, result: () => ({ codes, size: 0, levels: [] }) };
      }
      const span = max - min + 1;
      const slot = arena.allocI32(span + 1, "level slots");
      const offsets = arena.allocI32(Math.min(span, n), "levels");
      let levels: number[] = [];
      return {
        call: { name: "dense_codes", args: [n, x, rows, min, span, slot, codes, offsets] },
        finish: (size) => {
          const offset = arena.i32(offsets, size);
          levels = new Array<number>(size);
          for (let c = 0; c < size; c++) levels[c] = min + offset[c];
        },
        result: () => ({ codes, size: levels.length, levels }),
      };
    },
  };
}

/**
 * The codes of a column of integer ids at `rows`, coded over them (encodeColumn without `reuse`)
 * straight into a resident array; null when they are not compact integers.
 */
function directCodes(arena: Arena, k: Kernels, column: NumericColumn, rows: Int32Array): Encoding | null {
  let coded: CodesIn | null = null;
  const codes = residentI32Of(rows.length, "codes", (ptr) => {
    coded = integerCodesIn(arena, k, placeF64(arena, column.values, "values"), rows.length, placeI32(arena, rows, "rows"), () => ptr);
    return coded ? rows.length : null;
  });
  return codes && { codes, size: coded!.size, levels: coded!.levels };
}

/**
 * Codes the integer id columns among `columns` at `rows` directly (encodeColumn without `reuse`),
 * two passes each, with the columns dealt to two lanes (this thread and a worker): the codes of
 * each column are what encodeColumn gives it. Adds them to `coded`, resident; a column that is
 * not compact integers is added as null, left for encodeColumn's whole-column encoding (its range
 * pass is not run again).
 */
export async function codeIntegerColumns(columns: readonly NumericColumn[], rows: Int32Array, coded: Map<Column, Encoding | null>, threads: number): Promise<void> {
  const todo = columns.filter((c) => !coded.has(c));
  if (todo.length === 0) return;
  const lanes = (calls: readonly KernelCall[]) => [0, 1].map((lane) => calls.filter((_, i) => i % 2 === lane));
  await withArena(async (arena, k) => {
    const at = placeI32(arena, rows, "rows");
    // Each column's codes are written where they stay, no copy after (room taken once the range pass shows compact ids).
    const into: Int32Array[] = [];
    const codings = todo.map((c, i) =>
      integerCoding(arena, placeF64(arena, c.values, "values"), rows.length, at, () => residentAddress((into[i] = residentI32Of(rows.length, "codes", () => rows.length)!))!),
    );
    await runKernelLanes(k, lanes(codings.map((c) => c.range)), threads, "coding the fixed effects' ids");
    const coding = codings.map((c) => c.codes());
    const passes = coding.flatMap((c) => (c?.call ? [{ ...c, call: c.call }] : []));
    const sizes = await runKernelLanes(k, lanes(passes.map((c) => c.call)), threads, "coding the fixed effects' ids");
    passes.forEach((c, i) => c.finish(sizes[i % 2][Math.floor(i / 2)]));
    coding.forEach((c, i) => {
      if (!c) {
        coded.set(todo[i], null);
        return;
      }
      const { size, levels } = c.result();
      coded.set(todo[i], { codes: into[i], size, levels });
    });
  });
}

function encodeHashed(v: Float64Array): Encoding {
  const n = v.length;
  const codes = new Int32Array(n);
  const seen = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    const x = v[r];
    if (x !== x) { codes[r] = -1; continue; }
    let c = seen.get(x);
    if (c === undefined) { c = seen.size; seen.set(x, c); }
    codes[r] = c;
  }
  const levels = [...seen.keys()];
  const order = levels.map((_, i) => i).sort((a, b) => levels[a] - levels[b]);
  const map = new Int32Array(levels.length);
  order.forEach((c, i) => (map[c] = i));
  for (let r = 0; r < n; r++) if (codes[r] >= 0) codes[r] = map[codes[r]];
  return { codes, size: levels.length, levels: order.map((c) => levels[c]) };
}

/** The interaction a^b^…: one level per observed combination, named "a_b" as fixest names them. */
export function interact(parts: readonly Encoding[]): Encoding {
  if (parts.length === 1) return parts[0];
  const n = parts[0].codes.length;
  return withArenaSync((arena, k) => {
    return copiedOut(arena, parts.slice(1).reduce((a, b) => interactIn(arena, k, a, placedCodes(arena, b), n), placedCodes(arena, parts[0])), n);
  });
}

/**
 * The interaction of `columns` at `rows` (one column: its encoding), as `options` say (see
 * encodeColumn). Without `reuse`, when all are integer ids in a compact range, each is coded over
 * the rows and combined in one arena, and only the interaction's codes are copied out; otherwise
 * interact() of their encodings.
 */
export function encodeInteraction(columns: readonly Column[], rows: Int32Array, options: EncodeOptions = {}): Encoding {
  if (columns.length === 1) return encodeColumn(columns[0], rows, options);
  const n = rows.length;
  const direct = options.reuse === false && columns.every((c) => c.kind === "numeric")
    ? withArenaSync((arena, k) => {
        const at = placeI32(arena, rows, "rows");
        const parts: CodesIn[] = [];
        for (const c of columns as readonly NumericColumn[]) {
          const known = options.coded?.get(c);
          if (known === null) return null;
          const part = known ? placedCodes(arena, known) : integerCodesIn(arena, k, placeF64(arena, c.values, "values"), n, at);
          if (!part) return null;
          parts.push(part);
        }
        return copiedOut(arena, parts.slice(1).reduce((a, b) => interactIn(arena, k, a, b, n), parts[0]), n, true);
      })
    : null;
  return direct ?? interact(columns.map((c) => encodeColumn(c, rows, options)));
}

/**
 * a^b over n rows, both coded in the arena; the result's codes are there too. Keys a·|b| + b in a
 * compact span are ranked by direct indexing (interaction_codes), the others as float64 keys.
 */
function interactIn(arena: Arena, k: Kernels, a: CodesIn, b: CodesIn, n: number): CodesIn {
  const span = a.size * b.size;
  const named = (keys: readonly number[]) => keys.map((key) => `${a.levels[Math.floor(key / b.size)]}_${b.levels[key % b.size]}`);
  if (span <= 4 * n + 1024) {
    const slot = arena.allocI32(span + 1, "interaction slots");
    const codes = arena.allocI32(n, "codes");
    const keys = arena.allocI32(Math.max(1, Math.min(span, n)), "interaction levels");
    const size = k.interaction_codes(n, a.codes, b.codes, b.size, span, slot, codes, keys);
    return { codes, size, levels: named(Array.from(arena.i32(keys, size))) };
  }
  const keys = arena.allocF64(n, "interaction keys");
  k.interaction_keys(n, a.codes, b.codes, b.size, keys);
  const dense = integerCodesIn(arena, k, keys, n, 0) ?? placedCodes(arena, encodeHashed(arena.f64(keys, n).slice()));
  return { codes: dense.codes, size: dense.size, levels: named(dense.levels as number[]) };
}

/** Keeps the rows flagged in `keep` (all when null) and renumbers the codes densely (levels that vanish go). */
export function compact(enc: Encoding, keep: Uint8Array | null): Encoding {
  if (!keep) return densify(enc.codes, enc);
  return withArenaSync((arena, k) => {
    const n = keep.length;
    const codes = arena.allocI32(n, "codes");
    const m = k.select_i32(n, arena.putI32(enc.codes, "codes"), arena.putU8(keep, "row flags"), codes);
    return densifyIn(arena, k, codes, m, enc);
  });
}
