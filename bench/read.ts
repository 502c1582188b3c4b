/**
 * Read benchmark (issue 17): readFrame of model (b)'s nine columns from a 1M-row panel CSV
 * against DuckDB's own scan of the same columns (`SELECT sum(col)… FROM read_csv(…)`, same
 * reader options), in one process, alternating, so both see the same page cache and load.
 * The goal is readFrame within 1.2× of the scan.
 *
 *   node dist/bench/read.js [--csv PATH] [--firms 246000] [--reps 7]
 *
 * Without --csv (or when PATH does not exist yet) the panel is generated and written first.
 */
import { existsSync, mkdtempSync, rmSync, statSync } from "node:fs";
import { cpus, loadavg, tmpdir } from "node:os";
import { join } from "node:path";
import { parseArgs } from "node:util";
import { generatePanel } from "../src/study/synthetic.js";
import { writeCsv } from "../src/data/writers/csv.js";
import { readFrame } from "../src/data/read.js";
import { localDuckDB } from "../src/data/readers/duckdb.js";
import { sqlIdentifier, sqlString } from "../src/data/sql.js";

const COLUMNS = ["dvar", "robot", "ln_age", "finance", "fin_constraints", "cap_intensity", "hhi", "firm_id", "year"];

const { values } = parseArgs({
  options: { csv: { type: "string" }, firms: { type: "string", default: "246000" }, reps: { type: "string", default: "7" } },
});
const reps = Number(values.reps);
const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const dir = values.csv ? undefined : mkdtempSync(join(tmpdir(), "absorb-read-bench-"));
const csv = values.csv ?? join(dir!, "panel.csv");

/** DuckDB alone: a fresh in-memory instance scanning and summing the columns, read_csv as absorb calls it. */
async function duckdbScan(): Promise<number> {
  const t0 = performance.now();
  const instance = await localDuckDB();
  try {
    const connection = await instance.connect();
    const sums = COLUMNS.map((c) => `sum(${sqlIdentifier(c)})`).join(", ");
    await connection.run(
      `SELECT ${sums} FROM read_csv(${sqlString(csv)}, nullstr = ['', 'NA'], auto_type_candidates = ['BOOLEAN', 'DOUBLE', 'VARCHAR'])`,
    );
    connection.closeSync();
  } finally {
    instance.closeSync();
  }
  return (performance.now() - t0) / 1000;
}

async function absorbRead(): Promise<number> {
  const t0 = performance.now();
  const frame = await readFrame(csv, COLUMNS);
  const seconds = (performance.now() - t0) / 1000;
  if (frame.columns.size !== COLUMNS.length) throw new Error("readFrame lost a column");
  return seconds;
}

try {
  if (!existsSync(csv)) await writeCsv(generatePanel({ firms: Number(values.firms), seed: 20230801 }), csv);
  console.log(`machine: ${cpus().length} × ${cpus()[0]?.model ?? "cpu"}, node ${process.version}, load ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log(`file: ${csv} (${(statSync(csv).size / 2 ** 20).toFixed(0)} MiB), columns: ${COLUMNS.join(" ")}`);
  // One of each first: DuckDB's native module loads and the file enters the page cache.
  await duckdbScan();
  await absorbRead();
  const scan: number[] = [];
  const read: number[] = [];
  for (let i = 0; i < reps; i++) {
    scan.push(await duckdbScan());
    read.push(await absorbRead());
  }
  const s = median(scan);
  const r = median(read);
  console.log("");
  console.log("| what | median (s) | runs (s) |");
  console.log("|---|---|---|");
  console.log(`| DuckDB scan (sum of the columns) | ${s.toFixed(3)} | ${scan.map((x) => x.toFixed(3)).join(" ")} |`);
  console.log(`| absorb readFrame | ${r.toFixed(3)} | ${read.map((x) => x.toFixed(3)).join(" ")} |`);
  console.log(`\nreadFrame / DuckDB scan: ${(r / s).toFixed(2)} (goal ≤ 1.2); load at the end ${loadavg().map((x) => x.toFixed(2)).join(" ")}`);
  console.log(`peak resident memory of this process: ${(process.resourceUsage().maxRSS / 1024).toFixed(0)} MB`);
} finally {
  if (dir) rmSync(dir, { recursive: true, force: true });
}
