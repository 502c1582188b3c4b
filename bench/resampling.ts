/**
 * Mediation bootstrap and heterogeneity permutation benchmark on the default study-size panel:
 * generatePanel({ firms: 100,000, seed: 1 }) (≈ 407k rows), firm + year effects, clustered by
 * firm, B = K = 499. Times each analysis (the fits, then the resampling part) and a multiple
 * estimation (c() × csw()) against the same models one by one.
 *
 *   node dist/bench/resampling.js [--firms 100000] [--B 499] [--K 499] [--threads 2]
 */
import { cpus } from "node:os";
import { parseArgs } from "node:util";
import { feols, feolsMulti, mediation, heterogeneity, shutdown } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";

const { values } = parseArgs({
  options: {
    firms: { type: "string", default: "100000" },
    B: { type: "string", default: "499" },
    K: { type: "string", default: "499" },
    threads: { type: "string", default: "2" },
  },
});
const B = Number(values.B);
const K = Number(values.K);
const threads = Number(values.threads);
const started = performance.now();
const frame = generatePanel({ firms: Number(values.firms), seed: 1 });
const s = (ms: number) => (ms / 1000).toFixed(2);
console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}; threads ${threads}`);
console.log(`panel: ${frame.nrows.toLocaleString("en-US")} rows, ${Number(values.firms).toLocaleString("en-US")} firms (generated in ${s(performance.now() - started)} s); B = ${B}, K = ${K}`);
console.log("");
console.log("| analysis | fits (s) | resampling (s) | per replication (ms) | engine |");
console.log("|---|---|---|---|---|");
const opts = { vcov: { cluster: "firm_id" }, threads } as const;
const controls = "ln_age + finance";
let total = 0;
for (const mediator of ["profitability", "innovation"]) {
  const t = performance.now();
  const m = await mediation(frame, `dvar ~ robot + ${controls} | firm_id + year`, { ...opts, mediator, B, seed: 1 });
  total += performance.now() - t;
  console.log(`| mediation robot → ${mediator} → dvar | ${s(m.timings.fits)} | ${s(m.timings.bootstrap)} | ${(m.timings.bootstrap / B).toFixed(1)} | ${m.bootstrap!.engine} |`);
}
for (const group of ["soe", "region"]) {
  const t = performance.now();
  const h = await heterogeneity(frame, `dvar ~ robot + ${controls} | firm_id + year`, { ...opts, group, K, seed: 1 });
  total += performance.now() - t;
  console.log(`| heterogeneity by ${group} (${h.levels.length} groups) | ${s(h.timings.fits)} | ${s(h.timings.permutation)} | ${(h.timings.permutation / K).toFixed(1)} | ${h.permutation!.engine} |`);
}
console.log("");
console.log(`mediation ×2 + heterogeneity ×2, whole calls: ${s(total)} s`);

const formula = `c(dvar, gap) ~ csw(robot, ${controls}, profitability) | firm_id + year`;
let t = performance.now();
const multi = await feolsMulti(frame, formula, opts);
const shared = performance.now() - t;
t = performance.now();
for (const fit of multi) await feols(frame, fit.formula, opts);
const separate = performance.now() - t;
console.log(`multiple estimation, ${multi.length} models (${formula}): ${s(shared)} s in one call, ${s(separate)} s one by one`);
await shutdown();
