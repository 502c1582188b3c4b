import { createRequire } from "node:module";
import { availableParallelism } from "node:os";
import { join } from "node:path";
import type * as PiscinaModule from "piscina";
import { packageRoot } from "../core/package-root.js";
import { kernelModule } from "./kernels.js";
import { sharedEngine } from "./shared.js";
import { taskHandlerModule, type PoolTask } from "./task-registry.js";
import { EstimationError, InputError } from "../core/errors.js";

// Required rather than imported: Node's import of a CommonJS package first scans it for export names.
const { Piscina } = createRequire(import.meta.url)("piscina") as typeof PiscinaModule;

/**
 * The worker pool: piscina threads that each instantiate the compiled kernels over the one
 * shared WebAssembly memory, so a task carries only pointers. One pool per process, started on
 * first use and reused by every fit (a call asking for more threads gets a bigger pool; the old
 * one ends once its running tasks do); idle workers do not keep the process alive, and
 * shutdownPool() ends them at once.
 */
export const workerScript: string = join(packageRoot, "dist", "src", "engine", "worker.js");

/**
 * What the pool hands a worker: a task and the module that runs it (task-registry.ts). A task
 * carries a whole column or a block of rows: milliseconds of work against ~0.1 ms of overhead.
 */
export interface TaskMessage {
  readonly module: string;
  readonly task: PoolTask;
}

/** A pool and how many tasks of overlapping calls it is running, so that replacing it never cuts one short. */
interface LivePool {
  readonly piscina: PiscinaModule.Piscina;
  running: number;
  retired: boolean;
}

let pool: LivePool | undefined;

export function defaultThreads(): number {
  return availableParallelism();
}

/** The `threads` option of every entry point: an integer from 1 to 256. */
export function checkThreads(threads: number | undefined): void {
  if (threads !== undefined && !(Number.isInteger(threads) && threads >= 1 && threads <= 256)) {
    throw new InputError("option", `threads must be an integer from 1 to 256 (got ${threads})`);
  }
}

/** A call asking for more threads than the pool has gets a bigger one; the old one ends once its running tasks do. */
function getPool(threads: number): LivePool {
  if (pool && pool.piscina.options.maxThreads < threads) {
    retire(pool);
    pool = undefined;
  }
  if (!pool) {
    const size = Math.max(threads, defaultThreads());
    const piscina = new Piscina({
      filename: workerScript,
      // All threads start at once (in parallel with whatever the caller does next); idle ones are unref'd.
      minThreads: size,
      maxThreads: size,
      idleTimeout: 10_000,
      workerData: { memory: sharedEngine().heap.memory, module: kernelModule() },
    });
    pool = { piscina, running: 0, retired: false };
  }
  return pool;
}

function retire(p: LivePool): void {
  p.retired = true;
  if (p.running === 0) void p.piscina.destroy();
}

/**
 * Runs the tasks in parallel, one per worker, each by the handler registered for its kind
 * (registerTaskHandler). A task that fails (a trap in a kernel, a worker
 * that dies) rejects the whole call with an EstimationError saying what it was doing
 * (`describe(i)`, e.g. 'demeaning "robot"'); the pool replaces the worker.
 */
export async function runPoolTasks<R>(tasks: readonly PoolTask[], threads: number, describe: (task: number) => string): Promise<R[]> {
  const messages: TaskMessage[] = tasks.map((task) => ({ module: taskHandlerModule(task.kind), task }));
  const p = getPool(threads);
  p.running += tasks.length;
  return Promise.all(
    messages.map((message, i) =>
      (p.piscina.run(message) as Promise<R>)
        .catch((err: unknown) => {
          const message = err instanceof Error ? err.message : String(err);
          throw new EstimationError("worker", `a worker failed while ${describe(i)}: ${message}`);
        })
        .finally(() => {
          if (--p.running === 0 && p.retired) void p.piscina.destroy();
        }),
    ),
  );
}

/** Starts the pool's threads ahead of the first task, e.g. while a file is being read. */
export function warmPool(threads: number): void {
  if (threads > 1) getPool(threads);
}

/** Ends the workers now (the CLI calls this before exiting; idle workers also end by themselves). */
export async function shutdownPool(): Promise<void> {
  const p = pool;
  pool = undefined;
  if (p) await p.piscina.destroy();
}
