/**
 * Theil T and L of dvar by industry × year on the 5M-row synthetic panel (1,230,000 firms, the
 * data-generating process of gen_panel.R): the moments kernel alone with the
 * values and group codes already in the shared memory (one streaming pass, one logarithm per
 * row), the same with GE(2) (one exponential more per row), and the whole theil() call
 * (encoding the groups, copying the column, the pass, indices). Medians, on one thread and
 * on the worker pool (all cores).
 *
 *   node dist/bench/theil.js [--firms N]
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { theil } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";
import { openArena, sharedEngine } from "../src/engine/shared.js";
import { groupBy } from "../src/inequality/grouping.js";
import { computeMoments, planMoments, runMoments } from "../src/inequality/moments.js";
import { defaultThreads } from "../src/engine/pool.js";
import { shutdown } from "../src/index.js";
import type { NumericColumn } from "../src/data/frame.js";

const { values } = parseArgs({ options: { firms: { type: "string", default: "1230000" } } });
const firms = Number(values.firms);

const started = performance.now();
const panel = generatePanel({ firms, seed: 20230801 });
const rows = panel.nrows;
const dvar = (panel.columns.get("dvar") as NumericColumn).values;
const cells = groupBy(panel, ["industry", "year"]);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`);
console.log(
  `panel: ${rows.toLocaleString("en-US")} rows (${firms.toLocaleString("en-US")} firms), ${cells.size} industry-year groups, ` +
    `generated in ${((performance.now() - started) / 1000).toFixed(1)} s`,
);

const { kernels } = sharedEngine();
// A benchmark holds its arena for the whole run; the process ends with it.
const arena = openArena();
const x = arena.putF64(dvar, "dvar");
const codes = arena.putI32(cells.codes, "industry-year codes");
const plan = planMoments(arena, { rows, x, w: 0, codes, groups: cells.size, alpha: null });
const planGE = planMoments(arena, { rows, x, w: 0, codes, groups: cells.size, alpha: 2 });

const KERNEL = `theil_moments, T and L (${plan.blocks} blocks, 1 thread)`;
const KERNEL_GE = "theil_moments, T, L and GE(2) (1 thread)";
const threads = defaultThreads();
const KERNEL_POOL = `theil_moments, T and L (pool, ${threads} threads)`;
const API = "theil() end to end (encode, copy, pass, indices)";
const bench = new Bench({ time: 2000, warmupTime: 500 });
bench
  .add(KERNEL, () => {
    runMoments(kernels, arena, plan);
  })
  .add(KERNEL_GE, () => {
    runMoments(kernels, arena, planGE);
  })
  .add(KERNEL_POOL, async () => {
    const mark = arena.mark();
    await computeMoments(kernels, arena, { rows, x, w: 0, codes, groups: cells.size, alpha: null }, threads);
    arena.release(mark);
  })
  .add(API, async () => {
    await theil(panel, { value: "dvar", by: ["industry", "year"], nonpositive: "drop" });
  });
await bench.run();

console.log("");
console.log("| task | median (ms) | rows/s | GB/s streamed |");
console.log("|---|---|---|---|");
for (const task of bench.tasks) {
  const r = task.result as unknown as { latency: { p50: number } };
  const ms = r.latency.p50;
  const streamed = task.name === API ? "" : ((rows * 12) / ms / 1e6).toFixed(2);
  console.log(`| ${task.name} | ${ms.toFixed(1)} | ${((rows / ms) * 1000).toExponential(2)} | ${streamed} |`);
}
console.log("\ntarget (issue 5): under 50 ms for the kernel with both cores");
await shutdown();
