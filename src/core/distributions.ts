import tCdf from "@stdlib/stats-base-dists-t-cdf";
import tQuantile from "@stdlib/stats-base-dists-t-quantile";
import fCdf from "@stdlib/stats-base-dists-f-cdf";
import chisqCdf from "@stdlib/stats-base-dists-chisquare-cdf";
import normalCdf from "@stdlib/stats-base-dists-normal-cdf";

/**
 * Tail probabilities from the reference distributions. Small p-values are computed from the
 * lower tail of −|t| (not 1 − cdf), so they keep their relative precision down to ~1e-300.
 */
export function tPValue(t: number, df: number): number {
  return 2 * tCdf(-Math.abs(t), df);
}

export function tCritical(level: number, df: number): number {
  return tQuantile(1 - (1 - level) / 2, df);
}

export function fPValue(stat: number, df1: number, df2: number): number {
  return 1 - fCdf(stat, df1, df2);
}

export function chisqPValue(stat: number, df: number): number {
  return 1 - chisqCdf(stat, df);
}

export function normalPValue(z: number): number {
  return 2 * normalCdf(-Math.abs(z), 0, 1);
}
