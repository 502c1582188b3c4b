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
  let min = Infinity;
  let max = -Infinity;
  let integral = true;
  for (let r = 0; r < n; r++) {
    const v = values[rows ? rows[r] : r];
    if (v !== v) continue;
    if (v < min) min = v;
    if (v > max) max = v;
    if (integral && !Number.isInteger(v)) integral = false;
  }
  const codes = new Int32Array(n);
  if (min > max) return { codes: codes.fill(-1), size: 0, levels: [] };
  // Integer ids in a compact range (firm ids, years) are encoded by direct indexing, no hashing.
  if (integral && max - min <= 4 * n + 1024) {
    const span = max - min + 1;
    const slot = new Int32Array(span).fill(-1);
    for (let r = 0; r < n; r++) {
      const v = values[rows ? rows[r] : r];
      if (v === v) slot[v - min] = 0;
    }
    const levels: number[] = [];
    for (let s = 0; s < span; s++) if (slot[s] === 0) { slot[s] = levels.length; levels.push(min + s); }
    for (let r = 0; r < n; r++) {
      const v = values[rows ? rows[r] : r];
      codes[r] = v === v ? slot[v - min] : -1;
    }
    return { codes, size: levels.length, levels };
  }
  const seen = new Map<number, number>();
  for (let r = 0; r < n; r++) {
    const v = values[rows ? rows[r] : r];
    if (v !== v) { codes[r] = -1; continue; }
    let c = seen.get(v);
    if (c === undefined) { c = seen.size; seen.set(v, c); }
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
