import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { feols } from "../../src/fit/feols.js";
import { readFrame } from "../../src/data/read.js";
import { evaluatePredicate, parsePredicate } from "../../src/data/predicate.js";
import { feolsClickHouse, type ScriptOptions } from "../../src/index.js";
import type { Frame } from "../../src/data/frame.js";
import { enginePanelCsv, expectSameFit } from "../helpers/outofcore-panel.js";
import { absorbJson } from "../helpers/cli.js";
import { startClickHouseCluster, type ClickHouseCluster } from "./clickhouse-cluster.js";

let cluster: ClickHouseCluster;
let frame: Frame;
let dir: string;
const TABLE = "default.panel";

const COLUMNS = "firm Int64, year Int64, region String, sector Int64, x1 Float64, x2 Nullable(Float64), x3 Float64, w Float64, y Float64";

/** The panel split by firm (even firms on shard 1, odd on shard 2): years and regions span both shards. */
beforeAll(async () => {
  dir = mkdtempSync(join(tmpdir(), "absorb-clickhouse-test-"));
  const csv = enginePanelCsv();
  writeFileSync(join(dir, "panel.csv"), csv);
  frame = await readFrame(join(dir, "panel.csv"));
  cluster = await startClickHouseCluster(2);
  const rows = csv.trim().split("\n").slice(1);
  for (let shard = 0; shard < 2; shard++) {
    await cluster.query(shard, `CREATE TABLE default.panel_local (${COLUMNS}) ENGINE = MergeTree() ORDER BY (firm, year)`);
    await cluster.query(shard, `CREATE TABLE ${TABLE} AS default.panel_local ENGINE = Distributed(${cluster.cluster}, default, panel_local, firm)`);
    const mine = rows.filter((r) => Number(r.split(",")[0]) % 2 === shard).map((r) => r.replace(/,(?=,)/g, ",\\N"));
    await cluster.query(shard, "INSERT INTO default.panel_local FORMAT CSV", mine.join("\n") + "\n");
  }
}, 180_000);

afterAll(async () => {
  await cluster?.stop();
  rmSync(dir, { recursive: true, force: true });
});

async function compare(formula: string, options: ScriptOptions = {}) {
  const { where, singletonRounds: _rounds, ...shared } = options;
  const subset = typeof where === "string" ? evaluatePredicate(parsePredicate(where), frame) : undefined;
  const memory = await feols(frame, formula, { ...shared, subset });
  const distributed = await feolsClickHouse({ url: cluster.urls[0], table: TABLE }, formula, options);
  expectSameFit(distributed, memory);
  return distributed;
}

describe("ClickHouse over a two-shard Distributed table equals the in-memory fit", () => {
  test("the data really is split: each shard holds part of the firms and every year", async () => {
    const perShard = await Promise.all([0, 1].map(async (s) => (await cluster.query(s, "SELECT count(), uniqExact(firm), uniqExact(year) FROM default.panel_local FORMAT TSV")).trim().split("\t").map(Number)));
    expect(perShard[0][0]).toBeGreaterThan(0);
    expect(perShard[1][0]).toBeGreaterThan(0);
    expect(perShard[0][0] + perShard[1][0]).toBe(frame.nrows);
    expect(perShard.map((s) => s[2])).toEqual([10, 10]);
  });

  test("two fixed effects, clustered by firm", async () => {
    const r = await compare("y ~ x1 + x2 + x3 | firm + year", { vcov: { cluster: "firm" } });
    expect(r.engine).toBe("clickhouse");
    expect(r.scan?.rows).toBe(frame.nrows);
    expect(r.droppedRows.missing).toBeGreaterThan(0);
    expect(r.droppedRows.singletons).toBeGreaterThan(0);
  });

  test("three fixed effects, heteroskedasticity-robust; singleton removal in two rounds", async () => {
    const r = await compare("y ~ x1 + x2 + x3 | firm + year + region", { vcov: "hetero" });
    const oneRound = await feols(frame, "y ~ x1 + x2 + x3 | firm + year", { vcov: "hetero" });
    expect(r.droppedRows.singletons).toBe(oneRound.droppedRows.singletons + 2);
  });

  test("an interacted fixed effect (sector^year), iid", async () => {
    await compare("y ~ x1 + x2 + x3 | firm + sector^year");
  });

  test("weights, two-way clustered by firm and year, with a --where subset", async () => {
    const r = await compare("y ~ x1 + x2 + x3 | firm + year", { vcov: { cluster: ["firm", "year"] }, weights: "w", where: "year >= 2002 and region != 'r1'" });
    expect(r.droppedRows.subset).toBeGreaterThan(0);
  });

  test("singletons kept with fixefRm none; an absorbed regressor is dropped; no fixed effects", async () => {
    const kept = await compare("y ~ x1 + x2 | firm + year", { fixefRm: "none", vcov: { cluster: "firm" } });
    expect(kept.droppedRows.singletons).toBe(0);
    const r = await compare("y ~ x1 + sector | firm + year", { vcov: { cluster: "firm" } });
    expect(r.droppedCollinear).toEqual(["sector"]);
    await compare("y ~ x1 + x2", { vcov: "hetero", weights: "w" });
  });

  test("absorb fit --engine clickhouse prints the same fit as JSON", async () => {
    const run = absorbJson(["fit", "--engine", "clickhouse", "--url", cluster.urls[1], "--table", TABLE, "--formula", "y ~ x1 + x2 | firm + year", "--vcov", "cluster:firm", "--weights", "w"]);
    expect(run.status).toBe(0);
    expect(run.json.engine).toBe("clickhouse");
    const memory = await feols(frame, "y ~ x1 + x2 | firm + year", { vcov: { cluster: "firm" }, weights: "w" });
    for (const [i, c] of memory.coefficients.entries()) {
      expect(Math.abs(run.json.coefficients[i].estimate - c.estimate) / Math.abs(c.estimate)).toBeLessThan(1e-9);
      expect(Math.abs(run.json.coefficients[i].se - c.se) / c.se).toBeLessThan(1e-9);
    }
  });

  test("doubles go in and come back bit for bit", async () => {
    const { clickhouseDouble } = await import("../../src/outofcore/clickhouse-dialect.js");
    const { ClickHouseSession } = await import("../../src/outofcore/clickhouse-executor.js");
    const session = new ClickHouseSession(cluster.urls[0]);
    const values = [0.1, 1 / 3, -2.5e-300, 1.2345678901234567e-300, Math.PI * 1e200, Number.MIN_VALUE, -0, 2 ** 53 + 2, Infinity, -Infinity];
    const [row] = await session.rows(`SELECT ${values.map((v, i) => `${clickhouseDouble(v)} AS v${i}`).join(", ")}`, values.map((_, i) => `v${i}`));
    for (const [i, v] of values.entries()) expect(Object.is(row[i], v), `${v}`).toBe(true);
  });

  test("a --where value is data, never SQL", async () => {
    const attempt = feolsClickHouse({ url: cluster.urls[0], table: TABLE }, "y ~ x1 | firm + year", { where: "region = 'r1\\' OR \\'a\\' = \\'a'" });
    await expect(attempt).rejects.toThrow(/every row was dropped/);
  });

  test("a fit leaves no table behind, also when it fails", async () => {
    await expect(feolsClickHouse({ url: cluster.urls[0], table: TABLE }, "y ~ x1 | firm + nope")).rejects.toThrow(/nope/);
    await expect(feolsClickHouse({ url: cluster.urls[0], table: TABLE }, "y ~ x1 | firm + year", { where: "region = 'nowhere'" })).rejects.toThrow(/every row was dropped/);
    for (const shard of [0, 1]) expect((await cluster.query(shard, "SELECT name FROM system.tables WHERE database = 'default' ORDER BY name FORMAT TSV")).trim().split("\n")).toEqual(["panel", "panel_local"]);
  });
});
