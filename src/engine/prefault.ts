import { CEILING } from "./heap.js";
import { runPoolTasks } from "./pool.js";
import { sharedEngine } from "./shared.js";
import type { PrefaultTask } from "./prefault-task.js";

/**
 * Has a pool worker map the `bytes` of shared memory a call is about to need above what has been
 * used so far (prefault-task.ts), without waiting for it: the call goes on with its own work and
 * finds the pages mapped when it gets there. Pages below the heap's high-water have been handed
 * out, and written, before. Nothing is done on one thread, or when the memory cannot grow that
 * far (the call then fails, or not, on its own allocations).
 */
export function prefaultAhead(bytes: number, threads: number): void {
  if (threads < 2) return;
  const heap = sharedEngine().heap;
  const from = heap.peak;
  const to = Math.min(CEILING, heap.top + bytes);
  if (to <= from || !heap.tryGrowTo(to)) return;
  const task: PrefaultTask = { kind: "prefault", from, to };
  runPoolTasks([task], threads, () => "mapping memory ahead of a fit").catch(() => undefined);
}
