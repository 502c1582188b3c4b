/**
 * The indices from a group's moment sums (weights w, unit when unweighted; μ = Σwx/Σw):
 *
 *   Theil T  = Σw (x/μ) ln(x/μ) / Σw          = Σwx·ln x / Σwx − ln μ
 *   Theil L  = Σw ln(μ/x) / Σw                = ln μ − Σw·ln x / Σw
 *   GE(α)    = [Σw (x/μ)^α / Σw − 1] / (α(α−1)) = [Σw·x^α / (Σw·μ^α) − 1] / (α(α−1))
 *
 * GE(1) is T and GE(0) is L (their limits), and are returned as such. Zeros enter T and
 * GE(α > 0) with 0·ln 0 = 0 and 0^α = 0; L and GE(α ≤ 0) are undefined (null) where the rows
 * hold a zero. A one-row group's indices are 0.
 */
import { N_NEG, N_POS, N_ZERO, STRIDE, SUM_W, SUM_WLNX, SUM_WX, SUM_WXA, SUM_WXLNX, W_ZERO } from "./moments.js";

/** What is done with values ≤ 0: see TheilOptions.nonpositive. */
export type NonpositiveMode = "error" | "drop" | "keep-zeros";

/** The sums of the rows an index is computed over, after the non-positive rule. */
export interface UsableMoments {
  /** Rows. */
  readonly n: number;
  readonly sumW: number;
  readonly sumWX: number;
  readonly sumWXLnX: number;
  /** null where the rows hold a zero (ln 0). */
  readonly sumWLnX: number | null;
  /** null when α was not asked, or α ≤ 0 and the rows hold a zero. */
  readonly sumWXA: number | null;
  /** Rows left out for a value ≤ 0. */
  readonly dropped: number;
}

export interface Indices {
  readonly mean: number | null;
  readonly theil_t: number | null;
  readonly theil_l: number | null;
  readonly ge: number | null;
}

/**
 * The usable sums of record `g` of a moments table under the non-positive rule: "drop" (and
 * "error", which has already failed if any value was ≤ 0) uses the positive rows only;
 * "keep-zeros" adds the zero rows back (negative values were an error).
 */
export function usableMoments(m: Float64Array, g: number, mode: NonpositiveMode, alpha: number | null): UsableMoments {
  const o = g * STRIDE;
  const zeros = m[o + N_ZERO];
  const keepZeros = mode === "keep-zeros" && zeros > 0;
  const wxa = alpha === null ? null : keepZeros && alpha <= 0 ? null : m[o + SUM_WXA];
  return {
    n: m[o + N_POS] + (keepZeros ? zeros : 0),
    sumW: m[o + SUM_W] + (keepZeros ? m[o + W_ZERO] : 0),
    sumWX: m[o + SUM_WX],
    sumWXLnX: m[o + SUM_WXLNX],
    sumWLnX: keepZeros ? null : m[o + SUM_WLNX],
    sumWXA: wxa,
    dropped: (keepZeros ? 0 : zeros) + m[o + N_NEG],
  };
}

/** Mean, T, L and GE(α) of one group; all null for a group with no rows (or no weight). */
export function indicesOf(u: UsableMoments, alpha: number | null): Indices {
  if (u.n === 0 || !(u.sumW > 0)) return { mean: null, theil_t: null, theil_l: null, ge: null };
  const mean = u.sumWX / u.sumW;
  if (u.n === 1) {
    const zero = mean > 0 ? 0 : null;
    return { mean, theil_t: zero, theil_l: u.sumWLnX === null ? null : zero, ge: alpha === null || u.sumWXA === null ? null : zero };
  }
  const logMean = Math.log(mean);
  // μ = 0 (every value zero) leaves every index undefined.
  const t = mean > 0 ? u.sumWXLnX / u.sumWX - logMean : null;
  const l = u.sumWLnX === null ? null : logMean - u.sumWLnX / u.sumW;
  return { mean, theil_t: t, theil_l: l, ge: alpha === null ? null : generalizedEntropy(u, alpha, mean, t, l) };
}

function generalizedEntropy(u: UsableMoments, alpha: number, mean: number, t: number | null, l: number | null): number | null {
  if (alpha === 1) return t;
  if (alpha === 0) return l;
  if (u.sumWXA === null || !(mean > 0)) return null;
  return (u.sumWXA / (u.sumW * Math.pow(mean, alpha)) - 1) / (alpha * (alpha - 1));
}
