import type { PoolTask, TaskHandler } from "../task-registry.js";
import { solveResidualList } from "./solver.js";
import type { DemeanOutcome, DemeanPlan, Scratch } from "./plan.js";

/** One column to project: input → output (may be equal); warm, the map method's starting coefficients (0 for none). */
export interface DemeanColumn {
  readonly input: number;
  readonly output: number;
  readonly warm?: number;
}

/** A pool task: project these columns off the fixed effects in order, with its scratch areas (solveResidualList). */
export interface DemeanTask extends PoolTask {
  readonly kind: "demean";
  readonly plan: DemeanPlan;
  readonly scratch: readonly Scratch[];
  readonly columns: readonly DemeanColumn[];
}

/** Runs a demean task in a pool worker (registered by the engine itself, task-registry.ts). */
const runDemeanTask: TaskHandler<DemeanTask, DemeanOutcome[]> = ({ kernels, view }, task) =>
  solveResidualList(kernels, view, task.plan, task.scratch, task.columns);

export default runDemeanTask;
