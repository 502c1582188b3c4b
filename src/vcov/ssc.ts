import { InputError } from "../core/errors.js";

/**
 * Small-sample corrections, as fixest's ssc(): K adjustment, how fixed effects count in K,
 * the cluster G adjustment and the t degrees of freedom. The defaults reproduce fixest's.
 */
export interface SmallSample {
  /** Multiply by (n−1)/(n−K): iid σ² = SSR/(n−K) (else SSR/(n−1)); hetero, cluster, NW, DK × (n−1)/(n−K). */
  readonly kAdj: boolean;
  /** "nested": a fixed effect nested in a cluster variable (NW: the panel id or time; DK: time) adds nothing to K. */
  readonly fixefK: "none" | "nested" | "full";
  /** Multiply by G/(G−1): clustered (G the smallest cluster count), NW and DK (G = time periods), hetero (G = n). */
  readonly gAdj: boolean;
  /** "min": t df = G_min − 1 when clustered, T − 1 for NW and DK; "conventional": n − K always. */
  readonly tDf: "min" | "conventional";
}

export const FIXEST_SSC: SmallSample = { kAdj: true, fixefK: "nested", gAdj: true, tDf: "min" };

export interface EffectSize {
  readonly size: number;
  /** Every level lies within one level of some cluster variable (or, for Newey–West / Driscoll–Kraay, a panel variable). */
  readonly nestedInCluster: boolean;
}

/**
 * K = regressors + the fixed effects' free coefficients, as fixest counts them: Q fixed effects
 * with sizes G_q carry Σ(G_q − 1) + 1 coefficients (one intercept, the rest differences). Under
 * "nested", an effect nested in a cluster (or panel) variable adds 0 — its coefficients are
 * collinear with that variable's own scores — but the intercept still counts once: firm + year
 * effects clustered by firm give K = regressors + (years − 1) + 1. "none" counts the regressors
 * only. (Checked against fixest 0.12's ivf1 df2 and its clustered, Newey–West and
 * Driscoll–Kraay standard errors on the reference panel.)
 */
export function countK(regressors: number, effects: readonly EffectSize[], ssc: SmallSample): number {
  if (effects.length === 0 || ssc.fixefK === "none") return regressors;
  let k = regressors + 1;
  for (const fe of effects) {
    if (ssc.fixefK === "nested" && fe.nestedInCluster) continue;
    k += fe.size - 1;
  }
  return k;
}

/**
 * The same four choices as reghdfe makes by default (it agrees with fixest on them: fixed effects
 * nested in a cluster are not counted, (n − 1)/(n − K) · G/(G − 1), t df = G − 1 when clustered).
 * reghdfe also subtracts fixed-effect coefficients made redundant by disconnected fixed-effect
 * graphs (mobility groups); absorb counts Σ(G_q − 1) + 1 as fixest does, which is the same on a
 * connected panel.
 */
export const REGHDFE_SSC: SmallSample = { kAdj: true, fixefK: "nested", gAdj: true, tDf: "min" };

/** Presets by name: "fixest" (the default) and "reghdfe". */
export const SSC_PRESETS: Readonly<Record<string, SmallSample>> = { fixest: FIXEST_SSC, reghdfe: REGHDFE_SSC };

/** What the API accepts for `ssc`: a preset name or any subset of the four choices (the rest fixest's). */
export type SscOption = "fixest" | "reghdfe" | Partial<SmallSample>;

export function resolveSsc(o: SscOption | undefined): SmallSample {
  if (o === undefined) return FIXEST_SSC;
  if (typeof o === "string") {
    const preset = SSC_PRESETS[o];
    if (!preset) throw new InputError("option", `unknown ssc preset "${o}": use "fixest" or "reghdfe", or { kAdj, fixefK, gAdj, tDf }`);
    return preset;
  }
  const out = { ...FIXEST_SSC, ...o };
  if (typeof out.kAdj !== "boolean") throw new InputError("option", `ssc.kAdj must be true or false (got ${JSON.stringify(out.kAdj)})`);
  if (typeof out.gAdj !== "boolean") throw new InputError("option", `ssc.gAdj must be true or false (got ${JSON.stringify(out.gAdj)})`);
  if (!["none", "nested", "full"].includes(out.fixefK))
    throw new InputError("option", `ssc.fixefK must be "none", "nested" or "full" (got ${JSON.stringify(out.fixefK)})`);
  if (!["min", "conventional"].includes(out.tDf)) throw new InputError("option", `ssc.tDf must be "min" or "conventional" (got ${JSON.stringify(out.tDf)})`);
  return { kAdj: out.kAdj, fixefK: out.fixefK, gAdj: out.gAdj, tDf: out.tDf };
}

/**
 * The CLI's --ssc: a preset ("fixest", "reghdfe") or comma-separated key=value pairs with
 * fixest's names, e.g. "k_adj=true,fixef_k=nested,g_adj=true,t_df=min" (keys left out keep
 * fixest's defaults).
 */
export function parseSscFlag(text: string): SmallSample {
  const t = text.trim();
  if (SSC_PRESETS[t]) return SSC_PRESETS[t];
  const out: { kAdj?: boolean; fixefK?: SmallSample["fixefK"]; gAdj?: boolean; tDf?: SmallSample["tDf"] } = {};
  const bool = (key: string, v: string): boolean => {
    if (v === "true" || v === "TRUE" || v === "1") return true;
    if (v === "false" || v === "FALSE" || v === "0") return false;
    throw new InputError("option", `--ssc ${key} must be true or false (got "${v}")`);
  };
  for (const part of t.split(",")) {
    const m = /^\s*([a-z_.]+)\s*=\s*([A-Za-z0-9]+)\s*$/.exec(part);
    if (!m) {
      throw new InputError(
        "option",
        `--ssc "${text}" is not understood: use reghdfe, fixest, or key=value pairs such as k_adj=true,fixef_k=nested,g_adj=true,t_df=min`,
      );
    }
    const [, key, value] = m;
    switch (key.replace(/\./g, "_")) {
      case "k_adj":
      case "adj":
        out.kAdj = bool(key, value);
        break;
      case "g_adj":
      case "cluster_adj":
        out.gAdj = bool(key, value);
        break;
      case "fixef_k":
        if (value !== "none" && value !== "nested" && value !== "full") throw new InputError("option", `--ssc fixef_k must be none, nested or full (got "${value}")`);
        out.fixefK = value;
        break;
      case "t_df":
        if (value !== "min" && value !== "conventional") throw new InputError("option", `--ssc t_df must be min or conventional (got "${value}")`);
        out.tDf = value;
        break;
      default:
        throw new InputError("option", `--ssc: unknown key "${key}"; keys are k_adj, fixef_k, g_adj, t_df`);
    }
  }
  return resolveSsc(out);
}

/** The JSON form: {"k_adj", "fixef_k", "g_adj", "t_df"}. */
export function sscJson(s: SmallSample): { k_adj: boolean; fixef_k: string; g_adj: boolean; t_df: string } {
  return { k_adj: s.kAdj, fixef_k: s.fixefK, g_adj: s.gAdj, t_df: s.tDf };
}
