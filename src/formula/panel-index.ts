import type { Column, Frame } from "../data/frame.js";
import { encodeColumn } from "../data/encode.js";
import { InputError } from "../core/errors.js";

/**
 * Where each row's lag lives in a panel given by [id, time]. Lags are by time value, as
 * fixest's default: integer times step by the greatest common divisor of the gaps between
 * observed periods (years step by 1, so 2003's lag is 2002 even if 2002 is absent, which
 * gives a missing value); other times step through their sorted distinct values.
 */
export interface PanelIndex {
  /** For each row of the frame, the row k periods earlier (k < 0: later) of the same id, or -1. */
  shifted(k: number): Int32Array;
}

export function panelIndex(frame: Frame, panelId: readonly [string, string]): PanelIndex {
  const [idName, timeName] = panelId;
  const id = encodeColumn(frame.columns.get(idName)!, null);
  const time = timeSteps(frame.columns.get(timeName)!);
  const n = frame.nrows;
  const periods = time.periods;
  // Dense (id, period) table when it is not much larger than the data, else a hash map.
  const cells = id.size * periods;
  const dense = cells <= 8 * n + 1_000_000 ? new Int32Array(cells).fill(-1) : null;
  const sparse = dense ? null : new Map<number, number>();
  const key = (r: number) => (id.codes[r] < 0 || time.index[r] < 0 ? -1 : id.codes[r] * periods + time.index[r]);
  for (let r = 0; r < n; r++) {
    const c = key(r);
    if (c < 0) continue;
    const earlier = dense ? dense[c] : sparse!.get(c) ?? -1;
    if (earlier >= 0) {
      throw new InputError(
        "data",
        `panel ${idName}, ${timeName}: rows ${earlier + 1} and ${r + 1} have the same ${idName} (${id.levels[id.codes[r]]}) ` +
          `and ${timeName} (${time.label(r)}); lags, leads and differences need one row per ${idName} and ${timeName}`,
      );
    }
    if (dense) dense[c] = r;
    else sparse!.set(c, r);
  }
  return {
    shifted(k: number): Int32Array {
      const out = new Int32Array(n).fill(-1);
      for (let r = 0; r < n; r++) {
        const t = time.index[r] - k;
        if (id.codes[r] < 0 || time.index[r] < 0 || t < 0 || t >= periods) continue;
        const c = id.codes[r] * periods + t;
        out[r] = dense ? dense[c] : sparse!.get(c) ?? -1;
      }
      return out;
    },
  };
}

/** Each row's period number 0..periods-1 (-1 when missing). */
function timeSteps(col: Column): { index: Int32Array; periods: number; label: (r: number) => string } {
  const enc = encodeColumn(col, null);
  const label = (r: number) => String(enc.levels[enc.codes[r]]);
  const levels = enc.levels as number[];
  if (col.kind !== "numeric" || !levels.every(Number.isInteger)) return { index: enc.codes, periods: enc.size, label };
  let step = 0;
  for (let g = 1; g < levels.length; g++) step = gcd(step, levels[g] - levels[g - 1]);
  if (step === 0) step = 1;
  const index = new Int32Array(col.values.length);
  for (let r = 0; r < index.length; r++) index[r] = enc.codes[r] < 0 ? -1 : (levels[enc.codes[r]] - levels[0]) / step;
  const periods = levels.length === 0 ? 0 : (levels[levels.length - 1] - levels[0]) / step + 1;
  return { index, periods, label };
}

function gcd(a: number, b: number): number {
  while (b !== 0) [a, b] = [b, a % b];
  return Math.abs(a);
}
