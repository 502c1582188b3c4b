import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { allocScratch, chooseMethod, demeanColumn, exactFactor, type DemeanMethod, type DemeanMethodOption, type DemeanOutcome, type DemeanPlan } from "../engine/demean.js";
import { defaultThreads, runPoolTasks } from "../engine/pool.js";
import { buildCgPlan, type CgPlan } from "../engine/cg.js";
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

/**
 * Each column is demeaned on its own, the same way whichever thread runs it, so results are
 * bit-for-bit identical for any number of threads. Columns are dealt round-robin to one task
 * per thread, each with its own scratch.
 */
async function demeanAll(k: Kernels, arena: Arena, m: ModelMatrix, plan: DemeanPlan, threads: number, warm: number): Promise<DemeanOutcome[]> {
  const width = m.names.length;
  const tasks = Math.min(threads, width);
  const levels = plan.fes.reduce((a, fe) => a + fe.size, 0);
  const columns = (t: number) => {
    const list: { input: number; output: number; warm: number }[] = [];
    for (let c = t; c < width; c += tasks) list.push({ input: columnPtr(m, c), output: columnPtr(m, c), warm: warm ? warm + c * levels * 8 : 0 });
    return list;
  };
  if (tasks <= 1) {
    const scratch = allocScratch(arena, plan);
    return columns(0).map((c) => demeanColumn(k, arena, plan, scratch, c.input, c.output, c.warm));
  }
  const work = Array.from({ length: tasks }, (_, t) => ({ kind: "demean" as const, plan, scratch: allocScratch(arena, plan), columns: columns(t) }));
  const names = (t: number) => "demeaning " + m.names.filter((_, c) => c % tasks === t).map((x) => `"${x}"`).join(", ");
  const results = await runPoolTasks<DemeanOutcome[]>(work, threads, names);
  // Back into column order (task t demeaned columns t, t + tasks, …).
  const byColumn: DemeanOutcome[] = new Array(width);
  results.forEach((list, t) => list.forEach((o, i) => (byColumn[t + i * tasks] = o)));
  return byColumn;
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
  reuse?: AbsorbReuse,
): Promise<AbsorbOutcome> {
  if (effects.length === 0) return { iterations: 0, converged: true, method: "none" };
  const { n } = m;
  const fes = [...effects].sort((a, b) => b.size - a.size);
  const method = chooseMethod(o.method, fes.map((fe) => fe.size));
  const codePtrs = reuse?.codes ?? fes.map((fe) => arena.putI32(fe.codes, `codes of ${fe.name}`));
  if (reuse) reuse.codes = codePtrs;
  const fePlans = fes.map((fe, q) => {
    const codes = codePtrs[q];
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
    cg: method === "cg" && fes.length > 1 ? (reuse?.cg ?? buildCgPlan(k, arena, n, fePlans, m.weights)) : null,
  };
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
  return { iterations, converged, method, columns: outcomes };
}
