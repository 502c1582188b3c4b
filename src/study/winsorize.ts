/**
 * Winsorizing: values below the `lower` quantile are set to it and values above the `upper`
 * quantile to it, over all rows or within groups (e.g. within year). Quantiles are R's default
 * (type 7, as numpy's default, Stata's `winsor2` and most packages): for n sorted values x_(1..n)
 * and probability p, h = (n − 1)·p and Q(p) = x_(⌊h⌋+1) + (h − ⌊h⌋)·(x_(⌊h⌋+2) − x_(⌊h⌋+1)).
 * Missing values stay missing and do not count.
 */
import type { Column, Frame } from "../data/frame.js";
import { quantileSorted } from "../core/quantile.js";
import { toFrame, type DataInput } from "../data/input.js";
import { groupCodes, numericColumn, numericInput, optionError, withColumns } from "./columns.js";

const BUILDER = "winsorize";


export interface WinsorizeOptions {
  /** Lower probability (default 0.01). */
  readonly lower?: number;
  /** Upper probability (default 0.99). */
  readonly upper?: number;
  /** Winsorize within the groups of these columns (e.g. "year"); default all rows together. */
  readonly by?: string | readonly string[];
  /** Written to `column + suffix` (default "": the column is replaced). */
  readonly suffix?: string;
}

export interface WinsorizeBounds {
  readonly column: string;
  /** The group's key ("all" without `by`; values joined by "_" for several columns). */
  readonly group: string;
  readonly low: number;
  readonly high: number;
  /** Values raised to `low` and lowered to `high`. */
  readonly raised: number;
  readonly lowered: number;
}

export interface WinsorizeResult {
  readonly frame: Frame;
  readonly bounds: readonly WinsorizeBounds[];
}

/** Winsorizes each of `columns` (module comment); the other columns are kept as they are. */
export function winsorize(data: DataInput, columns: string | readonly string[], options: WinsorizeOptions = {}): WinsorizeResult {
  const lower = options.lower ?? 0.01;
  const upper = options.upper ?? 0.99;
  if (!(lower >= 0 && upper <= 1 && lower <= upper)) {
    throw optionError(BUILDER, `need 0 ≤ lower ≤ upper ≤ 1, got lower ${lower} and upper ${upper}`);
  }
  const frame = toFrame(data);
  const names = typeof columns === "string" ? [columns] : columns;
  const by = options.by === undefined ? [] : typeof options.by === "string" ? [options.by] : options.by;
  const suffix = options.suffix ?? "";
  const groups = groupCodes(frame, by, BUILDER);
  const added: [string, Column][] = [];
  const bounds: WinsorizeBounds[] = [];
  for (const name of names) {
    const x = numericInput(frame, name, BUILDER);
    // Rows of each group, sorted values per group.
    const count = new Int32Array(groups.size + 1);
    for (let r = 0; r < frame.nrows; r++) if (groups.codes[r]! >= 0 && x[r] === x[r]) count[groups.codes[r]! + 1]++;
    for (let g = 0; g < groups.size; g++) count[g + 1] += count[g]!;
    const sorted = new Float64Array(count[groups.size]!);
    const fill = count.slice(0, groups.size);
    for (let r = 0; r < frame.nrows; r++) {
      const g = groups.codes[r]!;
      if (g >= 0 && x[r] === x[r]) sorted[fill[g]!++] = x[r]!;
    }
    const low = new Float64Array(groups.size);
    const high = new Float64Array(groups.size);
    for (let g = 0; g < groups.size; g++) {
      const part = sorted.subarray(count[g]!, count[g + 1]!).sort();
      low[g] = quantileSorted(part, lower);
      high[g] = quantileSorted(part, upper);
    }
    const out = new Float64Array(frame.nrows);
    const raised = new Int32Array(groups.size);
    const lowered = new Int32Array(groups.size);
    for (let r = 0; r < frame.nrows; r++) {
      const g = groups.codes[r]!;
      const v = x[r]!;
      if (g < 0 || v !== v) {
        out[r] = v;
      } else if (v < low[g]!) {
        out[r] = low[g]!;
        raised[g]++;
      } else if (v > high[g]!) {
        out[r] = high[g]!;
        lowered[g]++;
      } else out[r] = v;
    }
    added.push([name + suffix, numericColumn(out)]);
    for (let g = 0; g < groups.size; g++) {
      bounds.push({ column: name, group: String(groups.levels[g]), low: low[g]!, high: high[g]!, raised: raised[g]!, lowered: lowered[g]! });
    }
  }
  return { frame: withColumns(frame, added), bounds };
}
