import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance, type DuckDBConnection } from "@duckdb/node-api";
import { feols } from "../src/fit/feols.js";
import { readFrame } from "../src/data/read.js";
import { evaluatePredicate, parsePredicate } from "../src/data/predicate.js";
import { parseScript } from "../src/outofcore/script-runner.js";
import { formatStats, type ScriptOptions } from "../src/outofcore/sufficient-stats.js";
import { DIALECTS, feolsFromSufficientStats, printPlan } from "../src/outofcore/printed.js";
import { readStats } from "../src/cli/remote.js";
import type { Frame } from "../src/data/frame.js";
import { enginePanelCsv, expectSameFit } from "./helpers/outofcore-panel.js";
import { absorb, absorbJson } from "./helpers/cli.js";
import { packageRoot } from "../src/core/package-root.js";
import type { FeolsResult } from "../src/fit/result.js";

/** The model whose printed SQL is fixed per dialect in test/fixtures/sql/. */
const GOLDEN = { formula: "y ~ x1 + x2 | firm + year^sector", args: ["--vcov", "cluster:firm", "--weights", "w", "--where", "year >= 2001 and region != 'r1'", "--singleton-rounds", "2"] };

describe("printed SQL per dialect (golden)", () => {
  for (const dialect of DIALECTS) {
    test(dialect, () => {
      const run = absorb(["sql", "--dialect", dialect, "--table", "db.panel", "--formula", GOLDEN.formula, ...GOLDEN.args]);
      expect(run.status, run.stderr).toBe(0);
      expect(run.stdout).toBe(readFileSync(join(packageRoot, "test", "fixtures", "sql", `${dialect}.sql`), "utf8"));
    });
  }

  test("bad requests exit 2 naming the option", () => {
    expect(absorbJson(["sql", "--dialect", "oracle", "--table", "t", "--formula", "y ~ x1 | firm"]).json.error.message).toMatch(/--dialect must be one of duckdb, clickhouse, spark, bigquery/);
    expect(absorbJson(["sql", "--dialect", "spark", "--formula", "y ~ x1 | firm"]).status).toBe(2);
    expect(absorbJson(["sql", "--dialect", "spark", "--table", "t", "--formula", "y ~ x1 | firm", "--vcov", "nw", "--panel-id", "firm,year"]).status).toBe(2);
  });
});

let dir: string;
let frame: Frame;
let instance: DuckDBInstance;

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "absorb-sql-"));
  const csv = join(dir, "panel.csv");
  writeFileSync(csv, enginePanelCsv());
  frame = await readFrame(csv);
  instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  await c.run(`CREATE TABLE panel AS SELECT * FROM read_csv('${csv}')`);
  c.closeSync();
});

afterAll(() => {
  instance?.closeSync();
  rmSync(dir, { recursive: true, force: true });
});

/** Runs a printed script statement by statement, as a user would, and writes its results file. */
async function runPrinted(c: DuckDBConnection, script: string, file: string): Promise<void> {
  const results: Record<string, number[][]> = {};
  for (const { sql, result } of parseScript(script)) {
    const reader = await c.runAndReadAll(sql);
    if (result !== undefined) results[result] = reader.getRows().map((row) => row.map((v) => (v === null ? NaN : Number(v))));
  }
  writeFileSync(file, formatStats(results));
}

/**
 * absorb sql (script 1) → DuckDB → absorb sql --from-sufficient-stats (script 2) → DuckDB, then
 * the fit from both results files, by absorb fit --from-sufficient-stats and by the API.
 */
async function compare(formula: string, args: string[], options: ScriptOptions = {}): Promise<FeolsResult> {
  const c = await instance.connect();
  try {
    const model = ["--table", "panel", "--formula", formula, ...args];
    const script1 = absorb(["sql", "--dialect", "duckdb", ...model]);
    expect(script1.status, script1.stderr).toBe(0);
    const results1 = join(dir, "results1.json");
    await runPrinted(c, script1.stdout, results1);
    const script2 = absorb(["sql", "--dialect", "duckdb", ...model, "--from-sufficient-stats", results1]);
    expect(script2.status, script2.stderr).toBe(0);
    const results2 = join(dir, "results2.json");
    await runPrinted(c, script2.stdout, results2);
    const { where, singletonRounds: _rounds, ...shared } = options;
    const memory = await feols(frame, formula, { ...shared, subset: typeof where === "string" ? evaluatePredicate(parsePredicate(where), frame) : undefined });
    const fromStats = feolsFromSufficientStats(formula, options, readStats([results1, results2]));
    expectSameFit(fromStats, memory);
    const cli = absorbJson(["fit", "--formula", formula, ...args, "--from-sufficient-stats", results1, "--from-sufficient-stats", results2]);
    expect(cli.status, cli.stderr).toBe(0);
    expect(cli.json.engine).toBe("sufficient-stats");
    expect(cli.json.nobs).toBe(memory.nobs);
    for (const [i, m] of memory.coefficients.entries()) {
      expect(Math.abs(cli.json.coefficients[i].estimate - m.estimate) / Math.abs(m.estimate)).toBeLessThan(1e-9);
      expect(Math.abs(cli.json.coefficients[i].se - m.se) / m.se).toBeLessThan(1e-9);
    }
    return fromStats;
  } finally {
    c.closeSync();
  }
}

describe("DuckDB runs its printed SQL; --from-sufficient-stats finishes the fit as in memory", () => {
  test("two fixed effects, clustered by firm", async () => {
    const r = await compare("y ~ x1 + x2 + x3 | firm + year", ["--vcov", "cluster:firm"], { vcov: { cluster: "firm" } });
    expect(r.droppedRows.singletons).toBeGreaterThan(0);
  });

  test("three fixed effects, hetero, singleton removal in two rounds", async () => {
    const r = await compare("y ~ x1 + x2 + x3 | firm + year + region", ["--vcov", "hetero"], { vcov: "hetero" });
    const oneRound = await feols(frame, "y ~ x1 + x2 + x3 | firm + year", { vcov: "hetero" });
    expect(r.droppedRows.singletons).toBe(oneRound.droppedRows.singletons + 2);
  });

  test("a^b with weights, two-way clustered, with a subset", async () => {
    await compare("y ~ x1 + x2 | firm + sector^year", ["--vcov", "cluster:firm+year", "--weights", "w", "--where", "year >= 2001 and region != 'r1'"], {
      vcov: { cluster: ["firm", "year"] },
      weights: "w",
      where: "year >= 2001 and region != 'r1'",
    });
  });

  test("no fixed effects, iid; singletons kept", async () => {
    await compare("y ~ x1 + x2", [], {});
    await compare("y ~ x1 + x2 | firm + year", ["--fixef-rm", "none"], { fixefRm: "none" });
  });

  test("too few singleton rounds are caught by the check, not fitted wrong", async () => {
    const c = await instance.connect();
    try {
      const model = ["--table", "panel", "--formula", "y ~ x1 | firm + year + region", "--singleton-rounds", "1"];
      const results1 = join(dir, "short.json");
      await runPrinted(c, absorb(["sql", "--dialect", "duckdb", ...model]).stdout, results1);
      const script2 = absorbJson(["sql", "--dialect", "duckdb", ...model, "--from-sufficient-stats", results1]);
      expect(script2.status).toBe(2);
      expect(script2.json.error.message).toMatch(/still singletons after 1 rounds.*--singleton-rounds/);
    } finally {
      c.closeSync();
    }
  });

  test("ClickHouse's scripts aggregate on the shards: every pass over the data reads the table itself", async () => {
    const c = await instance.connect();
    try {
      const formula = "y ~ x1 + x2 | firm + year + region";
      const options: ScriptOptions = { vcov: { cluster: ["firm", "year"] }, weights: "w" };
      const results1 = join(dir, "for-clickhouse.json");
      await runPrinted(c, printPlan("duckdb", "panel", formula, options), results1);
      const script1 = parseScript(printPlan("clickhouse", "db.panel", formula, options));
      const script2 = parseScript(printPlan("clickhouse", "db.panel", formula, options, readStats([results1])));
      // The Schur cross term reads only the plan's small tables; the singleton check reads the sample's view (its IN subqueries are pushed).
      const local = new Set(["schur", "singletons_left"]);
      const passes = [...script1, ...script2].filter((s) => (s.result !== undefined && !local.has(s.result)) || /^CREATE TABLE `absorb_(fb|pairs|lev\d+|drop_\d+)`/.test(s.sql));
      expect(passes.length).toBeGreaterThan(10);
      for (const p of passes) expect(p.sql, p.result ?? p.sql.slice(0, 40)).toMatch(/FROM `db`.`panel`/);
      for (const name of ["rhs_0", "cross", "cluster_0_1"]) expect([...script1, ...script2].find((s) => s.result === name)!.sql).toMatch(/FROM `db`.`panel` GLOBAL ALL INNER JOIN/);
    } finally {
      c.closeSync();
    }
  });

  test("a results file that does not match the plan is refused with the result's name", () => {
    const bad = join(dir, "bad.json");
    writeFileSync(bad, JSON.stringify({ format: "absorb-sufficient-stats", version: 1, results: { funnel: [[1, 2]] } }));
    const narrow = absorbJson(["fit", "--formula", "y ~ x1", "--from-sufficient-stats", bad]);
    expect(narrow.status).toBe(2);
    expect(narrow.json.error.message).toMatch(/result "funnel" has a row of 2 values; its query returns 6 columns/);
    const missing = absorbJson(["fit", "--formula", "y ~ x1 | firm + year", "--from-sufficient-stats", bad]);
    expect(missing.json.error.message).toMatch(/no result "singletons_left"/);
    writeFileSync(bad, "{}");
    expect(absorbJson(["fit", "--formula", "y ~ x1 | firm + year", "--from-sufficient-stats", bad]).json.error.message).toMatch(/absorb-sufficient-stats/);
  });
});
