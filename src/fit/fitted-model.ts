import type { Level } from "../data/encode.js";
import type { Frame } from "../data/frame.js";
import type { DerivedColumn, Term } from "../formula/parse.js";

/**
 * What a fit keeps for post-estimation (fixef, residuals, fitted values, predict): the
 * coefficients by name, the fixed-effect estimates per level, the sample's row indices and a
 * reference to the data it was given (not a copy); residuals and fitted values are recomputed
 * from them on demand. No wasm memory: the arena is released when the fit returns.
 */
export interface FixedEffectEstimates {
  /** As in the formula: "firm_id", "industry^year". */
  readonly name: string;
  /** The data columns interacted to make it. */
  readonly variables: readonly string[];
  /** Levels, sorted as fixest sorts them; interactions are named "a_b". */
  readonly levels: readonly Level[];
  /** One estimate per level. */
  readonly values: Float64Array;
}

export interface FittedModel {
  readonly depvar: string;
  /** Exogenous terms of the formula and whether an intercept was estimated. */
  readonly terms: readonly Term[];
  /** The columns the formula computes (transforms), recomputed for new data. */
  readonly derived: readonly DerivedColumn[];
  readonly intercept: boolean;
  /** Endogenous regressors (IV), in formula order. */
  readonly endogenous: readonly string[];
  /** Every regressor column the fit built (kept or dropped), by name. */
  readonly regressors: readonly string[];
  /** Estimated coefficients by name (dropped regressors absent). */
  readonly beta: ReadonlyMap<string, number>;
  /** Fixed effects in formula order, normalised as described in fixef(). */
  readonly fixedEffects: readonly FixedEffectEstimates[];
  /** Row indices (into the data) of the estimation sample, ascending. */
  readonly rows: Int32Array;
  /** The data the fit was given (a reference; frames are not modified). */
  readonly data: Frame;
}
