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
  // Rows already grouped by the first effect: the order is the identity, neither written nor read.
  const grouped = k.counting_sort(b.n, b.firstCodes, b.firstSize, b.start, b.order) === 1;
  k.schur_complement(b.firstSize, b.start, grouped ? 0 : b.order, b.smallCount, b.smallCodes, b.offsets, b.rowWeights, b.levels, b.a, b.c, b.touched);
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

/** A column to project: from x into out (may alias), with its own scratch. */
export interface ExactColumn {
  readonly s: Scratch;
  readonly x: number;
  readonly out: number;
}

/** Whether the plan's columns can be projected two at a time (exactColumns): unweighted, two or three fixed effects. */
export function projectsPairs(plan: DemeanPlan): boolean {
  return plan.method === "exact" && plan.rowWeights === 0 && (plan.fes.length === 2 || plan.fes.length === 3);
}

/** Projects the column at x off the fixed effects into out (may alias), leaving every effect's coefficients in s.coef. */
export function exactColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number): DemeanOutcome {
  return exactColumns(k, arena, plan, [{ s, x, out }])[0];
}

/**
 * Projects one column, or two (where projectsPairs), off the fixed effects, each as exactColumn
 * projects it alone: a pair's passes read the codes once for both (the pair kernels of
 * assembly/demean.ts), and each column gets the same bytes. Each sum is read last just before
 * its coefficient is made, so the exact method's scratch holds both in one array (allocScratch).
 * Four passes over the rows with two or more effects: every effect's sums of x; the first
 * effect's means summed into the small effects' groups; the small effects' part taken off with
 * the first effect's sums of what is left; the first effect's part taken off.
 */
export function exactColumns(k: Kernels, arena: MemoryView, plan: DemeanPlan, columns: readonly ExactColumn[]): DemeanOutcome[] {
  const { n, fes, rowWeights } = plan;
  const q = fes.length;
  const [one, two] = columns;
  const outcome = columns.map(() => ({ iterations: 0, converged: true }));
  if (q === 1) {
    for (const c of columns) {
      firstMeans(k, arena, plan, c.s, c.x);
      k.fe_residual(n, c.x, c.out, 1, c.s.codeTable, c.s.coefTable);
    }
    return outcome;
  }
  const off = offsets(plan);
  const levels = off[q] - off[1];
  for (const c of columns) zero(arena, c.s.sums, off[q]);
  if (two) k.group_sums_all_pair(n, one.x, two.x, q, one.s.codeTable, one.s.sumsTable, two.s.sumsTable);
  else k.group_sums_all(n, one.x, rowWeights, q, one.s.codeTable, one.s.sumsTable);
  for (const c of columns) solveFirst(k, plan, c.s);
  // b = D₂'W(x − D₁ m₁): per small level, the weighted sum of x net of its first-effect means.
  for (let j = 1; j < q; j++) {
    for (const c of columns) zero(arena, c.s.acc, fes[j].size);
    if (two) k.gather_scatter1_pair(n, fes[j].codes, fes[0].codes, one.s.acc, one.s.coef, two.s.acc, two.s.coef);
    else k.gather_scatter1(n, fes[j].codes, one.s.acc, rowWeights, fes[0].codes, one.s.coef);
    for (const c of columns) {
      const sv = arena.f64(c.s.sums + off[j] * 8, fes[j].size);
      const av = arena.f64(c.s.acc, fes[j].size);
      for (let g = 0; g < fes[j].size; g++) sv[g] -= av[g];
    }
  }
  const f = plan.factor!;
  const factor: Factor = { ...f, lower: arena.f64(f.lower, f.kept.length * f.kept.length) };
  for (const c of columns) {
    const gamma = solveFactor(factor, arena.f64(c.s.sums + off[1] * 8, levels));
    arena.f64(c.s.coef + off[1] * 8, levels).set(gamma);
    zero(arena, c.s.sums, fes[0].size);
  }
  const small = one.s.codeTable + 4;
  if (two) {
    k.residual_group_sums_pair(n, q - 1, small, fes[0].codes, one.x, one.out, one.s.coefTable + 4, one.s.sums, two.x, two.out, two.s.coefTable + 4, two.s.sums);
    for (const c of columns) solveFirst(k, plan, c.s);
    k.fe_residual_pair(n, fes[0].codes, one.out, one.out, one.s.coef, two.out, two.out, two.s.coef);
  } else {
    k.residual_group_sums(n, one.x, one.out, q - 1, small, one.s.coefTable + 4, rowWeights, fes[0].codes, one.s.sums);
    solveFirst(k, plan, one.s);
    k.fe_residual(n, one.out, one.out, 1, one.s.codeTable, one.s.coefTable);
  }
  return outcome;
}
