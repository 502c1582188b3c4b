import type { Arena, MemoryView } from "../arena.js";
import type { Kernels } from "../kernels.js";
import { choleskyDropping, solveFactor, type Factor } from "../../linalg/cholesky.js";
import { offsets, SCHUR_PIVOT_TOL, smallLevels, zero, type DemeanOutcome, type DemeanPlan, type FixedEffectPlan, type Scratch, type SharedFactor } from "./plan.js";

/**
 * The "exact" demeaning method: the largest fixed effect is absorbed by group means and the
 * small ones (years, industry×year) are solved from their dense Schur complement
 * A = D₂'WD₂ − D₂'WD₁(D₁'WD₁)⁻¹D₁'WD₂, built and factored once per fit from per-group counts;
 * each column then needs a handful of passes and no iterations, and the projection is exact.
 */

/**
 * Where the Schur complement of the small fixed effects given the first (largest) one is built
 * (schur-task.ts): the rows grouped by the first effect with a counting sort, then the matrix.
 */
export interface SchurBuild {
  readonly n: number;
  readonly firstCodes: number;
  readonly firstSize: number;
  /** u32 table of the small effects' code pointers, and i32 table of their first levels. */
  readonly smallCodes: number;
  readonly smallCount: number;
  readonly offsets: number;
  readonly rowWeights: number;
  readonly levels: number;
  /** Scratch: group starts (first size + 1), row order (n), c (levels), touched (levels); out: a (levels²). */
  readonly start: number;
  readonly order: number;
  readonly a: number;
  readonly c: number;
  readonly touched: number;
}

/** The buffers of a Schur build in `arena`, the sums zeroed. */
export function schurBuild(arena: Arena, n: number, fes: readonly FixedEffectPlan[], rowWeights: number): SchurBuild {
  const small = fes.slice(1);
  const { offsets, levels } = smallLevels(fes);
  const a = arena.allocF64(levels * levels, "the fixed effects' Schur complement");
  arena.f64(a, levels * levels).fill(0);
  const c = arena.allocF64(levels);
  arena.f64(c, levels).fill(0);
  return {
    n,
    firstCodes: fes[0].codes,
    firstSize: fes[0].size,
    smallCodes: arena.putU32(small.map((fe) => fe.codes)),
    smallCount: small.length,
    offsets: arena.putI32(offsets),
    rowWeights,
    levels,
    start: arena.allocI32(fes[0].size + 1),
    order: arena.allocI32(n, "row order"),
    a,
    c,
    touched: arena.allocI32(levels),
  };
}

/** Runs a Schur build (on whichever thread has the kernels `k`). */
export function buildSchur(k: Kernels, b: SchurBuild): void {
  k.counting_sort(b.n, b.firstCodes, b.firstSize, b.start, b.order);
  k.schur_complement(b.firstSize, b.start, b.order, b.smallCount, b.smallCodes, b.offsets, b.rowWeights, b.levels, b.a, b.c, b.touched);
}

/** The factor of the Schur complement (levels × levels, row-major), in `arena`. */
export function schurFactor(arena: Arena, matrix: Float64Array, levels: number): SharedFactor {
  const f = choleskyDropping(matrix, levels, SCHUR_PIVOT_TOL);
  return { size: f.size, kept: f.kept, dropped: f.dropped, lower: arena.putF64(f.lower, "the Schur complement's factor") };
}

/** The factored Schur complement built on this thread, its scratch given back. */
export function exactFactor(k: Kernels, arena: Arena, n: number, fes: readonly FixedEffectPlan[], rowWeights: number): SharedFactor {
  const mark = arena.mark();
  const b = schurBuild(arena, n, fes, rowWeights);
  buildSchur(k, b);
  const matrix = arena.f64(b.a, b.levels * b.levels).slice();
  arena.release(mark);
  return schurFactor(arena, matrix, b.levels);
}

/** coef_first = group means of `x` by the first fixed effect. */
function firstMeans(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number): void {
  zero(arena, s.sums, plan.fes[0].size);
  k.group_sums(plan.n, x, plan.rowWeights, plan.fes[0].codes, s.sums);
  solveFirst(k, plan, s);
}

/** coef_first = the first fixed effect's sums (in s.sums) over its group weights. */
function solveFirst(k: Kernels, plan: DemeanPlan, s: Scratch): void {
  const fe = plan.fes[0];
  k.solve_groups(fe.size, s.sums, 0, fe.weights, s.coef);
}

/**
 * Projects the column at x off the fixed effects into out (may alias), leaving every effect's
 * coefficients in s.coef. Four passes over the rows with two or more effects: every effect's
 * sums of x; the first effect's means summed into the small effects' groups; the small effects'
 * part taken off with the first effect's sums of what is left; the first effect's part taken off.
 */
export function exactColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number): DemeanOutcome {
  const { n, fes, rowWeights } = plan;
  const q = fes.length;
  if (q === 1) {
    firstMeans(k, arena, plan, s, x);
  } else {
    const off = offsets(plan);
    const levels = off[q] - off[1];
    zero(arena, s.sums, off[q]);
    k.group_sums_all(n, x, rowWeights, q, s.codeTable, s.sumsTable);
    solveFirst(k, plan, s);
    // b = D₂'W(x − D₁ m₁): per small level, the weighted sum of x net of its first-effect means.
    for (let j = 1; j < q; j++) {
      zero(arena, s.acc, fes[j].size);
      k.gather_scatter1(n, fes[j].codes, s.acc, rowWeights, fes[0].codes, s.coef);
      const sv = arena.f64(s.sums + off[j] * 8, fes[j].size);
      const av = arena.f64(s.acc, fes[j].size);
      for (let g = 0; g < fes[j].size; g++) sv[g] -= av[g];
    }
    const f = plan.factor!;
    const factor: Factor = { ...f, lower: arena.f64(f.lower, f.kept.length * f.kept.length) };
    const gamma = solveFactor(factor, arena.f64(s.sums + off[1] * 8, levels));
    arena.f64(s.coef + off[1] * 8, levels).set(gamma);
    zero(arena, s.sums, fes[0].size);
    k.residual_group_sums(n, x, out, q - 1, s.codeTable + 4, s.coefTable + 4, rowWeights, fes[0].codes, s.sums);
    solveFirst(k, plan, s);
    x = out;
  }
  k.fe_residual(n, x, out, 1, s.codeTable, s.coefTable);
  return { iterations: 0, converged: true };
}
