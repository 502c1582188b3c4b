import type { Arena } from "../arena.js";
import type { Kernels } from "../kernels.js";
import { runPoolTasks } from "../pool.js";
import { scratchFor, solveResidualList } from "./solver.js";
import type { DemeanOutcome, DemeanPlan } from "./plan.js";
import type { DemeanColumn, DemeanTask } from "./demean-task.js";

/**
 * Projects every column off the fixed effects of one plan. Each column is projected the same
 * way whichever thread runs it and whichever column it is paired with (solveResidualList), so
 * results are bit-for-bit identical for any number of threads. Columns are dealt round-robin to
 * one task per thread, each with its own scratch; `describe` names a task's columns (by index)
 * for the error of a failing worker.
 */
export async function solveResidualColumns(
  k: Kernels,
  arena: Arena,
  plan: DemeanPlan,
  columns: readonly DemeanColumn[],
  threads: number,
  describe: (columns: readonly number[]) => string,
): Promise<DemeanOutcome[]> {
  const tasks = Math.min(threads, columns.length);
  if (tasks <= 1) return solveResidualList(k, arena, plan, scratchFor(arena, plan, columns.length), columns);
  const dealt = Array.from({ length: tasks }, (_, t) => columns.map((_, c) => c).filter((c) => c % tasks === t));
  const work = dealt.map((list): DemeanTask => ({ kind: "demean", plan, scratch: scratchFor(arena, plan, list.length), columns: list.map((c) => columns[c]) }));
  const results = await runPoolTasks<DemeanOutcome[]>(work, threads, (t) => describe(dealt[t]));
  // Back into column order (task t projected columns t, t + tasks, …).
  const byColumn: DemeanOutcome[] = new Array(columns.length);
  results.forEach((list, t) => list.forEach((o, i) => (byColumn[t + i * tasks] = o)));
  return byColumn;
}
