import type { MemoryView } from "../arena.js";
import type { Kernels } from "../kernels.js";
import { offsets, otherEffects, zero, type DemeanOutcome, type DemeanPlan, type Scratch } from "./plan.js";

/**
 * The "map" demeaning method: alternating projections in the space of the fixed-effect
 * coefficients, as fixest does. One iteration F updates every fixed effect's group means in turn
 * (Gauss–Seidel); the state is the coefficients of all but the first (largest) fixed effect,
 * accelerated by Irons–Tuck extrapolation every two iterations. Stops when no coefficient moves
 * by more than tol (absolutely, or relative to 0.1 + |value|).
 *
 * `warm` (f64, Σ sizes, or 0): the coefficients to start from instead of 0, overwritten with the
 * solution, so a column demeaned again with nearby weights (the IRLS of a GLM) needs fewer sweeps.
 */
export function mapColumn(k: Kernels, arena: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number, warm: number): DemeanOutcome {
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
