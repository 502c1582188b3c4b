import type { Kernels } from "./kernels.js";
import { choleskyDropping, solveFactor, type Factor } from "../linalg/cholesky.js";
import type { Arena, MemoryView } from "./arena.js";
import { cgColumn, cgScratchLength, type CgPlan } from "./cg.js";

/**
 * Projection of columns off the fixed effects ("demeaning"), driven from TypeScript over
 * wasm kernels that each stream the rows once.
 *
 * Three methods:
 * - "map": alternating projections in the space of the fixed-effect coefficients, as fixest
 *   does: one iteration F updates every fixed effect's group means in turn (Gauss–Seidel) and
 *   the state is the coefficients of all but the first (largest) fixed effect, accelerated by
 *   Irons–Tuck extrapolation every two iterations. Stops when no coefficient moves by more than
 *   tol (absolutely, or relative to 0.1 + |value|).
 * - "exact": the largest fixed effect is absorbed by group means and the small ones (years,
 *   industry×year) are solved from their dense Schur complement
 *   A = D₂'WD₂ − D₂'WD₁(D₁'WD₁)⁻¹D₁'WD₂, built once per fit from per-group counts; each column
 *   then needs a handful of passes and no iterations, and the projection is exact.
 * - "cg": as "exact", but the small effects' Schur system is solved by conjugate gradients
 *   preconditioned with a sparse (envelope) Cholesky factor of it, for when the small effects
 *   have too many levels for a dense solve (worker + firm + year: see cg.ts).
 *
 * Everything a column needs is in a DemeanPlan (pointers and sizes, so a worker over the same
 * shared memory can run it) and a Scratch (per-thread buffers).
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
  /** f64, Σ sizes: the coefficients, all fixed effects back to back */
  readonly coef: number;
  /** f64, max size: the gathered sums of the other effects */
  readonly acc: number;
  /** u32 tables of code and coefficient pointers (Q each), for the general kernels */
  readonly codeTable: number;
  readonly coefTable: number;
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

function otherEffects(q: number, j: number): number[] {
  const o: number[] = [];
  for (let p = 0; p < q; p++) if (p !== j) o.push(p);
  return o;
}

function offsets(plan: Pick<DemeanPlan, "fes">): number[] {
  const off = [0];
  for (const fe of plan.fes) off.push(off[off.length - 1] + fe.size);
  return off;
}

export function allocScratch(arena: Arena, plan: Pick<DemeanPlan, "fes"> & { readonly cg?: CgPlan | null }): Scratch {
  const total = plan.fes.reduce((a, fe) => a + fe.size, 0);
  const maxSize = plan.fes.reduce((a, fe) => Math.max(a, fe.size), 0);
  const sums = arena.allocF64(total, "fixed-effect sums");
  const coef = arena.allocF64(total, "fixed-effect coefficients");
  const acc = arena.allocF64(maxSize, "fixed-effect scratch");
  const off = offsets(plan);
  const coefPtrs = plan.fes.map((_, q) => coef + off[q] * 8);
  const codeTable = arena.putU32(plan.fes.map((fe) => fe.codes));
  const coefTable = arena.putU32(coefPtrs);
  const q = plan.fes.length;
  const otherTables =
    q > 3
      ? plan.fes.map((_, j) => {
          const o = otherEffects(q, j);
          return { codes: arena.putU32(o.map((p) => plan.fes[p].codes)), coef: arena.putU32(o.map((p) => coefPtrs[p])) };
        })
      : [];
  const work = plan.cg ? arena.allocF64(cgScratchLength(plan.cg), "cg work vectors") : 0;
  return { sums, coef, acc, codeTable, coefTable, otherTables, work };
}

/**
 * Builds the Schur complement of the small fixed effects given the first (largest) one, in
 * wasm (rows grouped by the first effect with a counting sort), and factors it.
 */
export function exactFactor(k: Kernels, arena: Arena, n: number, fes: readonly FixedEffectPlan[], rowWeights: number): SharedFactor {
  const mark = arena.mark();
  const first = fes[0];
  const small = fes.slice(1);
  const offsets: number[] = [];
  let levels = 0;
  for (const fe of small) {
    offsets.push(levels);
    levels += fe.size;
  }
  const start = arena.allocI32(first.size + 1);
  const order = arena.allocI32(n, "row order");
  k.counting_sort(n, first.codes, first.size, start, order);
  const a = arena.allocF64(levels * levels, "the fixed effects' Schur complement");
  arena.f64(a, levels * levels).fill(0);
  const c = arena.allocF64(levels);
  arena.f64(c, levels).fill(0);
  const touched = arena.allocI32(levels);
  k.schur_complement(first.size, start, order, small.length, arena.putU32(small.map((fe) => fe.codes)), arena.putI32(offsets), rowWeights, levels, a, c, touched);
  const matrix = arena.f64(a, levels * levels).slice();
  arena.release(mark);
  const f = choleskyDropping(matrix, levels, SCHUR_PIVOT_TOL);
  return { size: f.size, kept: f.kept, dropped: f.dropped, lower: arena.putF64(f.lower, "the Schur complement's factor") };
}

/**
 * Demeans the column at `x` into `out` (which may equal x). `warm` (map only; f64, Σ sizes):
 * the fixed-effect coefficients to start from instead of 0, overwritten with the solution, so a
 * column demeaned again with nearby weights (the IRLS of a GLM) needs fewer sweeps.
 */
export function demeanColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number, warm = 0): DemeanOutcome {
  const q = plan.fes.length;
  if (q === 0) {
    if (out !== x) arena.f64(out, plan.n).set(arena.f64(x, plan.n));
    return { iterations: 0, converged: true };
  }
  if (plan.method === "cg" && q > 1 && plan.cg) return cgColumn(k, arena, plan, s, x, out);
  return plan.method === "exact" || q === 1 ? exactColumn(k, arena, plan, s, x, out) : mapColumn(k, arena, plan, s, x, out, warm);
}

function zero(arena: MemoryView, ptr: number, n: number): void {
  arena.f64(ptr, n).fill(0);
}

/** coef_first = group means of `x` by the first fixed effect. */
function firstMeans(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number): void {
  const fe = plan.fes[0];
  zero(arena, s.sums, fe.size);
  zero(arena, s.acc, fe.size);
  k.group_sums(plan.n, x, plan.rowWeights, fe.codes, s.sums);
  k.solve_groups(fe.size, s.sums, s.acc, fe.weights, s.coef);
}

function exactColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number): DemeanOutcome {
  const { n, fes, rowWeights } = plan;
  const q = fes.length;
  if (q > 1) {
    const off = offsets(plan);
    const levels = off[q] - off[1];
    firstMeans(k, arena, plan, s, x);
    // b = D₂'W(x − D₁ m₁): per small level, the weighted sum of x net of its first-effect means.
    for (let j = 1; j < q; j++) {
      const sums = s.sums + off[j] * 8;
      zero(arena, sums, fes[j].size);
      zero(arena, s.acc, fes[j].size);
      k.group_sums(n, x, rowWeights, fes[j].codes, sums);
      k.gather_scatter1(n, fes[j].codes, s.acc, rowWeights, fes[0].codes, s.coef);
      const sv = arena.f64(sums, fes[j].size);
      const av = arena.f64(s.acc, fes[j].size);
      for (let g = 0; g < fes[j].size; g++) sv[g] -= av[g];
    }
    const f = plan.factor!;
    const factor: Factor = { ...f, lower: arena.f64(f.lower, f.kept.length * f.kept.length) };
    const gamma = solveFactor(factor, arena.f64(s.sums + off[1] * 8, levels));
    arena.f64(s.coef + off[1] * 8, levels).set(gamma);
    k.fe_residual(n, x, out, q - 1, s.codeTable + 4, s.coefTable + 4);
    x = out;
  }
  firstMeans(k, arena, plan, s, x);
  k.fe_residual(n, x, out, 1, s.codeTable, s.coefTable);
  return { iterations: 0, converged: true };
}

function mapColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number, warm: number): DemeanOutcome {
  const { n, fes, rowWeights, tol, maxIter } = plan;
  const q = fes.length;
  const off = offsets(plan);
  const coefPtr = (j: number) => s.coef + off[j] * 8;
  for (let j = 0; j < q; j++) {
    zero(arena, s.sums + off[j] * 8, fes[j].size);
    k.group_sums(n, x, rowWeights, fes[j].codes, s.sums + off[j] * 8);
  }
  const stateLength = off[q] - off[1];
  if (warm) arena.f64(s.coef, off[q]).set(arena.f64(warm, off[q]));
  else zero(arena, s.coef, off[q]);

  const others = fes.map((_, j) => otherEffects(q, j));

  const sweep = (): void => {
    for (let j = 0; j < q; j++) {
      const fe = fes[j];
      zero(arena, s.acc, fe.size);
      const o = others[j];
      if (q === 2) k.gather_scatter1(n, fe.codes, s.acc, rowWeights, fes[o[0]].codes, coefPtr(o[0]));
      else if (q === 3) k.gather_scatter2(n, fe.codes, s.acc, rowWeights, fes[o[0]].codes, coefPtr(o[0]), fes[o[1]].codes, coefPtr(o[1]));
      else k.gather_scatterN(n, fe.codes, s.acc, rowWeights, q - 1, s.otherTables[j].codes, s.otherTables[j].coef);
      k.solve_groups(fe.size, s.sums + off[j] * 8, s.acc, fe.weights, coefPtr(j));
    }
  };
  const state = () => arena.f64(coefPtr(1), stateLength);
  const converged = (a: Float64Array, b: Float64Array): boolean => {
    for (let i = 0; i < a.length; i++) {
      const d = Math.abs(a[i] - b[i]);
      if (d > tol && d / (0.1 + Math.abs(a[i])) > tol) return false;
    }
    return true;
  };

  let iterations = 0;
  let done = false;
  while (!done && iterations < maxIter) {
    const x0 = state().slice();
    sweep();
    iterations++;
    const gx = state().slice();
    if (converged(x0, gx) || iterations >= maxIter) {
      done = converged(x0, gx);
      break;
    }
    sweep();
    iterations++;
    const ggx = state();
    if (converged(gx, ggx)) {
      done = true;
      break;
    }
    // Irons–Tuck: extrapolate along the last two steps.
    let num = 0;
    let den = 0;
    for (let i = 0; i < stateLength; i++) {
      const d2 = ggx[i] - gx[i];
      const dd = d2 - (gx[i] - x0[i]);
      num += d2 * dd;
      den += dd * dd;
    }
    if (den > 0) {
      const step = num / den;
      for (let i = 0; i < stateLength; i++) ggx[i] -= step * (ggx[i] - gx[i]);
    }
  }
  k.fe_residual(n, x, out, q, s.codeTable, s.coefTable);
  if (warm) arena.f64(warm, off[q]).set(arena.f64(s.coef, off[q]));
  return { iterations, converged: done };
}
