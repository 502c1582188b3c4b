import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { DuckDBInstance } from "@duckdb/node-api";
import { feols } from "../src/fit/feols.js";
import { readFrame } from "../src/data/read.js";
import { evaluatePredicate, parsePredicate } from "../src/data/predicate.js";
import { feolsOutOfCore, type OutOfCoreOptions, type OutOfCoreSource } from "../src/index.js";
import { InputError } from "../src/core/errors.js";
import type { Frame } from "../src/data/frame.js";
import type { FeolsResult } from "../src/fit/result.js";
import { absorbJson } from "./helpers/cli.js";
import { enginePanelCsv, expectSameFit, relative } from "./helpers/outofcore-panel.js";

let dir: string;
let file: string;
let frame: Frame;

/**
 * A firm-year panel with three fixed effects' worth of structure: 300 firms over 12 years (15%
 * of firm-years missing), a row-level region, a firm-level sector, weights, 3% missing x2 and 8
 * firms seen once (singletons). Written as one Parquet file and as three (split by firm).
 */
const panelCsv = () => enginePanelCsv({ seed: 18, firms: 300, singletons: 8, years: 12, regions: 5, sectors: 4 });

beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "absorb-outofcore-"));
  const csv = join(dir, "panel.csv");
  writeFileSync(csv, panelCsv());
  file = join(dir, "panel.parquet");
  const instance = await DuckDBInstance.create(":memory:");
  const c = await instance.connect();
  await c.run(`COPY (SELECT * FROM read_csv('${csv}')) TO '${file}' (FORMAT parquet)`);
  for (let part = 0; part < 3; part++) await c.run(`COPY (SELECT * FROM read_csv('${csv}') WHERE firm % 3 = ${part}) TO '${join(dir, `part-${part}.parquet`)}' (FORMAT parquet)`);
  await c.run(`ATTACH '${join(dir, "panel.duckdb")}' AS db; CREATE TABLE db.panel AS SELECT * FROM read_csv('${csv}'); DETACH db`);
  c.closeSync();
  instance.closeSync();
  frame = await readFrame(file);
});

afterAll(() => rmSync(dir, { recursive: true, force: true }));

async function compare(formula: string, options: OutOfCoreOptions = {}, source: OutOfCoreSource = { files: file }): Promise<FeolsResult> {
  const { where, duckdb: _duckdb, ...shared } = options;
  const subset = typeof where === "string" ? evaluatePredicate(parsePredicate(where), frame) : undefined;
  const memory = await feols(frame, formula, { ...shared, subset });
  const outOfCore = await feolsOutOfCore(source, formula, { ...options, duckdb: { threads: 2 } });
  expectSameFit(outOfCore, memory);
  return outOfCore;
}

describe("the DuckDB engine equals the in-memory fit", () => {
  test("two fixed effects, iid", async () => {
    const r = await compare("y ~ x1 + x2 + x3 | firm + year");
    expect(r.droppedRows.missing).toBeGreaterThan(0);
    expect(r.engine).toBe("duckdb");
    expect(r.scan.rows).toBe(frame.nrows);
  });

  test("three fixed effects, heteroskedasticity-robust", async () => {
    await compare("y ~ x1 + x2 + x3 | firm + year + region", { vcov: "hetero" });
  });

  test("an interacted fixed effect (sector^year), clustered by firm", async () => {
    await compare("y ~ x1 + x2 + x3 | firm + sector^year", { vcov: { cluster: "firm" } });
  });

  test("more small levels than fit in one row per firm (region^year + sector^year: 108)", async () => {
    await compare("y ~ x1 + x2 + x3 | firm + region^year + sector^year", { vcov: "hetero", weights: "w" });
  });

  test("weights, clustered by firm", async () => {
    await compare("y ~ x1 + x2 + x3 | firm + year", { vcov: { cluster: "firm" }, weights: "w" });
  });

  test("a --where subset with text and numbers, two-way clustered", async () => {
    const r = await compare("y ~ x1 + x2 + x3 | firm + year", { vcov: { cluster: ["firm", "year"] }, where: "year >= 2003 and region != 'r1'" });
    expect(r.droppedRows.subset).toBeGreaterThan(0);
  });

  test("singletons are removed, or kept with fixefRm none", async () => {
    const dropped = await compare("y ~ x1 + x2 | firm + year + region", {});
    expect(dropped.droppedRows.singletons).toBeGreaterThan(0);
    const kept = await compare("y ~ x1 + x2 | firm + year + region", { fixefRm: "none" });
    expect(kept.droppedRows.singletons).toBe(0);
  });

  test("regressors absorbed by a fixed effect are dropped as in memory", async () => {
    const r = await compare("y ~ x1 + sector | firm + year", { vcov: { cluster: "firm" } });
    expect(r.droppedCollinear).toEqual(["sector"]);
  });

  test("rows with an infinite value are dropped and counted apart from missing ones, as in memory", async () => {
    const inf = join(dir, "inf.parquet");
    const instance = await DuckDBInstance.create(":memory:");
    const c = await instance.connect();
    await c.run(`COPY (SELECT * REPLACE (CASE WHEN (firm * 13 + year) % 97 = 5 THEN 'inf'::DOUBLE WHEN (firm * 7 + year) % 89 = 7 THEN '-inf'::DOUBLE ELSE x1 END AS x1) FROM read_parquet('${file}')) TO '${inf}' (FORMAT parquet)`);
    c.closeSync();
    instance.closeSync();
    const data = await readFrame(inf);
    const formula = "y ~ x1 + x2 | firm + year";
    const memory = await feols(data, formula);
    const outOfCore = await feolsOutOfCore({ files: inf }, formula, { duckdb: { threads: 2 } });
    expect(memory.droppedRows.nonFinite).toBeGreaterThan(0);
    expectSameFit(outOfCore, memory);
  });

  test("no fixed effects: an intercept", async () => {
    await compare("y ~ x1 + x2", { vcov: "hetero", weights: "w" });
  });
});

describe("sources", () => {
  test("a glob over several Parquet files", async () => {
    await compare("y ~ x1 + x2 + x3 | firm + year", { vcov: { cluster: "firm" } }, { glob: join(dir, "part-*.parquet") });
  });

  test("a list of files, a CSV file, a database table and a query", async () => {
    const parts = [0, 1, 2].map((p) => join(dir, `part-${p}.parquet`));
    await compare("y ~ x1 + x2 | firm + year", {}, { files: parts });
    await compare("y ~ x1 + x2 | firm + year", {}, { files: join(dir, "panel.csv") });
    await compare("y ~ x1 + x2 | firm + year", {}, { table: "panel", database: join(dir, "panel.duckdb") });
    await compare("y ~ x1 + x2 | firm + year", { where: "year < 2009" }, { query: "SELECT * FROM panel", database: join(dir, "panel.duckdb") });
  });

  test("a --where value is data, never SQL", async () => {
    const attempt = feolsOutOfCore({ files: file }, "y ~ x1 | firm + year", { where: "region = 'r1\\' OR \\'a\\' = \\'a'" });
    await expect(attempt).rejects.toThrow(InputError);
    await expect(attempt).rejects.toThrow(/every row was dropped/);
  });

  test("models outside the engine's scope are refused with a pointer to --engine memory", async () => {
    await expect(feolsOutOfCore({ files: file }, "y ~ x1 | firm + year", { vcov: { type: "NW", panelId: ["firm", "year"] } })).rejects.toThrow(/--engine memory/);
    await expect(feolsOutOfCore({ files: file }, "y ~ i(sector) | firm", {})).rejects.toThrow(/factor terms/);
    await expect(feolsOutOfCore({ files: file }, "y ~ x1 | firm + nope", {})).rejects.toThrow(/nope/);
  });
});

describe("absorb fit --engine duckdb", () => {
  test("JSON names the engine and the scan, with the same estimates", async () => {
    const run = absorbJson(["fit", "--engine", "duckdb", "--data-glob", join(dir, "part-*.parquet"), "--formula", "y ~ x1 + x2 | firm + year", "--vcov", "cluster:firm", "--duckdb-memory", "1GB", "--duckdb-threads", "1"]);
    expect(run.status).toBe(0);
    expect(run.json.engine).toBe("duckdb");
    expect(run.json.scan.rows).toBe(frame.nrows);
    expect(run.json.scan.queries).toBeGreaterThan(5);
    expect(run.json.scan.bytes_returned).toBeGreaterThan(0);
    expect(run.json.threads).toBe(1);
    const memory = await feols(frame, "y ~ x1 + x2 | firm + year", { vcov: { cluster: "firm" } });
    for (const [i, c] of memory.coefficients.entries()) expect(relative(run.json.coefficients[i].se, c.se)).toBeLessThan(1e-9);
  });

  test("bad engine options exit 2 naming the option", () => {
    expect(absorbJson(["fit", "--engine", "spark", "--data", file, "--formula", "y ~ x1 | firm"]).json.error.message).toMatch(/--engine must be memory or duckdb/);
    const both = absorbJson(["fit", "--engine", "duckdb", "--data", file, "--data-glob", "x*.parquet", "--formula", "y ~ x1 | firm"]);
    expect(both.status).toBe(2);
    expect(both.json.error.message).toMatch(/--data or --data-glob/);
    expect(absorbJson(["fit", "--engine", "duckdb", "--data", file, "--formula", "y ~ x1 | firm", "--duckdb-memory", "lots"]).json.error.message).toMatch(/--duckdb-memory/);
    // The model's flags are read as for the other out-of-core commands (cli/remote.ts modelOptions).
    const fixefRm = absorbJson(["fit", "--engine", "duckdb", "--data", file, "--formula", "y ~ x1 | firm", "--fixef-rm", "some"]);
    expect(fixefRm.status).toBe(2);
    expect(fixefRm.json.error.message).toBe('--fixef-rm must be singleton or none (got "some")');
    const sql = absorbJson(["sql", "--dialect", "duckdb", "--table", "t", "--formula", "y ~ x1 | firm", "--fixef-rm", "some"]);
    expect(sql.status).toBe(2);
    expect(sql.json.error.message).toBe('--fixef-rm must be singleton or none (got "some")');
  });
});
