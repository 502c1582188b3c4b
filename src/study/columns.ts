/**
 * Column plumbing shared by the study's builders (dvar, robots, linkages, controls, winsorize):
 * looking up the columns a builder needs (errors name the column and the builder), adding
 * columns to a frame without copying the others, keeping a subset of rows, and dense group
 * codes for by-group computations (industry × year, year).
 */
import type { Column, Frame, NumericColumn } from "../data/frame.js";
import { missingColumnsError } from "../data/select.js";
import { encodeColumn, interact, type Encoding, type Level } from "../data/encode.js";
import { InputError } from "../core/errors.js";

export function numericColumn(values: Float64Array): NumericColumn {
  return { kind: "numeric", values };
}

/** Throws, naming `builder`, unless every column in `names` is in `frame`. */
export function requireColumns(frame: Frame, names: readonly string[], builder: string, what = "the data"): void {
  const missing = names.filter((n) => !frame.columns.has(n));
  if (missing.length > 0) throw missingColumnsError(missing, [...frame.columns.keys()], `${what} given to ${builder}`);
}

/** The values of numeric column `name`; an error naming `builder` when it is absent or text. */
export function numericInput(frame: Frame, name: string, builder: string, what = "the data"): Float64Array {
  requireColumns(frame, [name], builder, what);
  const column = frame.columns.get(name)!;
  if (column.kind !== "numeric") {
    throw new InputError("data", `${builder}: column "${name}" of ${what} must be numeric, but it holds text (e.g. "${column.levels[0] ?? ""}")`);
  }
  return column.values;
}

/** The frame with `added` appended (a column of the same name is replaced in place); no copies. */
export function withColumns(frame: Frame, added: Iterable<readonly [string, Column]>): Frame {
  const columns = new Map<string, Column>(frame.columns);
  for (const [name, column] of added) {
    const length = column.kind === "numeric" ? column.values.length : column.codes.length;
    if (length !== frame.nrows) throw new Error(`internal: column "${name}" has ${length} rows, the frame ${frame.nrows}`);
    columns.set(name, column);
  }
  return { nrows: frame.nrows, columns };
}

/** The rows flagged 1 in `keep`, in order (every column copied); `frame` itself when all are kept. */
export function keepRows(frame: Frame, keep: Uint8Array): Frame {
  let n = 0;
  for (let r = 0; r < keep.length; r++) n += keep[r]!;
  if (n === frame.nrows) return frame;
  const rows = new Int32Array(n);
  for (let r = 0, i = 0; r < keep.length; r++) if (keep[r]) rows[i++] = r;
  const columns = new Map<string, Column>();
  for (const [name, column] of frame.columns) {
    if (column.kind === "numeric") {
      const values = new Float64Array(n);
      for (let i = 0; i < n; i++) values[i] = column.values[rows[i]!]!;
      columns.set(name, { kind: "numeric", values });
    } else {
      const codes = new Int32Array(n);
      for (let i = 0; i < n; i++) codes[i] = column.codes[rows[i]!]!;
      columns.set(name, { kind: "categorical", codes, levels: column.levels });
    }
  }
  return { nrows: n, columns };
}

/**
 * Dense group codes of the rows by the columns `by` (their interaction for several; one group
 * for none); -1 where a key is missing. Levels are sorted, so codes do not depend on row order.
 */
export function groupCodes(frame: Frame, by: readonly string[], builder: string): Encoding {
  requireColumns(frame, by, builder);
  if (by.length === 0) return { codes: new Int32Array(frame.nrows), size: 1, levels: ["all"] };
  const parts = by.map((name) => encodeColumn(frame.columns.get(name)!, null));
  return parts.length === 1 ? parts[0]! : interact(parts);
}

/** How a key value is matched across tables: numbers and text by their text (3 matches "3"). */
export function levelKey(level: Level): string {
  return typeof level === "number" ? String(level) : level;
}

/**
 * Per row of `frame`, the index of its `column` value in `keys` (matched by {@link levelKey}),
 * or -1 when the value is missing or not among the keys. Each distinct value is looked up once.
 */
export function matchKeys(frame: Frame, column: string, keys: ReadonlyMap<string, number>): Int32Array {
  const enc = encodeColumn(frame.columns.get(column)!, null);
  const map = Int32Array.from(enc.levels, (level) => keys.get(levelKey(level)) ?? -1);
  const out = new Int32Array(frame.nrows);
  for (let r = 0; r < out.length; r++) {
    const c = enc.codes[r]!;
    out[r] = c >= 0 ? map[c]! : -1;
  }
  return out;
}

/** An error for an option outside its range, naming the builder. */
export function optionError(builder: string, message: string): InputError {
  return new InputError("option", `${builder}: ${message}`);
}

/** Checks that a year-like value is a finite integer. */
export function checkYear(builder: string, name: string, value: number): void {
  if (!Number.isInteger(value)) throw optionError(builder, `${name} must be an integer year, got ${value}`);
}
