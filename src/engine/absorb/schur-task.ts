import type { PoolTask, TaskHandler } from "../task-registry.js";
import { buildSchur, type SchurBuild } from "./exact.js";

/** A pool task: the exact method's Schur complement, built on a worker while the caller goes on (see solver.ts planDemeanAhead). */
export interface SchurTask extends PoolTask {
  readonly kind: "schur";
  readonly build: SchurBuild;
}

const runSchurTask: TaskHandler<SchurTask, void> = ({ kernels }, task) => buildSchur(kernels, task.build);

export default runSchurTask;
