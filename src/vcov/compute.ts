import type { Kernels } from "../engine/kernels.js";
import type { Arena } from "../engine/arena.js";
import { InputError } from "../core/errors.js";
import { sandwich, scale, symmetricEigen } from "../linalg/matrix.js";
import type { SmallSample } from "./ssc.js";
import { scoreMeatLanes } from "./meat.js";
import type { BoundVcov } from "./spec.js";

/**
 * Variance–covariance of OLS coefficients from the bread (X'WX)⁻¹, the residuals and the
 * demeaned regressors in wasm memory. Knows nothing of formulas: callers pass K (the
 * regressors plus the fixed effects' coefficients) already counted.
 */
export interface VcovInputs {
  readonly n: number;
  /** Number of kept regressors; their demeaned columns lie contiguously at x. */
  readonly k: number;
  readonly x: number;
  /** Residuals (f64, n). */
  readonly e: number;
  /** Row weights or 0. */
  readonly w: number;
  readonly bread: Float64Array;
  /** Weighted sum of squared residuals. */
  readonly ssr: number;
  /** K of the small-sample correction. */
  readonly dfK: number;
  readonly ssc: SmallSample;
  /**
   * GLMs: the iid variance is bread × dispersion (1 for Poisson and binomial, Σ w e²/(n − K) for
   * Gaussian), times (n − 1)/(n − K) under kAdj, as fixest scales its inverse Hessian. OLS leaves
   * it out: σ² = ssr/(n − K).
   */
  readonly dispersion?: number;
}

export interface Vcov {
  readonly matrix: Float64Array;
  /** Degrees of freedom of the t distribution. */
  readonly dfT: number;
  /** Cluster counts per variable (cluster only). */
  readonly clusterSizes: readonly number[];
  /** Newey–West / Driscoll–Kraay: the lag used and the number of time periods. */
  readonly lag?: number;
  readonly periods?: number;
}

/** The variance of `vcov`; a clustered meat's score sums run in two lanes on `threads` (scoreMeatLanes: the same bytes on any number). */
export async function computeVcov(kern: Kernels, arena: Arena, vcov: BoundVcov, v: VcovInputs, threads: number): Promise<Vcov> {
  const { n, k, dfK, ssc } = v;
  if (vcov.type === "iid") return finishVcov(v, { type: "iid" });
  if (vcov.type === "hetero") return finishVcov(v, { type: "hetero", meat: await scoreMeatLanes(kern, arena, vcov, v, threads) });
  if (vcov.type === "cluster") {
    // One cluster leaves no between-cluster variation: the clustered variance would be 0/0.
    const single = vcov.clusters.find((c) => c.size < 2);
    if (single) {
      throw new InputError(
        "data",
        `the sample (${n} rows) has a single cluster of "${single.name}" (${String(single.levels[0])}); ` +
          `clustered standard errors need at least two clusters: cluster by another variable or use vcov "hetero"`,
      );
    }
    const meat = await scoreMeatLanes(kern, arena, vcov, v, threads);
    return finishVcov(v, { type: "cluster", meat, clusterSizes: vcov.clusters.map((c) => c.size), ways: vcov.clusters.length });
  }
  const kAdjN = ssc.kAdj ? n - dfK : n;
  const periods = vcov.panel.time.size;
  const meat = await scoreMeatLanes(kern, arena, vcov, v, threads);
  const adj = (ssc.kAdj ? (n - 1) / kAdjN : 1) * (ssc.gAdj && periods > 1 ? periods / (periods - 1) : 1);
  const matrix = eigenFix(scale(sandwich(v.bread, meat, k), adj), k);
  return { matrix, dfT: ssc.tDf === "min" ? Math.max(periods - 1, 1) : n - dfK, clusterSizes: [], lag: vcov.lag, periods };
}

/** What a variance needs beyond the meat: the sample size, K, the bread and the SSR (or a GLM's dispersion). */
export type VcovTotals = Pick<VcovInputs, "n" | "k" | "bread" | "ssr" | "dfK" | "ssc" | "dispersion">;

/** A meat Σ s s' already summed, wherever the scores were (wasm kernels here, SQL out of core). */
export type SummedMeat =
  | { readonly type: "iid" }
  | { readonly type: "hetero"; readonly meat: Float64Array }
  | { readonly type: "cluster"; readonly meat: Float64Array; readonly clusterSizes: readonly number[]; readonly ways: number };

/** The iid, heteroskedasticity-robust and clustered variances with fixest's small-sample factors. */
export function finishVcov(t: VcovTotals, m: SummedMeat): Vcov {
  const { n, k, dfK, ssc } = t;
  const kAdjN = ssc.kAdj ? n - dfK : n;
  if (m.type === "iid") {
    if (t.dispersion !== undefined) {
      return { matrix: scale(t.bread, t.dispersion * (ssc.kAdj ? (n - 1) / (n - dfK) : 1)), dfT: n - dfK, clusterSizes: [] };
    }
    return { matrix: scale(t.bread, t.ssr / (ssc.kAdj ? n - dfK : n - 1)), dfT: n - dfK, clusterSizes: [] };
  }
  if (m.type === "hetero") {
    // fixest: n/(n−1) (G adjustment with G = n) × (n−1)/(n−K) (K adjustment) = n/(n−K) by default.
    const adj = ssc.kAdj ? (ssc.gAdj ? n : n - 1) / kAdjN : ssc.gAdj ? n / (n - 1) : 1;
    return { matrix: scale(sandwich(t.bread, m.meat, k), adj), dfT: n - dfK, clusterSizes: [] };
  }
  const gMin = Math.min(...m.clusterSizes);
  const adj = (ssc.kAdj ? (n - 1) / kAdjN : 1) * (ssc.gAdj ? gMin / (gMin - 1) : 1);
  let matrix = scale(sandwich(t.bread, m.meat, k), adj);
  if (m.ways > 1) matrix = eigenFix(matrix, k);
  return { matrix, dfT: ssc.tDf === "min" ? gMin - 1 : n - dfK, clusterSizes: m.clusterSizes };
}

/** Multi-way clustering can give a non-positive-definite matrix: clip negative eigenvalues to 0. */
function eigenFix(a: Float64Array, k: number): Float64Array {
  let negativeVariance = false;
  for (let i = 0; i < k; i++) if (a[i * k + i] < 0) negativeVariance = true;
  if (!negativeVariance) return a;
  const { values, vectors } = symmetricEigen(a, k);
  const out = new Float64Array(k * k);
  for (let e = 0; e < k; e++) {
    const lambda = Math.max(values[e], 0);
    for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) out[r * k + c] += lambda * vectors[r * k + e] * vectors[c * k + e];
  }
  return out;
}
