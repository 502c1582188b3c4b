import type { Arena, MemoryView } from "../arena.js";
import type { Kernels } from "../kernels.js";
import { buildCgPlan, cgColumn, type CgPlan } from "./cg.js";
import { exactColumn, exactColumns, exactFactor, projectsPairs, schurBuild, schurFactor } from "./exact.js";
import type { SchurTask } from "./schur-task.js";
import { runKernelCalls, type KernelCall, type KernelTask } from "../kernel-task.js";
import { runPoolTasks } from "../pool.js";
import { mapColumn } from "./map.js";
import { allocScratch, offsets, type DemeanMethod, type DemeanOutcome, type DemeanPlan, type FixedEffectPlan, type Scratch } from "./plan.js";
import type { DemeanColumn } from "./demean-task.js";

/**
 * Projection of columns off the fixed effects ("demeaning"), driven from TypeScript over wasm
 * kernels that each stream the rows once, behind two verbs (FixedEffects.jl's solver interface):
 * solveResiduals projects a column off the fixed effects, solveCoefficients recovers the
 * fixed-effect coefficients of a column (post-estimation's fixef). Three methods implement them:
 * "exact" (exact.ts: a dense Schur complement of the small effects), "cg" (cg.ts: conjugate
 * gradients on it, for small effects with too many levels for a dense solve, worker + firm +
 * year) and "map" (map.ts: alternating projections, as fixest). planDemean builds what the
 * chosen method needs once per fit; each column then needs only its plan and a Scratch.
 */

/** What each method provides: its once-per-fit preparation and the projection of one column. */
interface DemeanSolver {
  /** Built once for every column with these fixed effects and weights. */
  prepare(k: Kernels, arena: Arena, request: DemeanRequest, fes: readonly FixedEffectPlan[]): Pick<DemeanPlan, "factor" | "cg">;
  /** Projects the column at x into out (may alias x), leaving every effect's coefficients in s.coef. */
  project(k: Kernels, view: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number, warm: number): DemeanOutcome;
}

const SOLVERS: Record<DemeanMethod, DemeanSolver> = {
  exact: {
    prepare: (k, arena, r, fes) => ({ factor: fes.length > 1 ? exactFactor(k, arena, r.n, fes, r.rowWeights) : null, cg: null }),
    project: (k, view, plan, s, x, out) => exactColumn(k, view, plan, s, x, out),
  },
  cg: {
    prepare: (k, arena, r, fes) => ({ factor: null, cg: fes.length > 1 ? (r.cg ?? buildCgPlan(k, arena, r.n, fes, r.rowWeights)) : null }),
    project: (k, view, plan, s, x, out) => cgColumn(k, view, plan, s, x, out),
  },
  map: {
    prepare: () => ({ factor: null, cg: null }),
    project: mapColumn,
  },
};

/** A set of fixed effects in the shared memory and how to project columns off them. */
export interface DemeanRequest {
  readonly n: number;
  /** f64 row weights, or 0 */
  readonly rowWeights: number;
  /** int32 codes (n rows) and level counts, largest fixed effect first. */
  readonly effects: readonly { readonly codes: number; readonly size: number }[];
  readonly method: DemeanMethod;
  readonly tol: number;
  readonly maxIter: number;
  /** A cg preconditioner built before for the same fixed effects, reused (with other weights it only costs CG iterations). */
  readonly cg?: CgPlan | null;
}

/** The plan every column with these fixed effects is projected by: group weights, and what the method builds once. */
export function planDemean(k: Kernels, arena: Arena, r: DemeanRequest): DemeanPlan {
  const fes = effectPlans(arena, r);
  runKernelCalls(k, groupWeightCalls(arena, r, fes));
  return planOf(r, fes, SOLVERS[r.method].prepare(k, arena, r, fes));
}

/**
 * planDemean with its one large part, the exact method's Schur complement, built on a pool
 * worker: the buffers are placed now, so the caller can go on with its own work (the model
 * matrix) while the worker fills them. The caller settles the promise before its arena closes,
 * since the worker writes into it. Other methods, and one thread, plan here and now.
 */
export async function planDemeanAhead(k: Kernels, arena: Arena, r: DemeanRequest, threads: number): Promise<DemeanPlan> {
  if (r.method !== "exact" || r.effects.length < 2 || threads < 2) return planDemean(k, arena, r);
  // The group weights are summed on another worker meanwhile (the Schur build does not read them).
  const fes = effectPlans(arena, r);
  const sums: KernelTask = { kind: "kernels", calls: groupWeightCalls(arena, r, fes) };
  const build = schurBuild(arena, r.n, fes, r.rowWeights);
  const task: SchurTask = { kind: "schur", build };
  // Both settle before this does, failed or not: the caller's arena must outlive what writes into it.
  const settled = await Promise.allSettled([
    runPoolTasks([task], threads, () => "building the fixed effects' Schur complement"),
    runPoolTasks([sums], threads, () => "summing the fixed effects' group weights"),
  ]);
  for (const outcome of settled) if (outcome.status === "rejected") throw outcome.reason;
  const factor = schurFactor(arena, arena.f64(build.a, build.levels * build.levels).slice(), build.levels);
  return planOf(r, fes, { factor, cg: null });
}

function planOf(r: DemeanRequest, fes: readonly FixedEffectPlan[], built: Pick<DemeanPlan, "factor" | "cg">): DemeanPlan {
  return { n: r.n, rowWeights: r.rowWeights, fes, method: r.method, tol: r.tol, maxIter: r.maxIter, ...built };
}

/** Each effect's plan, with room for its group weights in `arena` (groupWeightCalls sums them). */
function effectPlans(arena: Arena, r: DemeanRequest): FixedEffectPlan[] {
  return r.effects.map(({ codes, size }) => ({ codes, size, weights: arena.allocF64(size) }));
}

/** The kernel calls summing each effect's group weights (counts when unweighted) into its plan's room, zeroed here. */
function groupWeightCalls(view: MemoryView, r: DemeanRequest, fes: readonly FixedEffectPlan[]): KernelCall[] {
  return fes.map((fe): KernelCall => {
    view.f64(fe.weights, fe.size).fill(0);
    return { name: "group_weights", args: [r.n, r.rowWeights, fe.codes, fe.weights] };
  });
}

/**
 * Projects the column at `x` off the fixed effects into `out` (which may equal x). `warm` (map
 * only; f64, Σ sizes): the coefficients to start from, overwritten with the solution.
 */
export function solveResiduals(k: Kernels, view: MemoryView, plan: DemeanPlan, s: Scratch, x: number, out: number, warm = 0): DemeanOutcome {
  const q = plan.fes.length;
  if (q === 0) {
    if (out !== x) view.f64(out, plan.n).set(view.f64(x, plan.n));
    return { iterations: 0, converged: true };
  }
  // One fixed effect is absorbed by its group means whatever the method.
  return SOLVERS[q === 1 ? "exact" : plan.method].project(k, view, plan, s, x, out, warm);
}

/** The scratch areas a thread projecting `count` columns of the plan uses: two where it projects them in pairs. */
export function scratchFor(arena: Arena, plan: DemeanPlan, count: number): Scratch[] {
  return Array.from({ length: count >= 2 && projectsPairs(plan) ? 2 : 1 }, () => allocScratch(arena, plan));
}

/**
 * Projects `columns` in order, each as solveResiduals projects it (the same bytes): two at a
 * time where the plan projects pairs and `scratch` has two areas (scratchFor), else one by one
 * with the first.
 */
export function solveResidualList(k: Kernels, view: MemoryView, plan: DemeanPlan, scratch: readonly Scratch[], columns: readonly DemeanColumn[]): DemeanOutcome[] {
  if (scratch.length < 2) return columns.map((c) => solveResiduals(k, view, plan, scratch[0], c.input, c.output, c.warm));
  const outcomes: DemeanOutcome[] = [];
  for (let c = 0; c < columns.length; c += 2) {
    const pair = columns.slice(c, c + 2).map((col, i) => ({ s: scratch[i], x: col.input, out: col.output }));
    outcomes.push(...exactColumns(k, view, plan, pair));
  }
  return outcomes;
}

/**
 * The fixed-effect coefficients whose sum is the projection of the column at `x` (which is
 * overwritten by its residuals): one array per fixed effect, in the plan's order.
 */
export function solveCoefficients(k: Kernels, view: MemoryView, plan: DemeanPlan, s: Scratch, x: number): { coefficients: Float64Array[]; outcome: DemeanOutcome } {
  const outcome = solveResiduals(k, view, plan, s, x, x);
  const off = offsets(plan);
  const coefficients = plan.fes.map((_, q) => view.f64(s.coef + off[q] * 8, plan.fes[q].size).slice());
  return { coefficients, outcome };
}
