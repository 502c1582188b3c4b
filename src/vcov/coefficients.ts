import { normalPValue, tCritical, tPValue } from "../core/distributions.js";

/** Φ⁻¹(0.975): the normal 95% critical value. */
const Z_975 = 1.959963984540054;

export interface Coefficient {
  readonly name: string;
  readonly estimate: number;
  readonly se: number;
  readonly t: number;
  readonly p: number;
  /** 95% confidence bounds from the t distribution with the model's df. */
  readonly confLow: number;
  readonly confHigh: number;
}

/**
 * Estimates with their standard errors, t statistics, p-values and 95% intervals. With `scales`,
 * `vcov` is that of β / scales (rescaled regressors): standard errors are scaled after the square
 * root, so they stay finite where the variance itself is beyond float64. dfT = Infinity gives z
 * statistics with normal p-values and intervals (Poisson and binomial GLMs, as fixest).
 */
export function coefficientTable(names: readonly string[], beta: ArrayLike<number>, vcov: Float64Array, dfT: number, scales?: ArrayLike<number>): Coefficient[] {
  const k = names.length;
  const normal = dfT === Infinity;
  const crit = normal ? Z_975 : tCritical(0.95, dfT);
  return names.map((name, i) => {
    const estimate = beta[i];
    const se = Math.sqrt(vcov[i * k + i]) * (scales ? scales[i] : 1);
    const t = estimate / se;
    return { name, estimate, se, t, p: normal ? normalPValue(t) : tPValue(t, dfT), confLow: estimate - crit * se, confHigh: estimate + crit * se };
  });
}
