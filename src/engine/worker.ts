import { workerData } from "node:worker_threads";
import { MemoryView } from "./arena.js";
import { instantiateKernels } from "./kernels.js";
import type { TaskHandler, WorkerContext } from "./task-registry.js";
import type { TaskMessage } from "./pool.js";

/**
 * A pool worker: its own instance of the kernels over the shared memory it was given. It only
 * reads and writes the buffers a task points at; it never allocates in the arena. Each task
 * names the module of its handler, imported on the first task of that kind and kept.
 */
const { memory, module } = workerData as { memory: WebAssembly.Memory; module: WebAssembly.Module };
const context: WorkerContext = { kernels: instantiateKernels(memory, module), view: new MemoryView(memory) };
const handlers = new Map<string, Promise<TaskHandler>>();

export default async function runTask(message: TaskMessage): Promise<unknown> {
  let handler = handlers.get(message.module);
  if (!handler) {
    handler = import(message.module).then((m: { default: TaskHandler }) => m.default);
    handlers.set(message.module, handler);
  }
  return (await handler)(context, message.task);
}
