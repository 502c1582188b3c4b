import { isAbsolute, join, relative } from "node:path";
import { fileURLToPath, pathToFileURL } from "node:url";
import type { MemoryView } from "./arena.js";
import type { Kernels } from "./kernels.js";
import { packageRoot } from "../core/package-root.js";
import { InternalError } from "../core/errors.js";

/**
 * Which module runs each kind of pool task. The engine knows no estimator: a layer that sends
 * tasks to the pool registers the module holding their handler (its default export, a
 * {@link TaskHandler}), and each worker imports that module on the first task of its kind.
 */

/** What every pool task carries: the kind it was registered under; the rest is the handler's (plain data, pointers into the shared memory). */
export interface PoolTask {
  readonly kind: string;
}

/** What a worker gives a handler: its own kernel instance and a view of the shared memory. */
export interface WorkerContext {
  readonly kernels: Kernels;
  readonly view: MemoryView;
}

/** A handler module's default export: runs one task in a worker and returns a structured-cloneable result. */
export type TaskHandler<T extends PoolTask = PoolTask, R = unknown> = (context: WorkerContext, task: T) => R;

const handlers = new Map<string, string>();

/**
 * Registers the module whose default export runs tasks of `kind`. Workers run the compiled
 * JavaScript in dist/ even when the caller runs from src/ (under vitest), so a module under src/
 * is named by its counterpart under dist/src/.
 */
export function registerTaskHandler(kind: string, module: URL): void {
  const path = fileURLToPath(module);
  const fromSrc = relative(join(packageRoot, "src"), path);
  const compiled = fromSrc.startsWith("..") || isAbsolute(fromSrc) ? path : join(packageRoot, "dist", "src", fromSrc);
  handlers.set(kind, pathToFileURL(compiled).href);
}

/** The URL a worker imports to run a task of this kind. */
export function taskHandlerModule(kind: string): string {
  const module = handlers.get(kind);
  if (module === undefined) throw new InternalError(`no pool task handler is registered for tasks of kind "${kind}"`);
  return module;
}

// The engine's own tasks: projecting columns off the fixed effects, the exact method's Schur complement, and lanes of kernel calls.
registerTaskHandler("demean", new URL("./absorb/demean-task.js", import.meta.url));
registerTaskHandler("kernels", new URL("./kernel-task.js", import.meta.url));
registerTaskHandler("schur", new URL("./absorb/schur-task.js", import.meta.url));
