/** A column whose demeaned spread is below this share of its raw spread is absorbed by the fixed effects. */
const ABSORBED_TOL = 1e-9;

/**
 * Whether a column is absorbed by the fixed effects: its spread after demeaning, Σw x̃², against
 * Σw (x − x̄)² before. Written as !(a > b) so that a NaN spread counts as absorbed. Every estimator
 * and the out-of-core fit drop a regressor by this one rule.
 */
export function isAbsorbed(within: number, rawSpread: number): boolean {
  return !(within > ABSORBED_TOL * rawSpread);
}
