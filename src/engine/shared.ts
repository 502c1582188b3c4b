import { Arena } from "./arena.js";
import { instantiateKernels, type Kernels } from "./kernels.js";

let engine: { arena: Arena; kernels: Kernels } | undefined;

/** The process's one shared memory and the main thread's kernel instance over it. */
export function sharedEngine(): { arena: Arena; kernels: Kernels } {
  if (!engine) {
    const arena = new Arena();
    engine = { arena, kernels: instantiateKernels(arena.memory) };
  }
  return engine;
}
