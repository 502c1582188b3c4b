import { placeI32 } from "../engine/resident.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { chooseMethod, type DemeanMethod, type DemeanMethodOption, type DemeanOutcome, type DemeanPlan } from "../engine/absorb/plan.js";
import { planDemean, planDemeanAhead, type DemeanRequest } from "../engine/absorb/solver.js";
import { solveResidualColumns } from "../engine/absorb/columns.js";
import type { CgPlan } from "../engine/absorb/cg.js";
import { defaultThreads } from "../engine/pool.js";
import { EstimationError } from "../core/errors.js";
import type { EncodedEffect } from "./sample.js";
import { columnPtr, type ModelMatrix } from "./model-matrix.js";
import { DEFAULTS, type FeolsOptions } from "./options.js";

export interface AbsorbOptions {
  readonly method: DemeanMethodOption;
  readonly tol: number;
  readonly maxIter: number;
  readonly allowNonConvergence: boolean;
  /** Worker threads; 1 runs on the calling thread. */
  readonly threads: number;
}

/** Projects every column of the model matrix in place; warm: the map method's starting coefficients (width × Σ sizes), or 0. */
function demeanAll(k: Kernels, arena: Arena, m: ModelMatrix, plan: DemeanPlan, threads: number, warm: number): Promise<DemeanOutcome[]> {
  const levels = plan.fes.reduce((a, fe) => a + fe.size, 0);
  const columns = m.names.map((_, c) => ({ input: columnPtr(m, c), output: columnPtr(m, c), warm: warm ? warm + c * levels * 8 : 0 }));
  return solveResidualColumns(k, arena, plan, columns, threads, (list) => "demeaning " + list.map((c) => `"${m.names[c]}"`).join(", "));
}

/** The demeaning options of a fit, with their defaults filled in. */
export function absorbOptions(options: FeolsOptions): AbsorbOptions {
  return {
    method: options.method ?? "auto",
    tol: options.tol ?? DEFAULTS.tol,
    maxIter: options.maxIter ?? DEFAULTS.maxIter,
    allowNonConvergence: options.allowNonConvergence ?? false,
    threads: options.threads ?? defaultThreads(),
  };
}

export interface AbsorbOutcome {
  readonly iterations: number;
  readonly converged: boolean;
  readonly method: DemeanMethod | "none";
  /** Per column of the model matrix, in column order (multiple estimation reports each model's own). */
  readonly columns?: readonly DemeanOutcome[];
}

/**
 * What consecutive projections with the same fixed effects but new row weights (the IRLS of a
 * GLM) can share: the codes in wasm memory and the cg method's preconditioner. A preconditioner
 * built for earlier weights only costs CG more iterations: CG applies the Schur complement with
 * the current weights, so the projection is as accurate as with a fresh one. Filled by the first
 * call; the caller keeps the arena memory behind it alive while it reuses it.
 */
export interface AbsorbReuse {
  codes?: number[];
  cg?: CgPlan | null;
  /** The map method's last solution per column (f64, width × Σ sizes), its next starting point. */
  warm?: { readonly ptr: number; readonly width: number };
}

/** A fit's fixed effects placed in wasm memory, with their demeaning plan being built (startAbsorption). */
export interface PreparedAbsorption {
  readonly method: DemeanMethod;
  readonly plan: Promise<DemeanPlan>;
}

/**
 * Starts absorbing the fixed effects of a model matrix of n rows (row weights at `rowWeights`, or
 * 0) before the matrix is built: the codes are placed and the plan's one-off work runs on a pool
 * worker meanwhile (planDemeanAhead). The caller passes the result to absorbFixedEffects, and
 * settles its plan before the arena closes in any case (the worker writes into the arena).
 */
export function startAbsorption(k: Kernels, arena: Arena, n: number, rowWeights: number, effects: readonly EncodedEffect[], o: AbsorbOptions): PreparedAbsorption | null {
  if (effects.length === 0) return null;
  const { fes, method, codes } = placeEffects(arena, effects, o);
  const plan = planDemeanAhead(k, arena, demeanRequest(n, rowWeights, fes, codes, method, o), o.threads);
  // Awaited by absorbFixedEffects; this keeps an early failure from being unhandled meanwhile.
  plan.catch(() => undefined);
  return { method, plan };
}

/**
 * The fixed effects largest first (the exact method absorbs the first by group means), the
 * method for them, and their codes in wasm memory (placed here unless `codes` has them).
 */
function placeEffects(arena: Arena, effects: readonly EncodedEffect[], o: AbsorbOptions, codes?: number[]): { fes: EncodedEffect[]; method: DemeanMethod; codes: number[] } {
  const fes = [...effects].sort((a, b) => b.size - a.size);
  const method = chooseMethod(o.method, fes.map((fe) => fe.size));
  return { fes, method, codes: codes ?? fes.map((fe) => placeI32(arena, fe.codes, `codes of ${fe.name}`)) };
}

function demeanRequest(n: number, rowWeights: number, fes: readonly EncodedEffect[], codes: readonly number[], method: DemeanMethod, o: AbsorbOptions, cg?: CgPlan | null): DemeanRequest {
  return { n, rowWeights, effects: fes.map((fe, q) => ({ codes: codes[q], size: fe.size })), method, tol: o.tol, maxIter: o.maxIter, cg };
}

/**
 * Projects every column of the model matrix off the fixed effects, in place, by the plan started
 * for it (`prepared`) or one made here.
 */
export async function absorbFixedEffects(
  k: Kernels,
  arena: Arena,
  m: ModelMatrix,
  effects: readonly EncodedEffect[],
  o: AbsorbOptions,
  reuse?: AbsorbReuse,
  prepared?: PreparedAbsorption | null,
): Promise<AbsorbOutcome> {
  if (effects.length === 0) return { iterations: 0, converged: true, method: "none" };
  if (prepared) return absorbByPlan(k, arena, m, await prepared.plan, o, 0);
  const { fes, method, codes: codePtrs } = placeEffects(arena, effects, o, reuse?.codes);
  if (reuse) reuse.codes = codePtrs;
  const plan = planDemean(k, arena, demeanRequest(m.n, m.weights, fes, codePtrs, method, o, reuse?.cg));
  if (reuse) reuse.cg = plan.cg;
  let warm = 0;
  if (reuse && method === "map" && fes.length > 1) {
    if (!reuse.warm || reuse.warm.width < m.names.length) {
      const levels = fes.reduce((a, fe) => a + fe.size, 0);
      const ptr = arena.allocF64(m.names.length * levels, "warm-start coefficients");
      arena.f64(ptr, m.names.length * levels).fill(0);
      reuse.warm = { ptr, width: m.names.length };
    }
    warm = reuse.warm.ptr;
  }
  return absorbByPlan(k, arena, m, plan, o, warm);
}

/** Every column projected by `plan`, failing on non-convergence unless allowed. */
async function absorbByPlan(k: Kernels, arena: Arena, m: ModelMatrix, plan: DemeanPlan, o: AbsorbOptions, warm: number): Promise<AbsorbOutcome> {
  const outcomes = await demeanAll(k, arena, m, plan, o.threads, warm);
  const iterations = Math.max(...outcomes.map((x) => x.iterations));
  const converged = outcomes.every((x) => x.converged);
  if (!converged && !o.allowNonConvergence) {
    throw new EstimationError(
      "convergence",
      `demeaning did not converge within ${o.maxIter} iterations (tol ${o.tol}); raise maxIter (--max-iter), ` +
        `loosen tol (--tol), try method "exact", or pass allowNonConvergence (--allow-nonconvergence) to get the result anyway`,
    );
  }
  return { iterations, converged, method: plan.method, columns: outcomes };
}
