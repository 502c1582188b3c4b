import { createRequire } from "node:module";
import type TCdf from "@stdlib/stats-base-dists-t-cdf";
import type TQuantile from "@stdlib/stats-base-dists-t-quantile";
import type FCdf from "@stdlib/stats-base-dists-f-cdf";
import type ChisqCdf from "@stdlib/stats-base-dists-chisquare-cdf";
import type NormalCdf from "@stdlib/stats-base-dists-normal-cdf";

/**
 * Tail probabilities from the reference distributions. Small p-values are computed from the
 * lower tail of −|t| (not 1 − cdf), so they keep their relative precision down to ~1e-300.
 *
 * Each @stdlib distribution is required when first called: they are hundreds of small CommonJS
 * files (the t distribution ~330 of them, about 0.1 s), which a process that only reads, or
 * fits without a Wald, IV or GLM statistic, need not load. require is synchronous, so these
 * functions stay synchronous.
 */
const require = createRequire(import.meta.url);

type Distribution = (...args: never[]) => number;

/** `name`'s function, required on its first call. */
function onFirstCall<F extends Distribution>(name: string): (...args: Parameters<F>) => number {
  let loaded: F | undefined;
  return (...args) => (loaded ??= require(name) as F)(...args);
}

const T_CDF = "@stdlib/stats-base-dists-t-cdf";
const T_QUANTILE = "@stdlib/stats-base-dists-t-quantile";
const tCdf = onFirstCall<typeof TCdf>(T_CDF);
const tQuantile = onFirstCall<typeof TQuantile>(T_QUANTILE);
const fCdf = onFirstCall<typeof FCdf>("@stdlib/stats-base-dists-f-cdf");
const chisqCdf = onFirstCall<typeof ChisqCdf>("@stdlib/stats-base-dists-chisquare-cdf");
const normalCdf = onFirstCall<typeof NormalCdf>("@stdlib/stats-base-dists-normal-cdf");

/**
 * Requires the t distribution now rather than at the first p-value: the CLI does so while
 * DuckDB reads the file, when the main thread would otherwise wait.
 */
export function loadTDistribution(): void {
  require(T_CDF);
  require(T_QUANTILE);
}

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
