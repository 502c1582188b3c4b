import { Arena } from "./arena.js";
import { Heap } from "./heap.js";
import { instantiateKernels, type Kernels } from "./kernels.js";

let engine: { heap: Heap; kernels: Kernels } | undefined;

/** The process's one shared memory (its heap) and the main thread's kernel instance over it. */
export function sharedEngine(): { heap: Heap; kernels: Kernels } {
  if (!engine) {
    const heap = new Heap();
    engine = { heap, kernels: instantiateKernels(heap.memory) };
  }
  return engine;
}

/** A fresh arena over the shared heap, for one call: close() it when the call ends. */
export function openArena(): Arena {
  return new Arena(sharedEngine().heap);
}

/**
 * withArena for synchronous work (sample building, encodings): nothing can interleave with it,
 * so it may run inside another call's arena as well as on its own.
 */
export function withArenaSync<T>(body: (arena: Arena, kernels: Kernels) => T): T {
  const arena = openArena();
  try {
    return body(arena, sharedEngine().kernels);
  } finally {
    arena.close();
  }
}

/**
 * Runs one call with an arena of its own, closed (every block given back) when `body` settles,
 * however it settles. Every entry point that puts data in wasm memory goes through this, so
 * calls that overlap in time (awaiting the pool) never free or reuse each other's memory.
 */
export async function withArena<T>(body: (arena: Arena, kernels: Kernels) => Promise<T>): Promise<T> {
  const arena = openArena();
  try {
    return await body(arena, sharedEngine().kernels);
  } finally {
    arena.close();
  }
}
