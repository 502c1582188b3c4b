import { readFileSync, existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../core/package-root.js";

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
  /** Wild cluster bootstrap replications at the cluster level (assembly/bootstrap.ts). */
  wild_bootstrap(
    g: number, m: number, F: number, m2: number, F2: number,
    ms: number, start: number, idx: number, val: number, acc: number,
    reps: number, dist: number, seedLo: number, seedHi: number,
    v: number, v2: number, out: number,
  ): void;
  counting_sort(n: number, codes: number, g: number, start: number, order: number): void;
  schur_complement(
    g: number, start: number, order: number, m: number, codeTable: number, offsets: number,
    w: number, levels: number, a: number, c: number, touched: number,
  ): void;
  cg_group_levels(
    g: number, start: number, order: number, m: number, codeTable: number, offsets: number, w: number,
    levels: number, pos: number, cstart: number, cidx: number, cval: number,
  ): number;
  cg_pairs(
    g: number, cstart: number, cidx: number, cval: number, firstW: number, n: number, mS: number, codeTable: number, offsets: number,
    w: number, limit: number, pstart: number, cursor: number, pcol: number, pval: number, fill: number,
  ): number;
  cg_block(
    g: number, cstart: number, cidx: number, cval: number, firstW: number, n: number, m: number, codeTable: number, offsets: number,
    w: number, limit: number, levels: number, sb: number, bb: number, sIdx: number, sVal: number, bIdx: number, bVal: number,
  ): void;
  cg_emit(
    levels: number, limit: number, pstart: number, pcol: number, pval: number, sb: number, bb: number, diag: number,
    stamp: number, acc: number, rowCap: number, rowLen: number, colIdx: number, vals: number,
  ): number;
  env_factor(levels: number, estart: number, first: number, vals: number, raw: number, dropTol: number): number;
  env_solve(levels: number, estart: number, first: number, vals: number, perm: number, r: number, z: number, y: number): void;
  cg_apply(
    n: number, w: number, m: number, codeTable: number, offsets: number, first: number, firstW: number, g: number,
    means: number, p: number, levels: number, out: number,
  ): void;
  cg_rhs(
    n: number, w: number, m: number, codeTable: number, offsets: number, first: number, firstW: number, g: number,
    means: number, x: number, levels: number, out: number,
  ): number;
  cg_residual(
    n: number, w: number, m: number, codeTable: number, offsets: number, first: number, firstW: number, g: number,
    means: number, x: number, gamma: number, out: number,
  ): void;
  theil_moments(start: number, end: number, x: number, w: number, codes: number, g: number, alpha: number, withAlpha: number, out: number): void;
  theil_ln(x: number): number;
  theil_exp(t: number): number;
  // Sample building (assembly/sample.ts): keep is one u8 flag per row.
  mark_unusable_f64(n: number, x: number, infinite: number, bad: number): void;
  mark_missing_i32(n: number, codes: number, bad: number): void;
  drop_unusable(n: number, keep: number, bad: number, out: number): void;
  count_kept(n: number, keep: number): number;
  argmax_abs_kept(n: number, x: number, keep: number): number;
  max_abs(n: number, x: number): number;
  int_range(n: number, x: number, out: number): void;
  dense_codes(n: number, x: number, min: number, span: number, slot: number, out: number, levels: number): number;
  interaction_keys(n: number, a: number, b: number, bSize: number, out: number): void;
  remap_codes(n: number, codes: number, map: number, out: number): void;
  densify_codes(n: number, codes: number, size: number, map: number): number;
  gather_i32(n: number, src: number, rows: number, out: number): void;
  gather_f64(n: number, src: number, rows: number, out: number): void;
  select_i32(n: number, src: number, keep: number, out: number): number;
  flagged_rows(n: number, keep: number, out: number): number;
  drop_singletons(n: number, q: number, codeTable: number, countTable: number, sizeTable: number, keep: number): number;
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
