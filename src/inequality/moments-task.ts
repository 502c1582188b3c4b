import type { TaskHandler } from "../engine/task-registry.js";
import { accumulateMoments, type MomentsTask } from "./moments.js";

/** Runs a moments task in a pool worker: each of its blocks into its own buffer. */
const runMomentsTask: TaskHandler<MomentsTask, null> = ({ kernels }, task) => {
  for (const block of task.blocks) accumulateMoments(kernels, task.plan, block);
  return null;
};

export default runMomentsTask;
