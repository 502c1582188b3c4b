import { workerData } from "node:worker_threads";
import { MemoryView } from "./arena.js";
import { instantiateKernels } from "./kernels.js";
import { demeanColumn, type DemeanOutcome } from "./demean.js";
import { accumulateMoments } from "../inequality/moments.js";
import type { PoolTask } from "./pool.js";

/**
 * A pool worker: its own instance of the kernels over the shared memory it was given. It only
 * reads and writes the buffers a task points at; it never allocates in the arena.
 */
const { memory, module } = workerData as { memory: WebAssembly.Memory; module: WebAssembly.Module };
const view = new MemoryView(memory);
const kernels = instantiateKernels(memory, module);

export default function runTask(task: PoolTask): DemeanOutcome[] | null {
  if (task.kind === "moments") {
    for (const block of task.blocks) accumulateMoments(kernels, task.plan, block);
    return null;
  }
  return task.columns.map((c) => demeanColumn(kernels, view, task.plan, task.scratch, c.input, c.output, c.warm));
}
