/**
 * End-to-end benchmark of issue 17: seeded synthetic firm-year panels (the data-generating
 * process of gen_panel.R, 246,000 × size firms ≈ size million rows), the issue's three models,
 * clustered by firm, singletons kept (`--fixef-rm none`, as fixest keeps them). Per model and
 * size: cold (median `timing_ms.estimate` of fresh `absorb fit --json` processes on the panel's
 * CSV, and their peak RSS), warm (in process, after a first fit, on the columns readFrame reads
 * from that CSV, as fixest's feols runs on what fread reads of it; and, beside it, on the panel
 * as JavaScript arrays, which each fit copies into the shared memory), fixest's feols on the same
 * data in the same run, the ratios beside the issue's goals, rows/second, and the
 * memory-bandwidth floor of each fit (bytesStreamed over the bandwidth a SIMD dot product
 * reaches here). Then the whole process, paired: `absorb fit` against fixest's `Rscript` on the
 * 1M-row CSV (or the smallest panel asked for). Prints Markdown, to paste into the README.
 *
 *   node dist/bench/e2e.js [--sizes 1,5] [--reps 5] [--pairs 5] [--threads N]
 *
 * `--sizes 1,5,20` adds the 20M-row panel when memory and disk allow (a line says why not);
 * `--sizes 0.1 --reps 2 --pairs 2` is a quick smoke test.
 */
import { rmSync, mkdtempSync, statfsSync } from "node:fs";
import { cpus, freemem, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { feols, readFrame, shutdown, type Frame } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";
import { writeCsv } from "../src/data/writers/csv.js";
import { defaultThreads } from "../src/engine/pool.js";
import { withArena } from "../src/engine/shared.js";
import { fixestVersion, timeFixest } from "./fixest.js";
import { goalsFor, peakGoal, ratioGoal, type ModelId } from "./goals.js";
import { absorbFitProcess, gnuTimeAvailable, GNU_TIME } from "./timed-process.js";
import { compareWholeRuns, wholeRunTable, type WholeRunComparison } from "./whole-run.js";

const FIVE = "robot + ln_age + finance + fin_constraints + cap_intensity";
const MODELS: readonly { id: ModelId; formula: string; regressors: number; effects: number }[] = [
  { id: "a", formula: "dvar ~ robot | firm_id + year", regressors: 1, effects: 2 },
  { id: "b", formula: `dvar ~ ${FIVE} + hhi | firm_id + year`, regressors: 6, effects: 2 },
  { id: "c", formula: `dvar ~ ${FIVE} | firm_id + year + industry^year`, regressors: 5, effects: 3 },
];
/** Every column the models and the cluster use: what fixest reads of the CSV. */
const COLUMNS = ["dvar", "robot", "ln_age", "finance", "fin_constraints", "cap_intensity", "hhi", "firm_id", "year", "industry"];
/** Model (b)'s nine columns: what the whole-run `fread` selects. */
const WHOLE_RUN_COLUMNS = COLUMNS.filter((c) => c !== "industry");
/** gen_panel.R's 1M-row benchmark panel; about 4.07 rows per firm. */
const FIRMS_PER_MILLION = 246_000;
const ROWS_PER_FIRM = 4.07;
/** The panel's CSV on disk (19 columns), with room to spare. */
const CSV_BYTES_PER_ROW = 300;
/**
 * Memory at the busiest moment, per row: this process holds the panel (19 columns, ≈ 150 B),
 * the ten columns read back from its CSV (80 B) and a warm fit's working set while a child fits
 * the same rows (fixest's copy of the ten columns and its model matrices, or absorb's CLI),
 * about 800 B in all, with room to spare.
 */
const MEMORY_BYTES_PER_ROW = 800;

/**
 * Bytes an exact-method fit of n rows must move at the least, for c = 1 + p model columns, p
 * regressors and q fixed effects, clustered by one of them: each column copied into the model
 * matrix (read and write, 16 B/row), demeaned (a group-sum pass over the largest effect, 8 + 4 B,
 * and a residual pass over all effects, 8 + 4q read and 8 written), read by the cross-products
 * (8) and by the residuals (8); then the residuals written (8) and the scores read (8p for the
 * regressors, 8 for e, 4 for the cluster codes).
 */
function bytesStreamed(n: number, p: number, q: number): number {
  const c = 1 + p;
  return n * (c * (16 + 12 + 16 + 4 * q + 8 + 8) + 8 + 8 * p + 8 + 4);
}

/** GB/s of the SIMD dot product over a 256 MB column (median of 5): the bandwidth the kernels reach. */
async function measuredBandwidth(): Promise<number> {
  return withArena(async (arena, k) => {
    const n = 32 * 2 ** 20;
    const x = arena.allocF64(n, "bandwidth probe");
    arena.f64(x, n).fill(1);
    const seconds = Array.from({ length: 5 }, () => {
      const t0 = performance.now();
      k.dot(n, x, x, 0);
      return (performance.now() - t0) / 1000;
    });
    return (n * 8) / median(seconds) / 1e9;
  });
}

const { values } = parseArgs({
  options: {
    sizes: { type: "string", default: "1,5" },
    reps: { type: "string", default: "5" },
    pairs: { type: "string", default: "5" },
    threads: { type: "string" },
  },
});
const sizes = values.sizes!.split(",").map(Number);
if (sizes.some((s) => !(s > 0))) throw new Error(`--sizes takes positive numbers of million rows (got ${values.sizes})`);
const reps = Number(values.reps);
const pairs = Number(values.pairs);
const threads = values.threads ? Number(values.threads) : defaultThreads();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const gb = (bytes: number) => `${(bytes / 1e9).toFixed(1)} GB`;
const load = () => loadavg().map((x) => x.toFixed(2)).join(" ");
const orDash = (x: number | undefined, digits: number) => (x === undefined ? "–" : x.toFixed(digits));

/** Why a panel of this many rows cannot run here now, or undefined when it can. */
function shortfall(rows: number, dir: string): string | undefined {
  const memory = rows * MEMORY_BYTES_PER_ROW;
  const { bavail, bsize } = statfsSync(dir);
  const disk = rows * CSV_BYTES_PER_ROW;
  if (freemem() < memory) return `needs ≈ ${gb(memory)} of free memory, ${gb(freemem())} free`;
  if (bavail * bsize < disk) return `needs ≈ ${gb(disk)} of free disk in ${dir}, ${gb(bavail * bsize)} free`;
  return undefined;
}

function printHeader(fixest: string | undefined, bandwidth: number): void {
  const cpu = cpus();
  console.log(`- machine: ${cpu.length} × ${cpu[0]?.model ?? "cpu"}, ${gb(freemem())} free memory; node ${process.version}; load average at start ${load()}`);
  console.log(`- absorb threads ${threads}; ${fixest ? `fixest ${fixest} and data.table on ${threads} threads, timed in the same run` : "fixest: not found (no Rscript with fixest), its columns left empty"}`);
  console.log(`- memory bandwidth (SIMD dot product over 256 MB): ${bandwidth.toFixed(1)} GB/s`);
  console.log(`- models, clustered by firm_id, singletons kept (\`--fixef-rm none\`, as fixest): ${MODELS.map((m) => `(${m.id}) \`${m.formula}\``).join("; ")}`);
  console.log(`- cold: median \`timing_ms.estimate\` of ${reps} fresh \`absorb fit --json\` processes, peak RSS the largest of them (${GNU_TIME}); warm: median of ${reps} in-process fits after a first, on the columns \`readFrame\` reads from the same CSV (fixest's: on what \`fread\` reads of it), and on the panel as JavaScript arrays (copied into wasm memory by every fit); fixest: feols on data in memory, median of 3`);
  console.log("");
  console.log(
    "| panel | model | nobs | same nobs as fixest | cold (s) | warm (s) | warm, JS arrays (s) | fixest (s) | cold / fixest | goal | warm / fixest | goal | rows/s cold | rows/s warm | iterations | method | cold peak RSS (MiB) | goal | floor (s) | warm / floor |",
  );
  console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|---|");
}

/** The median of `reps` warm in-process fits on `frame`, after a first that starts the pool's threads and caches the encodings, as in any session. */
async function warmFit(frame: Frame, formula: string): Promise<{ seconds: number; result: Awaited<ReturnType<typeof feols>> }> {
  const fit = () => feols(frame, formula, { vcov: { cluster: "firm_id" }, fixefRm: "none", threads });
  let result = await fit();
  const bench = new Bench({ iterations: reps, time: 0, warmup: false });
  bench.add(formula, async () => {
    result = await fit();
  });
  await bench.run();
  const seconds = (bench.tasks[0].result as unknown as { latency: { p50: number } }).latency.p50 / 1000;
  return { seconds, result };
}

/** One model on one panel: cold, warm (on `read`, the CSV's columns as readFrame reads them, and on the panel's JavaScript arrays) and fixest side by side, as a table row. */
async function modelRow(label: string, size: number, panel: Frame, read: Frame, csv: string, model: (typeof MODELS)[number], fixest: { seconds: number; nobs: number } | undefined, bandwidth: number): Promise<string> {
  const cold = Array.from({ length: reps }, () => absorbFitProcess(csv, model.formula, threads));
  const coldSeconds = median(cold.map((c) => c.json.timing_ms.estimate)) / 1000;
  const coldPeak = Math.max(...cold.map((c) => c.peakMiB));
  const nobs = cold[0].json.nobs;
  const warm = await warmFit(read, model.formula);
  const warmArrays = await warmFit(panel, model.formula);
  for (const w of [warm, warmArrays]) if (w.result.nobs !== nobs) throw new Error(`model (${model.id}): ${w.result.nobs} rows in process, ${nobs} in the CLI`);
  const coldRatio = fixest && coldSeconds / fixest.seconds;
  const warmRatio = fixest && warm.seconds / fixest.seconds;
  const goals = goalsFor(size);
  const floor = bytesStreamed(nobs, model.regressors, model.effects) / (bandwidth * 1e9);
  const sameNobs = fixest === undefined ? "–" : fixest.nobs === nobs ? "✓" : `✗ fixest ${fixest.nobs.toLocaleString("en-US")}`;
  const cells = [
    label,
    `(${model.id})`,
    nobs.toLocaleString("en-US"),
    sameNobs,
    coldSeconds.toFixed(3),
    warm.seconds.toFixed(3),
    warmArrays.seconds.toFixed(3),
    orDash(fixest?.seconds, 3),
    orDash(coldRatio, 2),
    ratioGoal(coldRatio, goals.cold?.[model.id]),
    orDash(warmRatio, 2),
    ratioGoal(warmRatio, goals.warm),
    `${(nobs / coldSeconds / 1e6).toFixed(2)}M`,
    `${(nobs / warm.seconds / 1e6).toFixed(2)}M`,
    warm.result.iterations,
    warm.result.method,
    coldPeak.toFixed(0),
    peakGoal(coldPeak, goals.peakMB),
    floor.toFixed(3),
    (warm.seconds / floor).toFixed(1),
  ];
  return `| ${cells.join(" | ")} |`;
}

/** One panel size: its rows of the table, and the whole-run comparison (with the panel's size in words) when `wholeRun`. */
async function benchSize(size: number, dir: string, fixestFound: boolean, bandwidth: number, wholeRun: boolean): Promise<{ label: string; comparison: WholeRunComparison } | undefined> {
  const firms = Math.round(FIRMS_PER_MILLION * size);
  const short = shortfall(firms * ROWS_PER_FIRM, dir);
  if (short) {
    console.log(`| ${size}M | skipped: ${short} |`);
    return undefined;
  }
  const panel = generatePanel({ firms, seed: 20230801 });
  const label = `${(panel.nrows / 1e6).toFixed(2)}M`;
  const csv = join(dir, `panel_${size}m.csv`);
  await writeCsv(panel, csv);
  try {
    const timings = fixestFound ? timeFixest(csv, MODELS.map((m) => m.formula), "firm_id", 3, dir, "feols", { threads, columns: COLUMNS }) : undefined;
    const read = await readFrame(csv, COLUMNS);
    for (const [i, model] of MODELS.entries()) {
      const fixest = timings && { seconds: timings[i].medianSeconds, nobs: timings[i].nobs };
      console.log(await modelRow(label, size, panel, read, csv, model, fixest, bandwidth));
    }
    if (!wholeRun) return undefined;
    return { label, comparison: compareWholeRuns({ csv, formula: MODELS[1].formula, columns: WHOLE_RUN_COLUMNS, threads, pairs, withFixest: fixestFound, dir }) };
  } finally {
    rmSync(csv, { force: true });
  }
}

if (!gnuTimeAvailable()) throw new Error(`${GNU_TIME} (GNU time) is needed for the processes' wall time and peak RSS`);
const dir = mkdtempSync(join(tmpdir(), "absorb-bench-"));
try {
  const fixest = fixestVersion();
  const bandwidth = await measuredBandwidth();
  printHeader(fixest, bandwidth);
  // The whole process is compared on the 1M-row CSV, the issue's job, or on the smallest panel when 1 is not asked for.
  const wholeRunSize = sizes.includes(1) ? 1 : Math.min(...sizes);
  const tables: string[] = [];
  for (const size of sizes) {
    const whole = await benchSize(size, dir, fixest !== undefined, bandwidth, size === wholeRunSize);
    if (whole) tables.push("", ...wholeRunTable(`whole process, ${whole.label}-row panel CSV, model (b), medians of ${pairs} paired runs`, whole.comparison, goalsFor(size).wholeRun));
  }
  for (const line of tables) console.log(line);
  console.log(`\n- load average at the end ${load()}; peak RSS of this benchmark process ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MiB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
}
