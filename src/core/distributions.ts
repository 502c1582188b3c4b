import type TCdf from "@stdlib/stats-base-dists-t-cdf";
import type TQuantile from "@stdlib/stats-base-dists-t-quantile";
import type FCdf from "@stdlib/stats-base-dists-f-cdf";
import type ChisqCdf from "@stdlib/stats-base-dists-chisquare-cdf";
import type NormalCdf from "@stdlib/stats-base-dists-normal-cdf";
import { vendored } from "./vendored.js";

/**
 * Tail probabilities from the reference distributions. Small p-values are computed from the
 * lower tail of −|t| (not 1 − cdf), so they keep their relative precision down to ~1e-300.
 * The distributions are required on first use (core/vendored.ts): a process that reads or builds
 * tables without fitting need not load them.
 */
const tCdf = vendored<typeof TCdf>("stdlib.cjs", "@stdlib/stats-base-dists-t-cdf");
const tQuantile = vendored<typeof TQuantile>("stdlib.cjs", "@stdlib/stats-base-dists-t-quantile");
const fCdf = vendored<typeof FCdf>("stdlib.cjs", "@stdlib/stats-base-dists-f-cdf");
const chisqCdf = vendored<typeof ChisqCdf>("stdlib.cjs", "@stdlib/stats-base-dists-chisquare-cdf");
const normalCdf = vendored<typeof NormalCdf>("stdlib.cjs", "@stdlib/stats-base-dists-normal-cdf");

/**
 * Requires the t distribution now rather than at the first p-value: the CLI does so while
 * DuckDB reads the file, when the main thread would otherwise wait.
 */
export function loadTDistribution(): void {
  tCdf();
  tQuantile();
}

export function tPValue(t: number, df: number): number {
  return 2 * tCdf()(-Math.abs(t), df);
}

export function tCritical(level: number, df: number): number {
  return tQuantile()(1 - (1 - level) / 2, df);
}

export function fPValue(stat: number, df1: number, df2: number): number {
  return 1 - fCdf()(stat, df1, df2);
}

export function chisqPValue(stat: number, df: number): number {
  return 1 - chisqCdf()(stat, df);
}

export function normalPValue(z: number): number {
  return 2 * normalCdf()(-Math.abs(z), 0, 1);
}
