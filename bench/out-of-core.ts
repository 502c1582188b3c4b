/**
 * Out-of-core benchmark: DuckDB writes a firm-year Parquet panel (default 5M firms × 20 years,
 * 10% of firm-years missing: ≈ 90M rows; planted slopes 1, −0.5, 0.25; firm and year effects),
 * then absorb fits y ~ x1 + x2 + x3 | firm + year clustered by firm with the DuckDB engine, in a
 * fresh process so its peak RSS is the fit's own. The same code then fits a subset file (the
 * first 1/20 of the firms, ≈ 4.5M rows) and the in-memory engine fits it too: they must agree
 * to 1e-9.
 *
 *   node dist/bench/out-of-core.js [--firms 5000000] [--years 20] [--dir /tmp/absorb-ooc] [--memory 2GB] [--threads N]
 */
import { spawnSync } from "node:child_process";
import { existsSync, mkdirSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { fileURLToPath } from "node:url";
import { parseArgs } from "node:util";
import { DuckDBInstance } from "@duckdb/node-api";

const { values } = parseArgs({
  options: {
    firms: { type: "string", default: "5000000" },
    years: { type: "string", default: "20" },
    dir: { type: "string", default: join(tmpdir(), "absorb-ooc") },
    memory: { type: "string", default: "2GB" },
    threads: { type: "string" },
    phase: { type: "string" },
  },
});
const firms = Number(values.firms);
const years = Number(values.years);
const PLANTED = [1, -0.5, 0.25];
const FORMULA = "y ~ x1 + x2 + x3 | firm + year";
const full = join(values.dir!, `panel-${firms}x${years}.parquet`);
const subset = join(values.dir!, `panel-${firms}x${years}-subset.parquet`);

/**
 * The k-th uniform in [0, 1) of firm f, year t (t = −1: the firm's own) from DuckDB's hash of one
 * integer (its multi-argument hash combines too weakly: draws would correlate): the panel is the
 * same on every run.
 */
const uniform = (t: string, k: number) => `((hash(((f * ${years + 1} + (${t}) + 1) * 16 + ${k})::BIGINT) >> 11)::DOUBLE / 9007199254740992.0)`;

async function writePanel(): Promise<void> {
  mkdirSync(values.dir!, { recursive: true });
  const instance = await DuckDBInstance.create(":memory:", { memory_limit: values.memory!, temp_directory: join(values.dir!, "duckdb-tmp"), ...(values.threads ? { threads: values.threads } : {}) });
  const c = await instance.connect();
  const firmEffect = `3 * ${uniform("-1", 0)}`;
  await c.run(
    `COPY (SELECT f::INTEGER AS firm, (2000 + t)::SMALLINT AS year, x1, x2, x3, ` +
      `${PLANTED[0]} * x1 + ${PLANTED[1]} * x2 + ${PLANTED[2]} * x3 + fe + 0.1 * t + e AS y FROM (` +
      `SELECT f, t, ${firmEffect} AS fe, ${uniform("t", 1)} - 0.5 + 0.5 * ${firmEffect} AS x1, ${uniform("t", 2)} + 0.02 * t AS x2, ` +
      `2 * ${uniform("t", 3)} AS x3, ${uniform("t", 4)} + ${uniform("t", 5)} - 1 AS e ` +
      `FROM range(${firms}) r(f), range(${years}) s(t) WHERE ${uniform("t", 7)} >= 0.1)) TO '${full}' (FORMAT parquet)`,
  );
  await c.run(`COPY (SELECT * FROM '${full}' WHERE firm < ${Math.floor(firms / 20)}) TO '${subset}' (FORMAT parquet)`);
  c.closeSync();
  instance.closeSync();
}

/** One fit in this process; prints one JSON line. */
async function fitPhase(phase: string): Promise<void> {
  const { feolsOutOfCore } = await import("../src/outofcore/fit.js");
  const started = performance.now();
  const file = phase === "full" ? full : subset;
  const r = await feolsOutOfCore({ files: file }, FORMULA, { vcov: { cluster: "firm" }, duckdb: { memoryLimit: values.memory!, threads: values.threads ? Number(values.threads) : undefined, tempDirectory: join(values.dir!, "duckdb-tmp") } });
  const seconds = (performance.now() - started) / 1000;
  const cpu = process.cpuUsage();
  const out: Record<string, unknown> = { seconds, cpuSeconds: (cpu.user + cpu.system) / 1e6, maxRssMiB: process.resourceUsage().maxRSS / 1024, nobs: r.nobs, scan: r.scan, coefficients: r.coefficients.map((c) => [c.name, c.estimate, c.se]) };
  if (phase === "subset") {
    const { feols, readFrame, shutdown } = await import("../src/index.js");
    const memory = await feols(await readFrame(file), FORMULA, { vcov: { cluster: "firm" } });
    out.maxRelativeDifference = Math.max(
      ...memory.coefficients.flatMap((m) => {
        const o = r.coef(m.name)!;
        return [Math.abs(o.estimate - m.estimate) / Math.abs(m.estimate), Math.abs(o.se - m.se) / m.se];
      }),
    );
    await shutdown();
  }
  console.log(JSON.stringify(out));
}

function child(phase: string): Record<string, any> {
  const args = [fileURLToPath(import.meta.url), "--phase", phase, "--firms", values.firms!, "--years", values.years!, "--dir", values.dir!, "--memory", values.memory!, ...(values.threads ? ["--threads", values.threads] : [])];
  const run = spawnSync(process.execPath, args, { encoding: "utf8", maxBuffer: 1 << 24 });
  if (run.status !== 0) throw new Error(`phase ${phase} failed (${run.status}): ${run.stderr}`);
  return JSON.parse(run.stdout.trim().split("\n").pop()!);
}

if (values.phase !== undefined) {
  await fitPhase(values.phase);
} else {
  const written = performance.now();
  if (!existsSync(full) || !existsSync(subset)) await writePanel();
  console.log(`panel: ${full} (${firms.toLocaleString("en-US")} firms × ${years} years, 10% missing), written in ${((performance.now() - written) / 1000).toFixed(1)} s`);
  const f = child("full");
  const s = child("subset");
  const rate = (x: Record<string, any>) => Math.round(x.scan.rows / x.seconds).toLocaleString("en-US");
  console.log(`DuckDB memory limit ${values.memory}; fits in fresh processes (peak RSS is the fit's)`);
  console.log("");
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, load average ${loadavg().map((x) => x.toFixed(1)).join(" ")} (CPU time: all threads together)`);
  console.log("");
  console.log("| run | rows | time (s) | CPU time (s) | peak RSS (MiB) | rows/s | statements | bytes returned |");
  console.log("|---|---|---|---|---|---|---|---|");
  for (const [label, x] of [["full panel, DuckDB engine", f], ["subset, DuckDB engine", s]] as const) {
    console.log(`| ${label} | ${x.nobs.toLocaleString("en-US")} | ${x.seconds.toFixed(1)} | ${x.cpuSeconds.toFixed(1)} | ${Math.round(x.maxRssMiB)} | ${rate(x)} | ${x.scan.queries} | ${x.scan.bytesReturned.toLocaleString("en-US")} |`);
  }
  console.log("");
  console.log("| coefficient | planted | estimate | se (firm clusters) |");
  console.log("|---|---|---|---|");
  f.coefficients.forEach(([name, est, se]: [string, number, number], i: number) => console.log(`| ${name} | ${PLANTED[i]} | ${est.toFixed(6)} | ${se.toExponential(3)} |`));
  console.log("");
  console.log(`subset: DuckDB engine vs in-memory fit, largest relative difference in coefficients and se: ${s.maxRelativeDifference.toExponential(2)}`);
  console.log("fixest on the 90M-row panel (issue 18, same machine): fread 19.3 s + feols 48.6 s = 67.9 s, 16.8 GB peak");
}
