import type { Frame, NumericColumn } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { selectColumns } from "../data/select.js";
import { encodeInteraction, type Level } from "../data/encode.js";
import type { ModelSpec } from "../formula/parse.js";
import { openArena } from "../engine/shared.js";
import type { Kernels } from "../engine/kernels.js";
import { allocScratch, type DemeanMethod } from "../engine/absorb/plan.js";
import { planDemean, solveCoefficients } from "../engine/absorb/solver.js";
import { InputError } from "../core/errors.js";
import { designColumns, explicitReferences } from "./design.js";
import { assertNotConsumed } from "../data/consumed.js";
import { hasSlopes } from "./absorb-slopes.js";
import { withDerivedColumns } from "../formula/evaluate.js";
import { termVariables } from "../formula/parse.js";
import type { Sample } from "./sample.js";
import type { FeolsResult } from "./result.js";
import type { FeglmResult } from "./glm-result.js";
import type { FittedModel, FixedEffectEstimates } from "./fitted-model.js";

/**
 * After estimation: the fixed-effect estimates, residuals, fitted values and predictions on new
 * rows. A fit keeps what these need in `fit.model` (coefficients, one estimate per fixed-effect
 * level, residuals and fitted values over the sample); the wasm arena is not kept.
 *
 * Normalisation of the fixed effects: with one fixed effect its estimates are the group means of
 * y − Xβ. With several, only their sums are identified; absorb reports the solution in which the
 * first level (in sorted order) of every fixed effect but the first is 0, and the first fixed
 * effect carries the level (fixest's convention on a connected panel). When the fixed effects
 * split the panel into disconnected groups, one reference per group would be needed: the values
 * are then one solution among many, and only their sums (hence fitted values and predictions)
 * are meaningful.
 */
export interface FittedModelRequest {
  readonly frame: Frame;
  readonly sample: Sample;
  readonly spec: ModelSpec;
  /** Every regressor the fit built (exogenous design columns, then endogenous for IV). */
  readonly regressors: readonly string[];
  /** Names of the estimated coefficients, in the order of beta. */
  readonly keptNames: readonly string[];
  readonly beta: ArrayLike<number>;
  readonly method: DemeanMethod | "none";
  readonly tol: number;
  readonly maxIter: number;
  /** GLMs: the column (over the sample rows) whose part net of Xβ the fixed effects fit, η − offset; default y. */
  readonly target?: Float64Array;
}

/** Builds the post-estimation state: one more projection (of y − Xβ, raw) gives the fixed effects. */
export function fittedModel(k: Kernels, q: FittedModelRequest): FittedModel {
  const { frame, sample, spec } = q;
  const rows = sample.rows;
  const n = rows.length;
  const y = (frame.columns.get(spec.depvar) as NumericColumn).values;
  const beta = new Map<string, number>();
  q.keptNames.forEach((name, j) => beta.set(name, q.beta[j]));
  // The fixed-effect estimates cost one more projection (of y − Xβ, raw): made only when asked
  // for (fixef, predict), so a fit that never needs them does not pay for it.
  let fixedEffects: FixedEffectEstimates[] | undefined;
  const estimateFixedEffects = (): FixedEffectEstimates[] => {
    if (sample.fixedEffects.length === 0) return [];
    if (hasSlopes(spec.fixedEffects)) {
      throw new InputError("option", `fixed-effect estimates (fixef, residuals, fitted, predict) are not available for varying slopes (${spec.fixedEffects.map((fe) => fe.name).join(" + ")})`);
    }
    // r = y − Xβ on the raw (undemeaned) columns; its projection on the fixed effects is Σ_q α_q.
    const r = new Float64Array(n);
    if (q.target) r.set(q.target);
    else for (let i = 0; i < n; i++) r[i] = y[rows[i]];
    const design = new Map(designColumns(frame, spec.terms, rows).map((d) => [d.name, d]));
    const tmp = new Float64Array(n);
    for (const [name, b] of beta) {
      if (name === "(Intercept)") {
        for (let i = 0; i < n; i++) r[i] -= b;
        continue;
      }
      const d = design.get(name);
      if (d) d.fill(tmp);
      else {
        const v = (frame.columns.get(name) as NumericColumn).values;
        for (let i = 0; i < n; i++) tmp[i] = v[rows[i]];
      }
      for (let i = 0; i < n; i++) r[i] -= b * tmp[i];
    }
    return projectFixedEffects(k, sample, r, q.method === "exact" || q.method === "cg" ? q.method : "map", q.tol, q.maxIter);
  };
  return {
    depvar: spec.depvar,
    terms: explicitReferences(frame, spec.terms, rows),
    derived: spec.derived,
    intercept: spec.intercept,
    endogenous: spec.endogenous,
    regressors: q.regressors,
    beta,
    get fixedEffects() {
      return (fixedEffects ??= estimateFixedEffects());
    },
    rows,
    // Only the columns post-estimation reads (shared with the fit's frame, not copied).
    data: {
      nrows: frame.nrows,
      columns: new Map(
        [...new Set([spec.depvar, ...spec.derived.map((d) => d.name), ...spec.variables.filter((v) => !spec.instruments.includes(v) || spec.endogenous.includes(v))])]
          .filter((c) => frame.columns.has(c))
          .map((c) => [c, frame.columns.get(c)!] as const),
      ),
    },
  };
}

/** Runs whenever fixef or predict first asks, long after the fit's own arena closed: it opens one of its own. */
function projectFixedEffects(
  k: Kernels,
  sample: Sample,
  r: Float64Array,
  method: DemeanMethod,
  tol: number,
  maxIter: number,
): FixedEffectEstimates[] {
  const n = r.length;
  const arena = openArena();
  try {
    const order = sample.fixedEffects.map((_, q) => q).sort((a, b) => sample.fixedEffects[b].size - sample.fixedEffects[a].size);
    const weights = sample.weights ? arena.putF64(sample.weights, "weights") : 0;
    const plan = planDemean(k, arena, {
      n,
      rowWeights: weights,
      effects: order.map((q) => {
        const fe = sample.fixedEffects[q];
        return { codes: arena.putI32(fe.codes, `codes of ${fe.name}`), size: fe.size };
      }),
      method,
      // The projection of y − Xβ is solved to a tighter tolerance than the fit's (it is one column).
      tol: Math.min(tol, 1e-10),
      maxIter: Math.max(maxIter, 10_000),
    });
    const { coefficients } = solveCoefficients(k, arena, plan, allocScratch(arena, plan), arena.putF64(r, "y − Xβ"));
    const values: Float64Array[] = new Array(order.length);
    order.forEach((q, j) => (values[q] = coefficients[j]));
    // Normalise: the first level of every fixed effect but the first is the reference (0).
    for (let q = 1; q < values.length; q++) {
      const shift = values[q][0];
      if (shift === 0) continue;
      for (let g = 0; g < values[q].length; g++) values[q][g] -= shift;
      for (let g = 0; g < values[0].length; g++) values[0][g] += shift;
    }
    return sample.fixedEffects.map((fe, q) => ({
      name: fe.name,
      variables: fe.name.split("^"),
      levels: fe.levels,
      values: values[q],
    }));
  } finally {
    arena.close();
  }
}

export function modelOf(fit: { readonly model?: FittedModel }): FittedModel {
  if (!fit.model) throw new InputError("option", "this result carries no post-estimation data (it was not made by feols or feglm)");
  assertNotConsumed(fit.model.data, "post-estimation (fixef, residuals, fitted, predict)", [fit.model.depvar, ...fit.model.regressors]);
  return fit.model;
}

export interface FixefTable {
  /** The fixed effect as in the formula ("firm_id", "industry^year"). */
  readonly name: string;
  readonly levels: readonly Level[];
  /** One estimate per level, in the order of `levels`. */
  readonly values: Float64Array;
  /** The level set to 0 by the normalisation (null for the first fixed effect). */
  readonly reference: Level | null;
}

/**
 * The fixed-effect estimates, one per level, in formula order. Normalisation: the first fixed
 * effect carries the level; every other one has its first level (sorted order) at 0 — see the
 * module notes for disconnected panels.
 */
export function fixef(fit: FeolsResult | FeglmResult): FixefTable[] {
  return modelOf(fit).fixedEffects.map((fe, q) => ({
    name: fe.name,
    levels: fe.levels,
    values: fe.values,
    reference: q === 0 ? null : (fe.levels[0] ?? null),
  }));
}

export interface AlignOption {
  /** Return one value per row of the data the fit was given (NaN for rows not in the sample). */
  readonly aligned?: boolean;
}

function align(m: FittedModel, v: Float64Array, o: AlignOption | undefined): Float64Array {
  if (!o?.aligned) return v;
  const out = new Float64Array(m.data.nrows).fill(NaN);
  for (let i = 0; i < m.rows.length; i++) out[m.rows[i]] = v[i];
  return out;
}

/** ŷ over the sample rows of the fit's own data. */
function sampleFitted(m: FittedModel): Float64Array {
  const { values } = linearPredictor(m, m.data, m.rows);
  return Float64Array.from(values, (v) => v ?? NaN);
}

/** y − ŷ over the estimation sample (IV: y − [endogenous, exogenous]β − fixed effects). */
export function residuals(fit: FeolsResult, o?: AlignOption): Float64Array {
  const m = modelOf(fit);
  const y = (m.data.columns.get(m.depvar) as NumericColumn).values;
  const f = sampleFitted(m);
  for (let i = 0; i < f.length; i++) f[i] = y[m.rows[i]] - f[i];
  return align(m, f, o);
}

/** ŷ = Xβ + fixed effects over the estimation sample. */
export function fitted(fit: FeolsResult, o?: AlignOption): Float64Array {
  const m = modelOf(fit);
  return align(m, sampleFitted(m), o);
}

/** Row indices (into the data the fit was given) of the estimation sample. */
export function sampleRows(fit: FeolsResult): Int32Array {
  return modelOf(fit).rows.slice();
}

export interface Prediction {
  /** One value per new row; null where a value is missing or a level was not in the fit. */
  readonly values: (number | null)[];
  /** Rows with a fixed-effect (or i() factor) level the fit never saw. */
  readonly unseen: number;
  /** Rows with a missing value in a column the prediction needs. */
  readonly missing: number;
}

/**
 * Predictions Xβ + fixed effects on new rows (the same columns as the fit: regressors,
 * endogenous regressors for IV, fixed-effect variables). A row whose fixed-effect level did not
 * occur in the estimation sample gets null and is counted in `unseen`; a row with a missing
 * value gets null and is counted in `missing`.
 */
export function predict(fit: FeolsResult, newdata: DataInput): Prediction {
  const m = modelOf(fit);
  // Transforms are recomputed on the new rows (lags would need a panel and are refused).
  const frame = withDerivedColumns(toFrame(newdata), m.derived, null);
  return linearPredictor(m, frame, null);
}

export function linearPredictor(m: FittedModel, frame: Frame, rows: Int32Array | null): Prediction {
  const fixedVars = m.fixedEffects.flatMap((fe) => fe.variables);
  const termVars = m.terms.flatMap(termVariables);
  const needed = [...new Set([...termVars, ...m.endogenous, ...fixedVars])];
  selectColumns(frame, needed, "the new data");
  const n = rows ? rows.length : frame.nrows;
  const at = rows ?? Int32Array.from({ length: n }, (_, i) => i);
  const out = new Float64Array(n);
  const bad = new Uint8Array(n); // 1 missing, 2 unseen
  for (const name of needed) {
    const col = frame.columns.get(name)!;
    for (let i = 0; i < n; i++) {
      const r = at[i];
      const miss = col.kind === "numeric" ? col.values[r] !== col.values[r] : col.codes[r] < 0;
      if (miss) bad[i] = 1;
    }
  }
  for (const name of [...termVars.filter((v) => !m.terms.some((t) => t.kind === "factor" && t.variable === v)), ...m.endogenous]) {
    if (frame.columns.get(name)!.kind !== "numeric") throw new InputError("column", `column "${name}" of the new data is not numeric`);
  }
  if (m.intercept) out.fill(m.beta.get("(Intercept)") ?? 0);
  const known = new Set(m.regressors);
  const tmp = new Float64Array(n);
  for (const d of designColumns(frame, m.terms, at)) {
    d.fill(tmp);
    const b = m.beta.get(d.name);
    if (b !== undefined) {
      for (let i = 0; i < n; i++) out[i] += b * tmp[i];
    } else if (!known.has(d.name)) {
      // A factor level the fit never saw.
      for (let i = 0; i < n; i++) if (tmp[i] !== 0 && bad[i] === 0) bad[i] = 2;
    }
  }
  for (const name of m.endogenous) {
    const b = m.beta.get(name);
    if (b === undefined) continue;
    const v = (frame.columns.get(name) as NumericColumn).values;
    for (let i = 0; i < n; i++) out[i] += b * v[at[i]];
  }
  for (const fe of m.fixedEffects) {
    const enc = encodeInteraction(fe.variables.map((v) => frame.columns.get(v)!), at);
    // Map the rows' levels to the fit's (directly when the level lists coincide, as on the fit's own sample).
    const same = enc.levels.length === fe.levels.length && enc.levels.every((l, g) => l === fe.levels[g]);
    let map: Int32Array;
    if (same) map = Int32Array.from({ length: enc.size }, (_, g) => g);
    else {
      const index = new Map<string, number>();
      fe.levels.forEach((l, g) => index.set(String(l), g));
      map = Int32Array.from(enc.levels, (l) => index.get(String(l)) ?? -1);
    }
    for (let i = 0; i < n; i++) {
      if (bad[i]) continue;
      const g = enc.codes[i] < 0 ? -1 : map[enc.codes[i]];
      if (g < 0) bad[i] = 2;
      else out[i] += fe.values[g];
    }
  }
  let unseen = 0;
  let missing = 0;
  const values = Array.from(out, (v, i) => {
    if (bad[i] === 1) missing++;
    else if (bad[i] === 2) unseen++;
    return bad[i] ? null : v;
  });
  return { values, unseen, missing };
}
