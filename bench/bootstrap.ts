/**
 * Wild cluster bootstrap benchmark: B = 9,999 replications (Rademacher, null imposed, p-value
 * and test-inversion interval) of the robot coefficient on a seeded synthetic firm-year panel of
 * 25,000 firms (≈ 100k rows, singletons kept), clustered by firm (25,000 clusters). Reports the median whole call
 * (fit included), the bootstrap part alone and the replications per second; also the same with
 * year effects crossed with the clusters (their re-projection in every replication), with Webb
 * weights, and with 6 regressors.
 *
 *   node dist/bench/bootstrap.js [--reps 5] [--firms 25000] [--B 9999]
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { Bench } from "tinybench";
import { wildBootstrap, shutdown, type WildBootstrapOptions } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";

const { values } = parseArgs({
  options: { reps: { type: "string", default: "5" }, firms: { type: "string", default: "25000" }, B: { type: "string", default: "9999" } },
});
const reps = Number(values.reps);
const B = Number(values.B);
const frame = generatePanel({ firms: Number(values.firms), seed: 20230801 });

const SIX = "robot + ln_age + finance + fin_constraints + cap_intensity + profitability";
const cases: { label: string; formula: string; options: Partial<WildBootstrapOptions> }[] = [
  { label: "robot, firm FE (nested in the clusters)", formula: "dvar ~ robot | firm_id", options: {} },
  { label: "robot, firm + year FE (year crossed)", formula: "dvar ~ robot | firm_id + year", options: {} },
  { label: "robot, firm + year FE, Webb weights", formula: "dvar ~ robot | firm_id + year", options: { dist: "webb" } },
  { label: "6 regressors, firm + year FE", formula: `dvar ~ ${SIX} | firm_id + year`, options: {} },
];

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}`);
console.log(`panel: ${frame.nrows.toLocaleString("en-US")} rows, ${Number(values.firms).toLocaleString("en-US")} firms; B = ${B}; ${reps} runs each (medians)`);
console.log("");
console.log("| model | clusters | whole call (s) | bootstrap (s) | replications/s | p | 95% interval |");
console.log("|---|---|---|---|---|---|---|");

for (const c of cases) {
  const boot: number[] = [];
  let last: Awaited<ReturnType<typeof wildBootstrap>> | null = null;
  const bench = new Bench({ iterations: reps, warmupIterations: 1, time: 0, warmupTime: 0 });
  bench.add(c.label, async () => {
    // Singletons kept so that every firm is a cluster (25,000 clusters for 25,000 firms).
    last = await wildBootstrap(frame, c.formula, { param: "robot", cluster: "firm_id", B, seed: 12345, fixefRm: "none", threads: 1, ...c.options });
    boot.push(last.timings.bootstrap);
  });
  await bench.run();
  const task = bench.tasks[0];
  const latency = task.result && "latency" in task.result ? (task.result as { latency: { samples?: number[]; p50?: number } }).latency : null;
  const whole = latency?.p50 ?? (latency?.samples ? median(latency.samples) : NaN);
  const bootMs = median(boot.slice(-reps));
  const r = last!;
  console.log(
    `| ${c.label} | ${r.clusters.toLocaleString("en-US")} | ${(whole / 1000).toFixed(2)} | ${(bootMs / 1000).toFixed(2)} | ` +
      `${Math.round(r.B / (bootMs / 1000)).toLocaleString("en-US")} | ${r.p.toPrecision(3)} | [${r.ci![0].toPrecision(4)}, ${r.ci![1].toPrecision(4)}] |`,
  );
}
await shutdown();
