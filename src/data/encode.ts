import type { Column } from "./frame.js";

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

/** Whole-column encodings, computed once per column and reused by every fit on the same data. */
const encodedColumns = new WeakMap<Column, Encoding>();

/**
 * Encodes `column` at `rows` (all rows when null). With `dense` false the codes keep the whole
 * column's numbering (levels absent from the rows stay, with no rows): a caller that drops more
 * rows next renumbers once, at the end, with `compact`.
 */
export function encodeColumn(column: Column, rows: Int32Array | null, dense = true): Encoding {
  let full = encodedColumns.get(column);
  if (!full) {
    full = column.kind === "numeric" ? encodeNumbers(column.values) : encodeCategories(column.codes, column.levels);
    encodedColumns.set(column, full);
  }
  if (!rows) return full;
  const codes = new Int32Array(rows.length);
  const src = full.codes;
  for (let i = 0; i < rows.length; i++) codes[i] = src[rows[i]];
  return dense ? densify(codes, full) : { codes, size: full.size, levels: full.levels };
}

/** Renumbers codes 0..size-1 over the levels that occur (keeping their sorted order); -1 stays. */
function densify(codes: Int32Array, of: Encoding): Encoding {
  const map = new Int32Array(of.size).fill(-1);
  for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) map[codes[i]] = 0;
  const levels: Level[] = [];
  for (let c = 0; c < of.size; c++) if (map[c] === 0) { map[c] = levels.length; levels.push(of.levels[c]); }
  if (levels.length < of.size) for (let i = 0; i < codes.length; i++) if (codes[i] >= 0) codes[i] = map[codes[i]];
  return { codes, size: levels.length, levels };
}

function encodeCategories(src: Int32Array, names: readonly string[]): Encoding {
  const order = names.map((_, c) => c).sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
  const map = new Int32Array(names.length);
  order.forEach((c, i) => (map[c] = i));
  const codes = new Int32Array(src.length);
  for (let r = 0; r < src.length; r++) codes[r] = src[r] >= 0 ? map[src[r]] : -1;
  return densify(codes, { codes, size: names.length, levels: order.map((c) => names[c]) });
}

function encodeNumbers(picked: Float64Array): Encoding {
  const n = picked.length;
  const range = integerRange(picked);
  if (range === null) return { codes: new Int32Array(n).fill(-1), size: 0, levels: [] };
  // Integer ids in a compact range (firm ids, years) are encoded by direct indexing, no hashing.
  if (range.integral && range.max - range.min <= 4 * n + 1024) return encodeDenseIntegers(picked, range.min, range.max - range.min + 1);
  return encodeHashed(picked);
}

/** min, max and whether every non-missing value is an integer; null when all are missing. */
function integerRange(v: Float64Array): { min: number; max: number; integral: boolean } | null {
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (let r = 0; r < v.length; r++) {
    const x = v[r];
    if (x < min) min = x;
    if (x > max) max = x;
    if (integral && Math.floor(x) !== x && x === x) integral = false;
  }
  return min > max ? null : { min, max, integral };
}

function encodeDenseIntegers(v: Float64Array, min: number, span: number): Encoding {
  const n = v.length;
  const slot = new Int32Array(span).fill(-1);
  const offset = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const x = v[r];
    const o = x === x ? x - min : -1;
    offset[r] = o;
    if (o >= 0) slot[o] = 0;
  }
  const levels: number[] = [];
  for (let s = 0; s < span; s++) if (slot[s] === 0) { slot[s] = levels.length; levels.push(min + s); }
  for (let r = 0; r < n; r++) {
    const o = offset[r];
    offset[r] = o >= 0 ? slot[o] : -1;
  }
  return { codes: offset, size: levels.length, levels };
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
  const n = parts[0].codes.length;
  let combined = parts[0];
  for (let p = 1; p < parts.length; p++) {
    const b = parts[p];
    const keys = new Float64Array(n);
    for (let r = 0; r < n; r++) {
      const ca = combined.codes[r];
      const cb = b.codes[r];
      keys[r] = ca < 0 || cb < 0 ? NaN : ca * b.size + cb;
    }
    const dense = encodeNumbers(keys);
    const levels = dense.levels.map((k) => {
      const key = k as number;
      return `${combined.levels[Math.floor(key / b.size)]}_${b.levels[key % b.size]}`;
    });
    combined = { codes: dense.codes, size: dense.size, levels };
  }
  return combined;
}

/** Keeps the rows flagged in `keep` (all when null) and renumbers the codes densely (levels that vanish go). */
export function compact(enc: Encoding, keep: Uint8Array | null): Encoding {
  if (!keep) return densify(Int32Array.from(enc.codes), enc);
  let m = 0;
  for (let r = 0; r < keep.length; r++) m += keep[r];
  const codes = new Int32Array(m);
  let i = 0;
  for (let r = 0; r < keep.length; r++) if (keep[r]) codes[i++] = enc.codes[r];
  return densify(codes, enc);
}
