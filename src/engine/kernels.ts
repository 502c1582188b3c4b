import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../core/package-root.js";
import type { Kernels } from "./kernel-exports.js";

/** The kernels' type is generated from the compiler's declarations (scripts/kernel-types.mjs). */
export type { Kernels };

export const wasmPath: string = join(packageRoot, "build", "absorb.wasm");

let compiled: WebAssembly.Module | undefined;

/** The compiled kernel module, compiled once per thread and shared with workers by structured clone. */
export function kernelModule(): WebAssembly.Module {
  if (!compiled) {
    if (!existsSync(wasmPath)) {
      throw new Error(`absorb: ${wasmPath} is missing; run "npm run build" (npm install runs it)`);
    }
    compiled = new WebAssembly.Module(readFileSync(wasmPath));
  }
  return compiled;
}

/** Instantiates the kernels over a shared memory (main thread and every worker do this). */
export function instantiateKernels(memory: WebAssembly.Memory, module: WebAssembly.Module = kernelModule()): Kernels {
  const instance = new WebAssembly.Instance(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}
