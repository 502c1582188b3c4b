import type { Frame, NumericColumn } from "../data/frame.js";
import { isAbsorbed } from "./absorbed.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { InputError } from "../core/errors.js";
import type { FixedEffect } from "../formula/parse.js";
import { choleskyDropping, solveFactor } from "../linalg/cholesky.js";
import {COLLINEAR_TOL } from "./least-squares.js";
import { columnPtr, type ModelMatrix } from "./model-matrix.js";
import { absorbFixedEffects, type AbsorbOptions, type AbsorbOutcome, type PreparedAbsorption } from "./absorb-effects.js";
import type { EncodedEffect, Sample } from "./sample.js";
import type { EffectSize } from "../vcov/ssc.js";
import { crossprodInto } from "../engine/cross-products.js";

/**
 * Fixed effects with varying slopes (fe[x]: an effect and a slope on x per level; fe[[x]]: the
 * slopes alone), projected out exactly, without iterations. The effect with the most
 * coefficients is absorbed group by group — within each level, a weighted regression on
 * [1, x − x̄] (or [x]) — and every other effect becomes explicit dense columns (dummies, and
 * dummies × x for slopes) partialled out after it (Frisch–Waugh), with collinear columns
 * dropped by a pivoted Cholesky factorisation. So the demeaning is exact to rounding whatever
 * tolerance is asked for; the other effects together may have at most MAX_DENSE coefficients.
 */
export const MAX_DENSE = 3000;

interface SlopeEffect {
  readonly name: string;
  readonly codes: Int32Array;
  readonly size: number;
  readonly intercept: boolean;
  /** Slope variables over the sample rows. */
  readonly slopes: readonly Float64Array[];
}

/**
 * Projects the model matrix off a model's fixed effects: exactly with varying slopes, else by the
 * demeaning method asked for (with the absorption started for it, when there is one).
 */
export function absorbModel(
  k: Kernels,
  arena: Arena,
  m: ModelMatrix,
  frame: Frame,
  sample: Sample,
  written: readonly FixedEffect[],
  o: AbsorbOptions,
  prepared: PreparedAbsorption | null,
): Promise<AbsorbOutcome> {
  if (hasSlopes(written)) return Promise.resolve(absorbWithSlopes(k, arena, m, frame, sample.rows, sample.fixedEffects, written));
  return absorbFixedEffects(k, arena, m, sample.fixedEffects, o, undefined, prepared);
}

/** Whether any fixed effect has varying slopes. */
export function hasSlopes(effects: readonly FixedEffect[]): boolean {
  return effects.some((fe) => fe.slopes !== undefined);
}

export function absorbWithSlopes(
  k: Kernels,
  arena: Arena,
  m: ModelMatrix,
  frame: Frame,
  rows: Int32Array,
  encoded: readonly EncodedEffect[],
  written: readonly FixedEffect[],
): AbsorbOutcome {
  const effects: SlopeEffect[] = encoded.map((e, q) => ({
    name: e.name,
    codes: e.codes,
    size: e.size,
    intercept: !written[q]!.slopesOnly,
    slopes: (written[q]!.slopes ?? []).map((s) => Float64Array.from(rows, (r) => (frame.columns.get(s) as NumericColumn).values[r])),
  }));
  const coefficients = (e: SlopeEffect) => e.size * ((e.intercept ? 1 : 0) + e.slopes.length);
  const large = effects.reduce((a, b) => (coefficients(b) > coefficients(a) ? b : a));
  const others = effects.filter((e) => e !== large);
  const dense = others.reduce((s, e) => s + coefficients(e), 0);
  if (dense > MAX_DENSE) {
    throw new InputError(
      "formula",
      `varying slopes: besides ${large.name}, the fixed effects ${others.map((e) => e.name).join(", ")} have ${dense} coefficients; ` +
        `at most ${MAX_DENSE} are supported with varying slopes (only one fixed effect may have many levels)`,
    );
  }
  const { n } = m;
  const w = m.weights ? arena.f64(m.weights, n) : null;
  const project = groupProjection(large, w);
  // The other effects as dense columns, projected off the large one.
  const dPtr = arena.allocF64(Math.max(dense, 1) * n, `${dense} varying-slope columns of ${n} rows`);
  let d = 0;
  const raw: number[] = [];
  for (const e of others) {
    const bases: (Float64Array | null)[] = [...(e.intercept ? [null] : []), ...e.slopes];
    for (const x of bases) {
      for (let g = 0; g < e.size; g++) {
        const col = arena.f64(dPtr + d * n * 8, n);
        for (let i = 0; i < n; i++) col[i] = e.codes[i] === g ? (x ? x[i] : 1) : 0;
        raw.push(weightedSquares(col, w));
        project(col);
        d++;
      }
    }
  }
  const gram = arena.allocF64(Math.max(d * d, 1));
  if (d > 0) crossprodInto(k, arena, n, d, dPtr, m.weights, gram);
  const c = arena.f64(gram, d * d).slice();
  // A column the large effect absorbs (industry dummies within firms) is left out before factoring.
  for (let j = 0; j < d; j++) {
    if (isAbsorbed(c[j * d + j], raw[j]!)) for (let i = 0; i < d; i++) { c[j * d + i] = 0; c[i * d + j] = 0; }
  }
  const factor = choleskyDropping(c, d, COLLINEAR_TOL);
  const rhs = arena.allocF64(Math.max(d, 1));
  for (let j = 0; j < m.names.length; j++) {
    const z = arena.f64(columnPtr(m, j), n);
    project(z);
    if (factor.kept.length === 0) continue;
    k.crossprod_vec(n, d, dPtr, columnPtr(m, j), m.weights, rhs);
    const b = solveFactor(factor, arena.f64(rhs, d));
    for (const q of factor.kept) {
      const col = arena.f64(dPtr + q * n * 8, n);
      const bq = b[q]!;
      for (let i = 0; i < n; i++) z[i] -= bq * col[i];
    }
  }
  return { iterations: 0, converged: true, method: "exact" };
}

/**
 * The small-sample K of effects with varying slopes, as fixest counts it: fe[x] is the effect
 * (its levels less one, unless nested in a cluster) plus one coefficient per level and slope;
 * fe[[x]] the slopes alone.
 */
export function slopeSizes(sizes: readonly EffectSize[], written: readonly FixedEffect[]): EffectSize[] {
  return sizes.flatMap((e, q) => {
    const fe = written[q]!;
    if (!fe.slopes) return [e];
    const slopes = { size: e.size * fe.slopes.length + 1, nestedInCluster: false };
    return fe.slopesOnly ? [slopes] : [e, slopes];
  });
}

function weightedSquares(x: Float64Array, w: Float64Array | null): number {
  let s = 0;
  for (let i = 0; i < x.length; i++) s += (w ? w[i]! : 1) * x[i]! * x[i]!;
  return s;
}

/** z ← z minus its weighted least-squares fit on the effect's basis, level by level. */
function groupProjection(e: SlopeEffect, w: Float64Array | null): (z: Float64Array) => void {
  const n = e.codes.length;
  const s = e.slopes.length;
  // With the effect itself the slopes are centred within each level: the same span, better conditioned.
  const centred = e.slopes.map((x) => {
    if (!e.intercept) return x;
    const sum = new Float64Array(e.size);
    const mass = new Float64Array(e.size);
    for (let i = 0; i < n; i++) {
      const wi = w ? w[i]! : 1;
      sum[e.codes[i]!] += wi * x[i]!;
      mass[e.codes[i]!] += wi;
    }
    return Float64Array.from(x, (v, i) => v - sum[e.codes[i]!]! / mass[e.codes[i]!]!);
  });
  const p = (e.intercept ? 1 : 0) + s;
  const basis = (i: number, j: number) => (e.intercept ? (j === 0 ? 1 : centred[j - 1]![i]!) : centred[j]![i]!);
  const grams = new Float64Array(e.size * p * p);
  for (let i = 0; i < n; i++) {
    const o = e.codes[i]! * p * p;
    const wi = w ? w[i]! : 1;
    for (let a = 0; a < p; a++) for (let b = 0; b < p; b++) grams[o + a * p + b] += wi * basis(i, a) * basis(i, b);
  }
  // Per level, the generalised inverse of its Gram matrix (a level with one row has no slope).
  const inverses = new Float64Array(e.size * p * p);
  const unit = new Float64Array(p);
  for (let g = 0; g < e.size; g++) {
    const f = choleskyDropping(grams.subarray(g * p * p, (g + 1) * p * p), p, COLLINEAR_TOL);
    for (let b = 0; b < p; b++) {
      unit.fill(0);
      unit[b] = 1;
      const col = solveFactor(f, unit);
      for (let a = 0; a < p; a++) inverses[g * p * p + a * p + b] = col[a]!;
    }
  }
  const moments = new Float64Array(e.size * p);
  return (z) => {
    moments.fill(0);
    for (let i = 0; i < n; i++) {
      const o = e.codes[i]! * p;
      const wz = (w ? w[i]! : 1) * z[i]!;
      for (let a = 0; a < p; a++) moments[o + a] += wz * basis(i, a);
    }
    for (let i = 0; i < n; i++) {
      const g = e.codes[i]!;
      let fit = 0;
      for (let a = 0; a < p; a++) {
        let coef = 0;
        for (let b = 0; b < p; b++) coef += inverses[g * p * p + a * p + b]! * moments[g * p + b]!;
        fit += coef * basis(i, a);
      }
      z[i] -= fit;
    }
  };
}
