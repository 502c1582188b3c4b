/**
 * Micro-benchmarks of the wasm kernels on 1M rows (one streaming pass each), with the data in
 * the shared memory: the building blocks every fit's time is made of.
 *
 *   node dist/bench/kernels.js
 */
import { Bench } from "tinybench";
import { openArena, sharedEngine } from "../src/engine/shared.js";
import { Rng } from "../src/core/random.js";

const n = 1_000_000;
const firms = 246_000;
const years = 14;
const k = 6;
const { kernels } = sharedEngine();
// A benchmark holds its arena for the whole run; the process ends with it.
const arena = openArena();
const rng = new Rng(1);
const x = arena.allocF64(n * k);
const xv = arena.f64(x, n * k);
for (let i = 0; i < n * k; i++) xv[i] = rng.normal();
const firm = arena.allocI32(n);
const year = arena.allocI32(n);
const fv = arena.i32(firm, n);
const yv = arena.i32(year, n);
for (let i = 0; i < n; i++) {
  fv[i] = Math.floor((i * firms) / n);
  yv[i] = i % years;
}
const sums = arena.allocF64(firms);
const coef = arena.allocF64(firms);
const out = arena.allocF64(n);
const xtx = arena.allocF64(k * k);
const gramScratch = arena.allocF64(2 * k * (k + 1));
const scores = arena.allocF64(firms * k);
const table = arena.putU32([firm]);
const coefTable = arena.putU32([coef]);

const bench = new Bench({ time: 500 });
bench
  .add("group_sums (1M rows → 246k firms)", () => kernels.group_sums(n, x, 0, firm, sums))
  .add("gather_scatter1 (years → firms)", () => kernels.gather_scatter1(n, firm, sums, 0, year, coef))
  .add("fe_residual (one effect)", () => kernels.fe_residual(n, x, out, 1, table, coefTable))
  .add("dot (SIMD)", () => kernels.dot(n, x, x + n * 8, 0))
  .add(`crossprod (${k} columns)`, () => kernels.crossprod(n, k, x, 0, gramScratch, xtx))
  .add(`cluster_scores (${k} columns, 246k clusters)`, () => kernels.cluster_scores(n, k, x, out, 0, firm, scores));
await bench.run();
console.log("| kernel | median (ms) | GB/s streamed |");
console.log("|---|---|---|");
const bytes: Record<string, number> = {
  "group_sums (1M rows → 246k firms)": n * 12,
  "gather_scatter1 (years → firms)": n * 8,
  "fe_residual (one effect)": n * 20,
  "dot (SIMD)": n * 16,
  // One pass: each column read once.
  [`crossprod (${k} columns)`]: n * 8 * k,
  [`cluster_scores (${k} columns, 246k clusters)`]: n * (12 + 8 * k),
};
for (const task of bench.tasks) {
  const r = task.result as unknown as { latency: { p50: number } };
  const ms = r.latency.p50;
  console.log(`| ${task.name} | ${ms.toFixed(2)} | ${(bytes[task.name] / ms / 1e6).toFixed(1)} |`);
}
