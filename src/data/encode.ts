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

/** Encodes `column` at `rows` (all rows when null). */
export function encodeColumn(column: Column, rows: Int32Array | null): Encoding {
  const n = rows ? rows.length : column.kind === "numeric" ? column.values.length : column.codes.length;
  return column.kind === "numeric" ? encodeNumbers(column.values, rows, n) : encodeCategories(column.codes, column.levels, rows, n);
}

function encodeCategories(src: Int32Array, names: readonly string[], rows: Int32Array | null, n: number): Encoding {
  const used = new Uint8Array(names.length);
  for (let r = 0; r < n; r++) {
    const c = src[rows ? rows[r] : r];
    if (c >= 0) used[c] = 1;
  }
  const present: number[] = [];
  for (let c = 0; c < names.length; c++) if (used[c]) present.push(c);
  present.sort((a, b) => (names[a] < names[b] ? -1 : names[a] > names[b] ? 1 : 0));
  const map = new Int32Array(names.length).fill(-1);
  present.forEach((c, i) => (map[c] = i));
  const codes = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const c = src[rows ? rows[r] : r];
    codes[r] = c >= 0 ? map[c] : -1;
  }
  return { codes, size: present.length, levels: present.map((c) => names[c]) };
}

function encodeNumbers(values: Float64Array, rows: Int32Array | null, n: number): Encoding {
  const picked = rows ? gather(values, rows) : values;
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

function gather(values: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
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
    const dense = encodeNumbers(keys, null, n);
    const levels = dense.levels.map((k) => {
      const key = k as number;
      return `${combined.levels[Math.floor(key / b.size)]}_${b.levels[key % b.size]}`;
    });
    combined = { codes: dense.codes, size: dense.size, levels };
  }
  return combined;
}

/** Keeps the rows flagged in `keep` and renumbers the codes densely (levels that vanish go). */
export function compact(enc: Encoding, keep: Uint8Array): Encoding {
  const n = enc.codes.length;
  const map = new Int32Array(enc.size).fill(-1);
  let m = 0;
  for (let r = 0; r < n; r++) if (keep[r]) { m++; map[enc.codes[r]] = 0; }
  const levels: Level[] = [];
  for (let c = 0; c < enc.size; c++) if (map[c] === 0) { map[c] = levels.length; levels.push(enc.levels[c]); }
  const codes = new Int32Array(m);
  let i = 0;
  for (let r = 0; r < n; r++) if (keep[r]) codes[i++] = map[enc.codes[r]];
  return { codes, size: levels.length, levels };
}
