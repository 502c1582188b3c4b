/**
 * End-to-end benchmark: seeded synthetic firm-year panels (the data-generating process of
 * gen_panel.R) of 1M and 5M rows, timing the three models, all clustered by firm:
 * cold (a fresh `absorb fit --json` process on the panel's CSV, its first fit: timing_ms.estimate,
 * with the process's peak RSS) and warm (in process, data in memory, after a first fit), and the
 * whole CLI run on a 1M-row CSV. Prints medians, rows/second, iterations and peak memory, and
 * the memory-bandwidth floor of each fit (bytesStreamed over the bandwidth a SIMD dot product
 * reaches here); compares with fixest when Rscript has it, otherwise with the figures fixest
 * 0.12.2 gave on a 2-core machine. Sizes 1, 5 and 20 (million rows; 20 needs ~15 GB of memory
 * and disk for the panel, its CSV and fixest's copy).
 *
 *   node dist/bench/e2e.js [--sizes 1,5,20] [--reps 5] [--threads N]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdtempSync, rmSync } from "node:fs";
import { tmpdir, cpus } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { feols, shutdown } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";
import { writeCsv } from "../src/data/writers/csv.js";
import { packageRoot } from "../src/core/package-root.js";
import { defaultThreads } from "../src/engine/pool.js";
import { withArena } from "../src/engine/shared.js";
import { fixestAvailable, timeFixest } from "./fixest.js";

const SIX = "robot + ln_age + finance + fin_constraints + cap_intensity + profitability";
const MODELS = [
  { id: "a", label: "(a) 1 regressor, 2 FE", formula: "dvar ~ robot | firm_id + year", regressors: 1, effects: 2 },
  { id: "b", label: "(b) 6 regressors, 2 FE", formula: `dvar ~ ${SIX} | firm_id + year`, regressors: 6, effects: 2 },
  { id: "c", label: "(c) 6 regressors, 3 FE", formula: `dvar ~ ${SIX} | firm_id + year + industry^year`, regressors: 6, effects: 3 },
] as const;

/** fixest 0.12.2, 2 threads, estimation only, clustered by firm (issue 3). */
const FIXEST_TABLE: Record<string, Record<string, number>> = {
  "1": { a: 0.44, b: 0.99, c: 0.78 },
  "5": { a: 3.2, b: 7.9, c: 6.3 },
};
/** Firms for ≈1M, ≈5M and ≈20M rows, as gen_panel.R's benchmark panels (246,000 and 1,230,000 firms, and 4 × that). */
const FIRMS: Record<string, number> = { "1": 246_000, "5": 1_230_000, "20": 4_920_000 };

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
  options: { sizes: { type: "string", default: "1,5" }, reps: { type: "string", default: "5" }, threads: { type: "string" } },
});
const reps = Number(values.reps);
const threads = values.threads ? Number(values.threads) : defaultThreads();
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const withFixest = fixestAvailable();
const dir = mkdtempSync(join(tmpdir(), "absorb-bench-"));
const bandwidth = await measuredBandwidth();

console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, absorb threads ${threads}`);
console.log(withFixest ? "fixest: found, timed side by side" : "fixest: not found (no Rscript with fixest); comparing with fixest 0.12.2's figures from the issue");
console.log(`memory bandwidth (SIMD dot product over 256 MB): ${bandwidth.toFixed(1)} GB/s`);
console.log("");
console.log("| panel | model | cold estimate (s) | warm (s) | rows/s (warm) | iterations | method | cold peak RSS (MB) | fixest (s) | cold/fixest | warm/fixest | floor (s) | warm/floor |");
console.log("|---|---|---|---|---|---|---|---|---|---|---|---|---|");

/** One fresh `absorb fit --json` process: its wall time, its JSON output and its peak RSS in MB (0 without /usr/bin/time). */
function runCli(csv: string, formula: string): { seconds: number; output: { timing_ms: { estimate: number } }; peakMB: number } {
  const timed = existsSync("/usr/bin/time");
  const cli = [process.execPath, join(packageRoot, "bin", "absorb.js"), "fit", "--data", csv, "--formula", formula, "--vcov", "cluster:firm_id", "--json"];
  const t0 = performance.now();
  const run = timed ? spawnSync("/usr/bin/time", ["-f", "%M", ...cli], { encoding: "utf8", maxBuffer: 1 << 26 }) : spawnSync(cli[0], cli.slice(1), { encoding: "utf8", maxBuffer: 1 << 26 });
  const seconds = (performance.now() - t0) / 1000;
  if (run.status !== 0) throw new Error(`absorb fit failed: ${run.stderr}`);
  const peakMB = timed ? Number(run.stderr.trim().split("\n").pop()) / 1024 : 0;
  return { seconds, output: JSON.parse(run.stdout), peakMB };
}

try {
  for (const size of values.sizes!.split(",")) {
    const panel = generatePanel({ firms: FIRMS[size], seed: 20230801 });
    const csv = join(dir, `panel_${size}m.csv`);
    await writeCsv(panel, csv);
    let fixest: Record<string, number> = FIXEST_TABLE[size] ?? {};
    if (withFixest) {
      const timings = timeFixest(csv, MODELS.map((m) => m.formula), "firm_id", 3, dir);
      fixest = Object.fromEntries(MODELS.map((m, i) => [m.id, timings[i].medianSeconds]));
    }
    for (const model of MODELS) {
      const cold = Array.from({ length: reps }, () => runCli(csv, model.formula));
      const coldSeconds = median(cold.map((c) => c.output.timing_ms.estimate / 1000));
      const coldPeak = Math.max(...cold.map((c) => c.peakMB));
      // One fit first: the pool's threads start and the whole-column encodings are cached, as in any session.
      await feols(panel, model.formula, { vcov: { cluster: "firm_id" }, threads });
      const bench = new Bench({ iterations: reps, time: 0, warmup: false });
      let last: Awaited<ReturnType<typeof feols>> | undefined;
      bench.add(model.id, async () => {
        last = await feols(panel, model.formula, { vcov: { cluster: "firm_id" }, threads });
      });
      await bench.run();
      const seconds = (bench.tasks[0].result as unknown as { latency: { p50: number } }).latency.p50 / 1000;
      const ref = fixest[model.id];
      const ratio = (t: number) => (ref ? (t / ref).toFixed(2) : "–");
      const floor = bytesStreamed(last!.nobs, model.regressors, model.effects) / (bandwidth * 1e9);
      console.log(
        `| ${(panel.nrows / 1e6).toFixed(2)}M | ${model.label} | ${coldSeconds.toFixed(3)} | ${seconds.toFixed(3)} | ${(last!.nobs / seconds / 1e6).toFixed(2)}M | ${last!.iterations} | ${last!.method} | ` +
          `${coldPeak ? coldPeak.toFixed(0) : "–"} | ${ref ?? "–"} | ${ratio(coldSeconds)} | ${ratio(seconds)} | ${floor.toFixed(3)} | ${(seconds / floor).toFixed(1)} |`,
      );
    }
    if (size === "1") {
      // The whole CLI on a 1M-row CSV: start, read, fit, print.
      const runs = Array.from({ length: 3 }, () => runCli(csv, MODELS[1].formula));
      const peak = Math.max(...runs.map((r) => r.peakMB));
      console.log(
        `| ${(panel.nrows / 1e6).toFixed(2)}M CSV | whole CLI run (read + fit (b) + output) | | ${median(runs.map((r) => r.seconds)).toFixed(2)} (wall) | | | | ${peak ? peak.toFixed(0) : "–"} | target < 3 s | | | | |`,
      );
    }
    rmSync(csv, { force: true });
  }
  console.log(`\npeak resident memory of this benchmark process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
}
