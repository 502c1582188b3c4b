import type { Kernels } from "./kernels.js";
import { runPoolTasks } from "./pool.js";
import { runKernelCalls, type KernelCall, type KernelTask } from "./kernel-task.js";

/**
 * Runs lanes of kernel calls at the same time: the first on the calling thread, each other one
 * on a pool worker (all on the calling thread, in order, with one thread). The caller makes the
 * lanes independent (no lane reads what another writes), so the results do not depend on where
 * a lane ran. For the per-row passes that would otherwise leave a core idle (the screen of a
 * sample's columns, the model matrix's column sums): each lane is milliseconds of streaming
 * against a round trip of ~0.1 ms. Returns each lane's results, call by call.
 */
export async function runKernelLanes(k: Kernels, lanes: readonly (readonly KernelCall[])[], threads: number, describe: string): Promise<number[][]> {
  const busy = lanes.filter((lane) => lane.length > 0);
  if (threads < 2 || busy.length < 2) return lanes.map((lane) => runKernelCalls(k, lane));
  const tasks = lanes.slice(1).map((calls): KernelTask => ({ kind: "kernels", calls }));
  // Posted before the first lane runs here, so the workers start on theirs meanwhile.
  const elsewhere = runPoolTasks<number[]>(tasks, threads, () => describe);
  let here: number[];
  try {
    here = runKernelCalls(k, lanes[0]);
  } finally {
    // The workers write into memory the caller may give back once this returns: wait for them however the first lane ended.
    await elsewhere.catch(() => undefined);
  }
  return [here, ...(await elsewhere)];
}
