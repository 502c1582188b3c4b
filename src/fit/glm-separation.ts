import type { Encoding } from "../data/encode.js";
import type { Frame, NumericColumn } from "../data/frame.js";
import type { ModelSpec } from "../formula/parse.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import type { Sample } from "./sample.js";
import { buildModelMatrix, columnPtr, type ModelMatrix } from "./model-matrix.js";
import { absorbFixedEffects, type AbsorbOptions } from "./absorb-effects.js";
import { augmentedGram, leastSquares } from "./least-squares.js";

/**
 * Separation by the fixed effects: in a fixed-effect group whose outcome is all zero (Poisson)
 * or all 0 / all 1 (logit, probit) the group's coefficient goes to ±∞ and its rows fit
 * perfectly; they carry no information on the other coefficients and are removed, as fixest
 * and ppmlhdfe remove them. Removing one group's rows can leave another group all zero, so the
 * pass repeats until no group is separated.
 */
export type OutcomeKind = "count" | "binary";

/**
 * Rows to keep (1) after iterated removal of separated groups, or null when no row goes.
 * `y` holds the outcome at the rows the encodings' codes describe.
 */
export function separatedByFixedEffects(fes: readonly Encoding[], y: Float64Array, kind: OutcomeKind): Uint8Array | null {
  const n = y.length;
  const keep = new Uint8Array(n).fill(1);
  let removed = 0;
  let changed = true;
  while (changed) {
    changed = false;
    for (const fe of fes) {
      const rows = new Float64Array(fe.size);
      const positive = new Float64Array(fe.size);
      const codes = fe.codes;
      for (let i = 0; i < n; i++) {
        if (!keep[i]) continue;
        rows[codes[i]]++;
        // Poisson: rows with y > 0; binary: rows with y = 1.
        if (y[i] > 0) positive[codes[i]]++;
      }
      for (let i = 0; i < n; i++) {
        if (!keep[i]) continue;
        const g = codes[i];
        const separated = positive[g] === 0 || (kind === "binary" && positive[g] === rows[g]);
        if (separated) {
          keep[i] = 0;
          removed++;
          changed = true;
        }
      }
    }
  }
  return removed > 0 ? keep : null;
}

/**
 * Separation by the regressors (Correia, Guimarães & Zylkin 2021, the "ReLU" method of
 * ppmlhdfe), Poisson only: rows with y = 0 for which some combination z = Xγ + fixed effects is
 * > 0 while z = 0 wherever y > 0 have μ → 0 at the likelihood's supremum, so the estimates do
 * not exist until they are removed. The method regresses u on the regressors and fixed
 * effects, u = 0 where y > 0 (held there by a large weight) and u = max(fit, 0) where y = 0,
 * starting from u = 1, until the fit is non-negative on the zeros: the rows where it is
 * positive are the separated ones. Returns their frame row indices (empty when none).
 */
export async function separatedByRegressors(
  k: Kernels,
  arena: Arena,
  frame: Frame,
  spec: ModelSpec,
  sample: Sample,
  demeaning: AbsorbOptions,
): Promise<Int32Array> {
  const y = (frame.columns.get(spec.depvar) as NumericColumn).values;
  const rows = sample.rows;
  const n = rows.length;
  const zero = Uint8Array.from(rows, (r) => (y[r] === 0 ? 1 : 0));
  const weights = Float64Array.from(zero, (z) => (z ? 1 : RELU_POSITIVE_WEIGHT));
  const mark = arena.mark();
  try {
    const { matrix: m, regressors } = await buildModelMatrix(k, arena, {
      frame, rows, weights, depvar: spec.depvar, intercept: spec.intercept, terms: spec.terms, extra: [], threads: demeaning.threads,
    });
    if (regressors.length === 0) return new Int32Array(0);
    const u = Float64Array.from(zero);
    arena.f64(columnPtr(m, 0), n).set(u);
    await absorbFixedEffects(k, arena, m, sample.fixedEffects, demeaning);
    let p = regressors.length;
    const single: ModelMatrix = { ...m, names: ["u"], rawSpread: [] };
    for (let iter = 0; iter < RELU_MAX_ITER; iter++) {
      const inner = arena.mark();
      const gram = await augmentedGram(k, arena, n, columnPtr(m, 0), p, m.weights, demeaning.threads);
      const ls = await leastSquares(k, arena, { n, y: columnPtr(m, 0), p, w: m.weights, absorbed: new Set(), names: regressors.slice(0, p), gram, threads: demeaning.threads });
      p = ls.kept.length;
      const resid = arena.f64(ls.resid, n);
      let negative = false;
      for (let i = 0; i < n; i++) {
        const fit = u[i] - resid[i];
        if (zero[i] && fit < -RELU_TOL) negative = true;
        u[i] = zero[i] ? Math.max(fit, 0) : 0;
      }
      if (!negative) {
        const out: number[] = [];
        for (let i = 0; i < n; i++) if (zero[i] && u[i] > RELU_TOL) out.push(rows[i]);
        arena.release(inner);
        return Int32Array.from(out);
      }
      arena.release(inner);
      arena.f64(columnPtr(m, 0), n).set(u);
      await absorbFixedEffects(k, arena, single, sample.fixedEffects, demeaning);
    }
    return new Int32Array(0);
  } finally {
    arena.release(mark);
  }
}

/** Weight holding the fit at 0 on rows with y > 0. */
const RELU_POSITIVE_WEIGHT = 1e8;
/** A fitted value within this of 0 counts as 0 (u starts at 1). */
const RELU_TOL = 1e-6;
const RELU_MAX_ITER = 1000;
