import type { Kernels } from "../engine/kernels.js";
import type { Arena } from "../engine/arena.js";
import type { Encoding } from "../data/encode.js";
import { sandwich, scale, symmetricEigen } from "../linalg/matrix.js";
import type { SmallSample } from "./ssc.js";
import { defaultLag, scoreMeat, type PanelEncodings } from "./meat.js";

/**
 * Variance–covariance of OLS coefficients from the bread (X'WX)⁻¹, the residuals and the
 * demeaned regressors in wasm memory. Knows nothing of formulas: callers pass K (the
 * regressors plus the fixed effects' coefficients) already counted.
 */
export type VcovType = "iid" | "hetero" | "cluster" | "nw" | "dk";

export interface VcovRequest {
  readonly type: VcovType;
  /** Cluster variables' encodings over the sample rows (cluster type only). */
  readonly clusters: readonly Encoding[];
  /** Panel id and time (nw, dk), and the lag (default ⌊T^(1/4)⌋ as fixest). */
  readonly panel?: PanelEncodings & { readonly lag?: number };
}

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

export function computeVcov(kern: Kernels, arena: Arena, req: VcovRequest, v: VcovInputs): Vcov {
  const { n, k, dfK, ssc } = v;
  const kAdjN = ssc.kAdj ? n - dfK : n;
  if (req.type === "iid") {
    if (v.dispersion !== undefined) {
      return { matrix: scale(v.bread, v.dispersion * (ssc.kAdj ? (n - 1) / (n - dfK) : 1)), dfT: n - dfK, clusterSizes: [] };
    }
    return { matrix: scale(v.bread, v.ssr / (ssc.kAdj ? n - dfK : n - 1)), dfT: n - dfK, clusterSizes: [] };
  }
  if (req.type === "hetero") {
    const m = scoreMeat(kern, arena, { type: "hetero" }, v);
    // fixest: n/(n−1) (G adjustment with G = n) × (n−1)/(n−K) (K adjustment) = n/(n−K) by default.
    const adj = ssc.kAdj ? (ssc.gAdj ? n : n - 1) / kAdjN : ssc.gAdj ? n / (n - 1) : 1;
    return { matrix: scale(sandwich(v.bread, m, k), adj), dfT: n - dfK, clusterSizes: [] };
  }
  if (req.type === "nw" || req.type === "dk") {
    const panel = req.panel!;
    const periods = panel.time.size;
    const lag = panel.lag ?? defaultLag(periods);
    const meat = scoreMeat(kern, arena, { type: req.type, panel, lag }, v);
    const adj = (ssc.kAdj ? (n - 1) / kAdjN : 1) * (ssc.gAdj && periods > 1 ? periods / (periods - 1) : 1);
    const matrix = eigenFix(scale(sandwich(v.bread, meat, k), adj), k);
    return { matrix, dfT: ssc.tDf === "min" ? Math.max(periods - 1, 1) : n - dfK, clusterSizes: [], lag, periods };
  }
  const clusterSizes = req.clusters.map((c) => c.size);
  const gMin = Math.min(...clusterSizes);
  const meat = scoreMeat(kern, arena, { type: "cluster", clusters: req.clusters }, v);
  const adj = (ssc.kAdj ? (n - 1) / kAdjN : 1) * (ssc.gAdj ? gMin / (gMin - 1) : 1);
  let matrix = scale(sandwich(v.bread, meat, k), adj);
  if (req.clusters.length > 1) matrix = eigenFix(matrix, k);
  return { matrix, dfT: ssc.tDf === "min" ? gMin - 1 : n - dfK, clusterSizes };
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
