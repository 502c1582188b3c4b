import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFrame } from "../src/data/read.js";
import { absorb } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "absorb-demo-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("absorb demo --out", () => {
  test.each(["panel.csv", "panel.csv.gz", "panel.parquet"])("writes %s in the format its name says, and it reads back whole", async (name) => {
    const out = join(dir, name);
    const r = absorb(["demo", "--firms", "300", "--out", out, "--json"]);
    expect(r.status, r.stderr).toBe(0);
    const rows = JSON.parse(r.stdout).rows as number;
    const frame = await readFrame(out, ["firm_id", "year", "dvar", "region"]);
    expect(frame.nrows).toBe(rows);
    expect(frame.columns.get("region")!.kind).toBe("categorical");
  });

  test("an output name of another type is refused before any work", () => {
    const r = absorb(["demo", "--firms", "300", "--out", join(dir, "panel.xlsx"), "--json"]);
    expect(r.status).toBe(2);
    expect(JSON.parse(r.stdout).error.message).toContain('--out must name a .csv, .csv.gz or .parquet file (got "');
  });
});
