import type { PoolTask, TaskHandler } from "./task-registry.js";

/**
 * A pool task that touches every page of a range of the shared memory. The first write to a
 * page costs the kernel a fault (mapping and zeroing it): 5–10 ms per 8 MB on a cold process
 * here, more than the kernel that writes it. A fit asks a worker to take these faults for the
 * memory it is about to use while the main thread builds the sample, so its own first writes
 * find the pages mapped. Each page gets an atomic add of 0, which leaves any value another
 * thread has written there as it is: the range may already be in use, and nothing is overwritten.
 */
export interface PrefaultTask extends PoolTask {
  readonly kind: "prefault";
  /** Byte addresses, the range [from, to). */
  readonly from: number;
  readonly to: number;
}

/** Linux's (and most systems') smallest page: touching one word in each maps them all. */
const PAGE = 4096;

const runPrefaultTask: TaskHandler<PrefaultTask, void> = ({ view }, task) => {
  const words = view.i32(0, task.to >>> 2);
  for (let at = task.from - (task.from % PAGE); at < task.to; at += PAGE) Atomics.add(words, at >>> 2, 0);
};

export default runPrefaultTask;
