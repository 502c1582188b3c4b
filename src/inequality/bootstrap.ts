/**
 * Bootstrap standard errors of each group's indices: B times, every group's rows are resampled
 * with replacement (as many draws as the group has rows, so groups keep their sizes), the
 * indices are recomputed, and the standard error is the standard deviation over the B
 * replicates. A replicate is the same kernel pass with integer resampling counts as weights
 * (times the rows' own weights), so it costs one streaming pass. Seeded: the same seed gives
 * the same errors.
 */
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { Rng } from "../core/random.js";
import { planMoments, runMoments } from "./moments.js";
import { indicesOf, usableMoments, type NonpositiveMode } from "./indices.js";
import type { StandardErrors } from "./result.js";

export interface BootstrapInput {
  readonly rows: number;
  /** Pointer to the value column in the shared memory. */
  readonly x: number;
  /** The rows' weights, or null. */
  readonly weights: Float64Array | null;
  /** Per row, its group among the rows the indices use, −1 for rows outside them. */
  readonly groupOfRow: Int32Array;
  readonly groups: number;
  readonly alpha: number | null;
  readonly mode: NonpositiveMode;
}

/** Per group: the indices' standard errors over B replicates (null where an index is undefined). */
export function bootstrapErrors(kernels: Kernels, arena: Arena, input: BootstrapInput, B: number, seed: number): StandardErrors[] {
  const { rows, groups, groupOfRow, weights } = input;
  // The rows of each group, contiguous: order[start[g] .. start[g+1]).
  const start = new Int32Array(groups + 1);
  for (let r = 0; r < rows; r++) if (groupOfRow[r] >= 0) start[groupOfRow[r] + 1]++;
  for (let g = 0; g < groups; g++) start[g + 1] += start[g];
  const order = new Int32Array(start[groups]);
  const fill = start.slice(0, groups);
  for (let r = 0; r < rows; r++) if (groupOfRow[r] >= 0) order[fill[groupOfRow[r]]++] = r;

  const codes = arena.putI32(groupOfRow, "the bootstrap group codes");
  const w = arena.allocF64(rows, "the bootstrap weights");
  const plan = planMoments(arena, { rows, x: input.x, w, codes, groups, alpha: input.alpha });
  const rng = new Rng(seed);
  const fields = ["theil_t", "theil_l", "ge"] as const;
  // Welford's running mean and sum of squared deviations, per field and group; NaN once undefined.
  const mean = fields.map(() => new Float64Array(groups));
  const m2 = fields.map(() => new Float64Array(groups));
  for (let b = 1; b <= B; b++) {
    const draws = arena.f64(w, rows);
    draws.fill(0);
    for (let g = 0; g < groups; g++) {
      const lo = start[g];
      const size = start[g + 1] - lo;
      for (let k = 0; k < size; k++) {
        const r = order[lo + Math.floor(rng.uniform() * size)];
        draws[r] += weights ? weights[r] : 1;
      }
    }
    const moments = runMoments(kernels, arena, plan);
    for (let g = 0; g < groups; g++) {
      const ind = indicesOf(usableMoments(moments, g, input.mode, input.alpha), input.alpha);
      fields.forEach((f, j) => {
        const v = ind[f] ?? NaN;
        const d = v - mean[j][g];
        mean[j][g] += d / b;
        m2[j][g] += d * (v - mean[j][g]);
      });
    }
  }
  const se = (j: number, g: number): number | null => {
    const v = Math.sqrt(m2[j][g] / (B - 1));
    return Number.isFinite(v) ? v : null;
  };
  return Array.from({ length: groups }, (_, g) => ({ theil_t: se(0, g), theil_l: se(1, g), ge: input.alpha === null ? null : se(2, g) }));
}
