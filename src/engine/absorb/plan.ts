import type { Arena, MemoryView } from "../arena.js";
import { cgScratchLength, type CgPlan } from "./cg.js";

/**
 * A demeaning plan: where a set of fixed effects lies in the shared memory (pointers and sizes,
 * so a worker over the same memory can run it), the method chosen for it and what the method
 * built once for all columns; and the per-thread scratch one column at a time needs.
 */
export type DemeanMethod = "map" | "exact" | "cg";
export type DemeanMethodOption = "auto" | DemeanMethod;

/** Above this many small-effect levels the dense exact solve costs more than iterating. */
export const EXACT_MAX_LEVELS = 1200;

/** Relative pivot below which a level of the Schur complement is redundant (the system is rank-deficient by design). */
export const SCHUR_PIVOT_TOL = 1e-9;

/** A Factor whose lower triangle lives in the shared memory, so a plan crosses to workers without copying it. */
export interface SharedFactor {
  readonly size: number;
  readonly kept: readonly number[];
  readonly dropped: readonly number[];
  /** f64 pointer to kept.length² values */
  readonly lower: number;
}

export interface FixedEffectPlan {
  /** int32 codes, n rows */
  readonly codes: number;
  readonly size: number;
  /** f64 per-group weight sums (counts when unweighted) */
  readonly weights: number;
}

export interface DemeanPlan {
  readonly n: number;
  /** f64 row weights, or 0 */
  readonly rowWeights: number;
  /** Largest fixed effect first. */
  readonly fes: readonly FixedEffectPlan[];
  readonly method: DemeanMethod;
  readonly tol: number;
  readonly maxIter: number;
  /** Exact method: factor of the small effects' Schur complement (levels in fes[1..] order). */
  readonly factor: SharedFactor | null;
  /** cg method: the preconditioner and tables built once per fit (cg.ts). */
  readonly cg?: CgPlan | null;
}

/** Per-thread working memory for one column at a time. */
export interface Scratch {
  /** f64, Σ sizes: Σ w·x per group, all fixed effects back to back */
  readonly sums: number;
  /** f64, Σ sizes: the coefficients, all fixed effects back to back (the exact method's: `sums` itself) */
  readonly coef: number;
  /** f64, the largest size gathered into (exact: of the small effects): the gathered sums of the other effects */
  readonly acc: number;
  /** u32 tables of code, coefficient and sum pointers (Q each), for the general kernels */
  readonly codeTable: number;
  readonly coefTable: number;
  readonly sumsTable: number;
  /** Per fixed effect j, u32 tables of the other effects' code and coefficient pointers (Q > 3 only). */
  readonly otherTables: readonly { readonly codes: number; readonly coef: number }[];
  /** cg method: f64 work vectors (cgScratchLength), 0 otherwise. */
  readonly work?: number;
}

export interface DemeanOutcome {
  readonly iterations: number;
  readonly converged: boolean;
}

/**
 * "auto": the dense exact solve while the small effects have few levels, else cg. Measured on a
 * 2-core machine (bench/hard-case.ts and like runs), cg beat map on every panel with more small
 * levels tried: 1M-row firm-year panels with firm + year + industry^age (1,413 small levels:
 * 0.8 s vs 6.5 s end to end) and firm + industry^year^region + age^year (1,961: 1.5 s vs 2.5 s),
 * and worker–firm panels (1M rows, worker + firm + year): mobility along a line (cg 0.4–0.7 s in
 * 1 iteration; map not converged after 1,000 sweeps, 22 s, at 5% movers, nor after 10,000,
 * 198 s, at 50%) and mobility to random firms (1.2–2 s, 13 CG iterations, vs 1.7–3.7 s, 75 sweeps).
 */
export function chooseMethod(option: DemeanMethodOption, sizes: readonly number[]): DemeanMethod {
  if (option !== "auto") return option;
  const small = sizes.slice(1).reduce((a, b) => a + b, 0);
  return small <= EXACT_MAX_LEVELS ? "exact" : "cg";
}

/** The other fixed effects than j, in order. */
export function otherEffects(q: number, j: number): number[] {
  const o: number[] = [];
  for (let p = 0; p < q; p++) if (p !== j) o.push(p);
  return o;
}


/** Each fixed effect's first coefficient in the back-to-back coefficient arrays, and their total. */
export function offsets(plan: Pick<DemeanPlan, "fes">): number[] {
  const off = [0];
  for (const fe of plan.fes) off.push(off[off.length - 1] + fe.size);
  return off;
}

/** The small effects' (all but the first) numbering of their levels together: each one's first level, and how many in all. */
export function smallLevels(fes: readonly FixedEffectPlan[]): { offsets: number[]; levels: number } {
  const offsets: number[] = [];
  let levels = 0;
  for (const fe of fes.slice(1)) {
    offsets.push(levels);
    levels += fe.size;
  }
  return { offsets, levels };
}

export function allocScratch(arena: Arena, plan: Pick<DemeanPlan, "fes" | "method"> & { readonly cg?: CgPlan | null }): Scratch {
  const total = plan.fes.reduce((a, fe) => a + fe.size, 0);
  // The exact method gathers into `acc` for the small effects only (the first is solved from its sums alone).
  const gathered = plan.method === "exact" ? plan.fes.slice(1) : plan.fes;
  const accSize = gathered.reduce((a, fe) => Math.max(a, fe.size), 1);
  const sums = arena.allocF64(total, "fixed-effect sums");
  // The exact method turns each effect's sums into its coefficients where they lie (exact.ts):
  // no sums are read once their coefficients are made, so one array holds both (at 5M rows,
  // 10 MB a scratch area for the firms).
  const coef = plan.method === "exact" ? sums : arena.allocF64(total, "fixed-effect coefficients");
  const acc = arena.allocF64(accSize, "fixed-effect scratch");
  const off = offsets(plan);
  const coefPtrs = plan.fes.map((_, q) => coef + off[q] * 8);
  const codeTable = arena.putU32(plan.fes.map((fe) => fe.codes));
  const coefTable = arena.putU32(coefPtrs);
  const sumsTable = arena.putU32(plan.fes.map((_, q) => sums + off[q] * 8));
  const q = plan.fes.length;
  const otherTables =
    q > 3
      ? plan.fes.map((_, j) => {
          const o = otherEffects(q, j);
          return { codes: arena.putU32(o.map((p) => plan.fes[p].codes)), coef: arena.putU32(o.map((p) => coefPtrs[p])) };
        })
      : [];
  const work = plan.cg ? arena.allocF64(cgScratchLength(plan.cg), "cg work vectors") : 0;
  return { sums, coef, acc, codeTable, coefTable, sumsTable, otherTables, work };
}

/** Sets n f64 at ptr to 0. */
export function zero(arena: MemoryView, ptr: number, n: number): void {
  arena.f64(ptr, n).fill(0);
}
