import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { allocScratch, chooseMethod, demeanColumn, exactFactor, type DemeanMethod, type DemeanMethodOption, type DemeanPlan } from "../engine/demean.js";
import { EstimationError } from "../errors.js";
import type { EncodedEffect } from "./sample.js";
import { columnPtr, type ModelMatrix } from "./model-matrix.js";

export interface AbsorbOptions {
  readonly method: DemeanMethodOption;
  readonly tol: number;
  readonly maxIter: number;
  readonly allowNonConvergence: boolean;
}

export interface AbsorbOutcome {
  readonly iterations: number;
  readonly converged: boolean;
  readonly method: DemeanMethod | "none";
}

/**
 * Projects every column of the model matrix off the fixed effects, in place. The fixed
 * effects go largest first (the exact method absorbs the first by group means).
 */
export async function absorbFixedEffects(
  k: Kernels,
  arena: Arena,
  m: ModelMatrix,
  effects: readonly EncodedEffect[],
  o: AbsorbOptions,
): Promise<AbsorbOutcome> {
  if (effects.length === 0) return { iterations: 0, converged: true, method: "none" };
  const { n } = m;
  const fes = [...effects].sort((a, b) => b.size - a.size);
  const method = chooseMethod(o.method, fes.map((fe) => fe.size));
  const fePlans = fes.map((fe) => {
    const codes = arena.putI32(fe.codes, `codes of ${fe.name}`);
    const sizes = arena.allocF64(fe.size);
    arena.f64(sizes, fe.size).fill(0);
    k.group_weights(n, m.weights, codes, sizes);
    return { codes, size: fe.size, weights: sizes };
  });
  const plan: DemeanPlan = {
    n,
    rowWeights: m.weights,
    fes: fePlans,
    method,
    tol: o.tol,
    maxIter: o.maxIter,
    factor: method === "exact" && fes.length > 1 ? exactFactor(k, arena, n, fePlans, m.weights) : null,
  };
  const scratch = allocScratch(arena, plan);
  let iterations = 0;
  let converged = true;
  for (let c = 0; c < m.names.length; c++) {
    const outcome = demeanColumn(k, arena, plan, scratch, columnPtr(m, c), columnPtr(m, c));
    iterations = Math.max(iterations, outcome.iterations);
    converged &&= outcome.converged;
  }
  if (!converged && !o.allowNonConvergence) {
    throw new EstimationError(
      "convergence",
      `demeaning did not converge within ${o.maxIter} iterations (tol ${o.tol}); raise maxIter (--max-iter), ` +
        `loosen tol (--tol), try method "exact", or pass allowNonConvergence (--allow-nonconvergence) to get the result anyway`,
    );
  }
  return { iterations, converged, method };
}
