/**
 * Groupings for the inequality indices: dense codes for one or more key columns (as fixed
 * effects are encoded: sorted levels, the interaction for several columns), the key values of
 * each group, and the finest cells the kernel accumulates over, from which every grouping's
 * sums are gathered.
 */
import type { Frame } from "../data/frame.js";
import { encodeColumn, interact, type Encoding, type Level } from "../data/encode.js";

/** A group's key: column name → value (numbers stay numbers, text stays text). */
export type GroupKey = Readonly<Record<string, Level>>;

export interface Grouping {
  readonly columns: readonly string[];
  /** Per row, −1 where a key is missing. */
  readonly codes: Int32Array;
  readonly size: number;
  readonly keys: readonly GroupKey[];
}

/**
 * Encodes the key columns over all rows. With no columns, every row is in one group with an
 * empty key. Groups are ordered by their keys (first column first), levels sorted.
 */
export function groupBy(frame: Frame, columns: readonly string[]): Grouping {
  if (columns.length === 0) return { columns, codes: new Int32Array(frame.nrows), size: 1, keys: [{}] };
  const parts = columns.map((name) => encodeColumn(frame.columns.get(name)!, null));
  const combined = parts.length === 1 ? parts[0] : interact(parts);
  return { columns, codes: combined.codes, size: combined.size, keys: keysOf(combined, parts, columns) };
}

function keysOf(combined: Encoding, parts: readonly Encoding[], columns: readonly string[]): GroupKey[] {
  // One row of each group tells its key's parts.
  const first = new Int32Array(combined.size).fill(-1);
  for (let r = 0; r < combined.codes.length; r++) {
    const g = combined.codes[r];
    if (g >= 0 && first[g] < 0) first[g] = r;
  }
  return Array.from(first, (r) => Object.fromEntries(columns.map((name, j) => [name, parts[j].levels[parts[j].codes[r]]])));
}

/**
 * The cells: one per observed combination of the groupings' keys (rows missing any key get −1),
 * and for each grouping the group of every cell.
 */
export interface Cells {
  readonly codes: Int32Array;
  readonly size: number;
  /** groupOf[k][c]: the group of cell c in groupings[k]. */
  readonly groupOf: readonly Int32Array[];
}

export function cellsOf(groupings: readonly Grouping[]): Cells {
  if (groupings.length === 1) {
    const g = groupings[0];
    return { codes: g.codes, size: g.size, groupOf: [Int32Array.from({ length: g.size }, (_, i) => i)] };
  }
  const encodings: Encoding[] = groupings.map((g) => ({ codes: g.codes, size: g.size, levels: new Array<Level>(g.size).fill(0) }));
  const cells = interact(encodings);
  const groupOf = groupings.map(() => new Int32Array(cells.size).fill(-1));
  for (let r = 0; r < cells.codes.length; r++) {
    const c = cells.codes[r];
    if (c < 0 || groupOf[0][c] >= 0) continue;
    for (let k = 0; k < groupings.length; k++) groupOf[k][c] = groupings[k].codes[r];
  }
  return { codes: cells.codes, size: cells.size, groupOf };
}

/** The label of a key in messages: "industry=1, year=2000" (or "all rows"). */
export function keyLabel(key: GroupKey): string {
  const parts = Object.entries(key).map(([k, v]) => `${k}=${v}`);
  return parts.length > 0 ? parts.join(", ") : "all rows";
}
