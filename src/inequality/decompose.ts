/**
 * The exact split of inequality over a sample into a within-group and a between-group part.
 * With population shares p_g = W_g/W and income shares s_g = W_g μ_g / (W μ):
 *
 *   T:     within = Σ s_g T_g,                    between = Σ s_g ln(μ_g/μ)
 *   L:     within = Σ p_g L_g,                    between = Σ p_g ln(μ/μ_g)
 *   GE(α): within = Σ p_g^(1−α) s_g^α GE_g(α),    between = [Σ p_g (μ_g/μ)^α − 1] / (α(α−1))
 *
 * The total is computed from the pooled sums, not as within + between, so the identity
 * total = within + between is a check, not a definition. A group holding only zeros (μ_g = 0,
 * kept with nonpositive "keep-zeros") has s_g = 0 and adds nothing to T or GE(α > 0).
 *
 * The between part is often tiny (groups with nearly equal means), so it is evaluated from
 * d_g = μ_g/μ − 1 computed without cancellation (exact products, one rounding), then
 * ln(μ_g/μ) = log1p(d_g) and (μ_g/μ)^α − 1 = expm1(α·log1p(d_g)): its error is then a few
 * ulps of its own size, not of 1. The shares and μ come from the groups' own sums.
 */
import { indicesOf, type Indices, type UsableMoments } from "./indices.js";

export interface Split {
  readonly total: number | null;
  readonly within: number | null;
  readonly between: number | null;
}

export interface Splits {
  readonly theil_t: Split;
  readonly theil_l: Split;
  /** With α only. */
  readonly ge: Split | null;
}

const NONE: Split = { total: null, within: null, between: null };

/** Splits the inequality of `total` (the pooled sums) over `parts` (the groups' sums). */
export function decompose(total: UsableMoments, parts: readonly UsableMoments[], alpha: number | null): Splits {
  const all = indicesOf(total, alpha);
  if (all.mean === null || !(all.mean > 0)) {
    return { theil_t: { ...NONE, total: all.theil_t }, theil_l: { ...NONE, total: all.theil_l }, ge: alpha === null ? null : { ...NONE, total: all.ge } };
  }
  let sumW = 0;
  let sumWX = 0;
  const used = parts.filter((u) => u.n > 0 && u.sumW > 0);
  for (const u of used) {
    sumW += u.sumW;
    sumWX += u.sumWX;
  }
  const groups = used.map((u) => ({ p: u.sumW / sumW, s: u.sumWX / sumWX, logRatio: Math.log1p(relativeGap(u, sumW, sumWX)), ind: indicesOf(u, alpha) }));
  const t = splitT(all, groups);
  const l = splitL(all, groups);
  let ge: Split | null = null;
  if (alpha !== null) ge = alpha === 1 ? { ...t, total: all.ge } : alpha === 0 ? { ...l, total: all.ge } : splitGE(all, groups, alpha);
  return { theil_t: t, theil_l: l, ge };
}

interface Part {
  /** Population (weight) share. */
  readonly p: number;
  /** Income share. */
  readonly s: number;
  /** ln(μ_g / μ). */
  readonly logRatio: number;
  readonly ind: Indices;
}

function splitT(all: Indices, groups: readonly Part[]): Split {
  let within = 0;
  let between = 0;
  for (const g of groups) {
    if (g.s === 0) continue;
    if (g.ind.theil_t === null) return { ...NONE, total: all.theil_t };
    within += g.s * g.ind.theil_t;
    between += g.s * g.logRatio;
  }
  return { total: all.theil_t, within, between };
}

function splitL(all: Indices, groups: readonly Part[]): Split {
  if (all.theil_l === null) return NONE;
  let within = 0;
  let between = 0;
  for (const g of groups) {
    if (g.ind.theil_l === null) return { ...NONE, total: all.theil_l };
    within += g.p * g.ind.theil_l;
    between -= g.p * g.logRatio;
  }
  return { total: all.theil_l, within, between };
}

function splitGE(all: Indices, groups: readonly Part[], alpha: number): Split {
  if (all.ge === null) return NONE;
  let within = 0;
  let excess = 0;
  for (const g of groups) {
    const weight = Math.pow(g.p, 1 - alpha) * Math.pow(g.s, alpha);
    if (weight === 0) continue;
    if (g.ind.ge === null) return { ...NONE, total: all.ge };
    within += weight * g.ind.ge;
    excess += g.p * Math.expm1(alpha * g.logRatio);
  }
  return { total: all.ge, within, between: excess / (alpha * (alpha - 1)) };
}

/**
 * μ_g/μ − 1 = (WX_g·W − W_g·WX) / (W_g·WX), the two products formed exactly (Dekker's
 * splitting), so their difference, the small number that matters, is rounded once.
 */
function relativeGap(u: UsableMoments, sumW: number, sumWX: number): number {
  const [a, ea] = exactProduct(u.sumWX, sumW);
  const [b, eb] = exactProduct(u.sumW, sumWX);
  return (a - b + (ea - eb)) / (u.sumW * sumWX);
}

const SPLITTER = 134217729; // 2^27 + 1

/** [p, e] with p = fl(a·b) and p + e = a·b exactly (no overflow assumed). */
function exactProduct(a: number, b: number): [number, number] {
  const p = a * b;
  const ca = SPLITTER * a;
  const ah = ca - (ca - a);
  const al = a - ah;
  const cb = SPLITTER * b;
  const bh = cb - (cb - b);
  const bl = b - bh;
  return [p, ((ah * bh - p) + ah * bl + al * bh) + al * bl];
}
