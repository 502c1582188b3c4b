import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { tableToIPC } from "apache-arrow";
import { DuckDBInstance } from "@duckdb/node-api";
import { feols, readFrame, shutdown } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";
import { writeCsv } from "../src/data/writers/csv.js";
import { frameToArrow } from "../src/data/writers/arrow.js";
import { absorbJson } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "absorb-formats-"));
const file = (name: string) => join(dir, name);
const formula = "dvar ~ robot + finance + i(region) | firm_id + year";

beforeAll(async () => {
  const panel = generatePanel({ firms: 3000, seed: 5 });
  await writeCsv(panel, file("panel.csv"));
  await writeCsv(panel, file("panel.csv.gz"));
  writeFileSync(file("panel.arrow"), tableToIPC(frameToArrow(panel), "file"));
  const db = await DuckDBInstance.create(":memory:");
  const con = await db.connect();
  await con.run(`COPY (SELECT * FROM read_csv('${file("panel.csv")}')) TO '${file("panel.parquet")}' (FORMAT parquet)`);
  con.closeSync();
  db.closeSync();
});

afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
});

describe("the same panel as CSV, gzip CSV, Parquet and Arrow IPC gives identical fits", () => {
  const formats = ["panel.csv", "panel.csv.gz", "panel.parquet", "panel.arrow"];

  test("through the API", async () => {
    const fits = [];
    for (const name of formats) {
      const frame = await readFrame(file(name), ["dvar", "robot", "finance", "region", "firm_id", "year"]);
      fits.push(await feols(frame, formula, { vcov: { cluster: "firm_id" } }));
    }
    expect(fits[0].nobs).toBeGreaterThan(5000);
    expect(fits[0].coefficients.map((c) => c.name).slice(0, 2)).toEqual(["robot", "finance"]);
    for (const fit of fits.slice(1)) {
      expect(fit.coefficients).toEqual(fits[0].coefficients);
      expect(fit.droppedRows).toEqual(fits[0].droppedRows);
    }
  });

  test("through absorb fit --json", () => {
    const outs = formats.map((name) => absorbJson(["fit", "--data", file(name), "--formula", formula, "--vcov", "cluster:firm_id"]));
    for (const o of outs) expect(o.status).toBe(0);
    for (const o of outs.slice(1)) expect(o.json.coefficients).toEqual(outs[0].json.coefficients);
  });
});
