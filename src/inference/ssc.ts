/**
 * Small-sample corrections, as fixest's ssc(): K adjustment, how fixed effects count in K,
 * the cluster G adjustment and the t degrees of freedom. The defaults reproduce fixest's.
 */
export interface SmallSample {
  /** Multiply by (n−1)/(n−K) (clustered) or n/(n−K) (hetero) / use n−K (iid). */
  readonly kAdj: boolean;
  /** "nested": a fixed effect nested in a cluster variable adds nothing to K. */
  readonly fixefK: "none" | "nested" | "full";
  /** Multiply clustered variances by G/(G−1) (G the smallest cluster count). */
  readonly gAdj: boolean;
  /** "min": t df = G_min − 1 when clustered; "conventional": n − K always. */
  readonly tDf: "min" | "conventional";
}

export const FIXEST_SSC: SmallSample = { kAdj: true, fixefK: "nested", gAdj: true, tDf: "min" };

export interface EffectSize {
  readonly size: number;
  /** Every level lies within one level of some cluster variable. */
  readonly nestedInCluster: boolean;
}

/**
 * K = regressors + the fixed effects' free coefficients. Q fixed effects with sizes G_q
 * carry Σ(G_q − 1) + 1 coefficients (one intercept, the rest differences); a nested effect
 * counts 0 under "nested" (its coefficients are collinear with the cluster's own scores),
 * but the intercept is not counted twice.
 */
export function countK(regressors: number, effects: readonly EffectSize[], ssc: SmallSample): number {
  if (effects.length === 0 || ssc.fixefK === "none") return regressors;
  let k = regressors;
  let anyCounted = false;
  for (const fe of effects) {
    if (ssc.fixefK === "nested" && fe.nestedInCluster) continue;
    k += fe.size - 1;
    anyCounted = true;
  }
  const anyNested = effects.some((fe) => fe.nestedInCluster) && ssc.fixefK === "nested";
  return anyCounted && !anyNested ? k + 1 : k;
}
