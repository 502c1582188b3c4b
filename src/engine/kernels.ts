import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "./package-root.js";

/** The exports of build/absorb.wasm (see assembly/): pointers are byte offsets into the shared memory. */
export interface Kernels {
  group_sums(n: number, x: number, w: number, codes: number, out: number): void;
  group_weights(n: number, w: number, codes: number, out: number): void;
  gather_scatter1(n: number, dst: number, out: number, w: number, src: number, coef: number): void;
  gather_scatter2(n: number, dst: number, out: number, w: number, src0: number, coef0: number, src1: number, coef1: number): void;
  gather_scatterN(n: number, dst: number, out: number, w: number, k: number, srcTable: number, coefTable: number): void;
  fe_residual(n: number, x: number, out: number, k: number, srcTable: number, coefTable: number): void;
  solve_groups(g: number, sums: number, acc: number, weights: number, coef: number): void;
  dot(n: number, a: number, b: number, w: number): number;
  sum(n: number, x: number, w: number): number;
  crossprod(n: number, k: number, x: number, w: number, out: number): void;
  crossprod_vec(n: number, k: number, x: number, y: number, w: number, out: number): void;
  residuals(n: number, k: number, x: number, beta: number, y: number, out: number): void;
  cluster_scores(n: number, k: number, x: number, e: number, w: number, codes: number, out: number): void;
  score_outer(g: number, k: number, scores: number, out: number): void;
  counting_sort(n: number, codes: number, g: number, start: number, order: number): void;
  schur_complement(
    g: number, start: number, order: number, m: number, codeTable: number, offsets: number,
    w: number, levels: number, a: number, c: number, touched: number,
  ): void;
  theil_moments(start: number, end: number, x: number, w: number, codes: number, g: number, alpha: number, withAlpha: number, out: number): void;
  theil_ln(x: number): number;
  theil_exp(t: number): number;
}

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
