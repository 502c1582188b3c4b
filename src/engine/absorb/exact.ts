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
 * Builds the Schur complement of the small fixed effects given the first (largest) one, in
 * wasm (rows grouped by the first effect with a counting sort), and factors it.
 */
export function exactFactor(k: Kernels, arena: Arena, n: number, fes: readonly FixedEffectPlan[], rowWeights: number): SharedFactor {
  const mark = arena.mark();
  const first = fes[0];
  const small = fes.slice(1);
  const { offsets, levels } = smallLevels(fes);
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

/** coef_first = group means of `x` by the first fixed effect. */
function firstMeans(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number): void {
  const fe = plan.fes[0];
  zero(arena, s.sums, fe.size);
  zero(arena, s.acc, fe.size);
  k.group_sums(plan.n, x, plan.rowWeights, fe.codes, s.sums);
  k.solve_groups(fe.size, s.sums, s.acc, fe.weights, s.coef);
}

/** Projects the column at x off the fixed effects into out (may alias), leaving every effect's coefficients in s.coef. */
export function exactColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number): DemeanOutcome {
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
