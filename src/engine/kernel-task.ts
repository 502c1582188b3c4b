import type { Kernels } from "./kernels.js";
import type { PoolTask, TaskHandler } from "./task-registry.js";

/** One call of a wasm kernel: its name and its arguments (sizes and pointers into the shared memory). */
export type KernelCall = { [K in keyof Kernels]: { readonly name: K; readonly args: Parameters<Kernels[K]> } }[keyof Kernels];

/** A pool task: kernel calls run one after another on a worker (see kernel-lanes.ts). */
export interface KernelTask extends PoolTask {
  readonly kind: "kernels";
  readonly calls: readonly KernelCall[];
}

/** Runs the calls in order with kernels `k`; each one's result (0 for a kernel that returns nothing). */
export function runKernelCalls(k: Kernels, calls: readonly KernelCall[]): number[] {
  return calls.map((c) => (k[c.name] as (...args: number[]) => number | void)(...c.args) ?? 0);
}

const runKernelTask: TaskHandler<KernelTask, number[]> = ({ kernels }, task) => runKernelCalls(kernels, task.calls);

export default runKernelTask;
