import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { readFrame } from "../src/data/read.js";
import { reference, referencePanel, expectRelative } from "./helpers/reference.js";
import { absorb, absorbJson } from "./helpers/cli.js";

const dir = mkdtempSync(join(tmpdir(), "absorb-theil-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const base = ["theil", "--data", referencePanel, "--value", "dvar", "--quiet"];

describe("absorb theil, against the fixest reference", () => {
  test("--by industry,year --decompose region --json reproduces both references", () => {
    const { status, json } = absorbJson([...base, "--by", "industry,year", "--decompose", "region", "--nonpositive", "drop"]);
    expect(status).toBe(0);
    expect(Object.keys(json)).toEqual(["value", "alpha", "groups", "dropped_nonpositive", "decomposition"]);
    expect(json.value).toBe("dvar");
    expect(json.alpha).toBeNull();
    expect(json.dropped_nonpositive).toBe(0);
    const ref = reference.theil_dvar_by_industry_year as { industry: number; year: number; n: number; theil_t: number; theil_l: number }[];
    expect(json.groups).toHaveLength(ref.length);
    for (const [i, g] of ref.entries()) {
      const got = json.groups[i];
      expect(Object.keys(got)).toEqual(["industry", "year", "n", "dropped", "mean", "theil_t", "theil_l"]);
      expect([got.industry, got.year, got.n, got.dropped]).toEqual([g.industry, g.year, g.n, 0]);
      expectRelative(got.theil_t, g.theil_t, 1e-10, `T ${g.industry}/${g.year}`);
      expectRelative(got.theil_l, g.theil_l, 1e-10, `L ${g.industry}/${g.year}`);
    }
    const d = json.decomposition;
    const r = reference.theil_dvar_by_region as { total_t: number; within_t: number; between_t: number; groups: { region: string; n: number; theil_t: number }[] };
    expect(Object.keys(d)).toEqual(["by", "total_t", "within_t", "between_t", "total_l", "within_l", "between_l", "groups"]);
    expect(d.by).toBe("region");
    expectRelative(d.total_t, r.total_t, 1e-10, "total T");
    expectRelative(d.within_t, r.within_t, 1e-10, "within T");
    expect(Math.abs(d.between_t - r.between_t)).toBeLessThanOrEqual(1e-15);
    expect(Math.abs(d.total_l - d.within_l - d.between_l)).toBeLessThan(1e-15);
    for (const g of r.groups) {
      const got = d.groups.find((x: { region: string }) => x.region === g.region);
      expect(Object.keys(got)).toEqual(["region", "n", "mean", "theil_t", "theil_l"]);
      expect(got.n).toBe(g.n);
      expectRelative(got.theil_t, g.theil_t, 1e-10, `T ${g.region}`);
    }
  });

  test("--alpha adds ge to groups and the decomposition; without --json a readable table", () => {
    const { status, json } = absorbJson([...base, "--by", "region", "--decompose", "region", "--alpha", "2"]);
    expect(status).toBe(0);
    expect(json.alpha).toBe(2);
    expect(json.groups[0]).toHaveProperty("ge");
    expect(json.decomposition).toHaveProperty("between_ge");
    expect(json.decomposition.groups[0]).toHaveProperty("ge");
    const text = absorb([...base, "--by", "region", "--alpha", "2"]);
    expect(text.status).toBe(0);
    expect(text.stdout).toMatch(/Theil indices of dvar by region, GE\(2\)/);
    expect(text.stdout).toMatch(/region\s+n\s+dropped\s+mean\s+theil_t\s+theil_l\s+ge/);
    expect(text.stdout).toMatch(/east\s+93320\s+0\s+0\.764593/);
  });

  test("--out writes the group table as CSV and as Parquet", async () => {
    const csv = join(dir, "groups.csv");
    const parquet = join(dir, "groups.parquet");
    for (const out of [csv, parquet]) {
      const r = absorb([...base, "--by", "industry,year", "--out", out]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toMatch(/Wrote 196 groups to /);
    }
    expect(readFileSync(csv, "utf8").split("\n")[0]).toBe("industry,year,n,dropped,mean,theil_t,theil_l");
    const fromCsv = await readFrame(csv);
    const fromParquet = await readFrame(parquet);
    expect(fromParquet.nrows).toBe(196);
    for (const name of ["industry", "year", "n", "theil_t", "theil_l", "mean"]) {
      const a = fromCsv.columns.get(name)!;
      const b = fromParquet.columns.get(name)!;
      expect(b.kind).toBe("numeric");
      expect(Array.from((b as { values: Float64Array }).values)).toEqual(Array.from((a as { values: Float64Array }).values));
    }
  });

  test("--help", () => {
    const r = absorb(["theil", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toMatch(/absorb theil --data FILE --value COL/);
    expect(absorb(["--help"]).stdout).toMatch(/theil\s+Theil T/);
  });
});

describe("absorb theil errors: exit 2 and the JSON error shape", () => {
  test.each([
    ["a missing value column", ["--value", "nope"], "column", /column "nope" not found/],
    ["a non-numeric value column", ["--value", "region"], "column", /value column "region" is not numeric/],
    ["an unknown grouping column", ["--value", "dvar", "--by", "industry,sector"], "column", /column "sector" not found/],
    ["zeros without --nonpositive drop", ["--value", "gap", "--by", "region"], "data", /value column "gap" has 14 non-positive value\(s\) \(14 zero, 0 negative\) in 1 group\(s\): region=east \(14\)/],
    ["a bad --nonpositive", ["--value", "dvar", "--nonpositive", "skip"], "option", /--nonpositive must be error, drop or keep-zeros/],
    ["a bad --alpha", ["--value", "dvar", "--alpha", "x"], "option", /--alpha must be a number, written in decimal \(got "x"\)/],
    ["a bad --out", ["--value", "dvar", "--out", "groups.xlsx"], "option", /--out must name a \.csv, \.csv\.gz or \.parquet file/],
    ["no --value", [], "option", /--value is required/],
  ])("%s", (_what, args, kind, message) => {
    const r = absorb(["theil", "--data", referencePanel, ...(args as string[]), "--json"]);
    expect(r.status).toBe(2);
    const json = JSON.parse(r.stdout);
    expect(json.error.kind).toBe(kind);
    expect(json.error.message).toMatch(message as RegExp);
    expect(r.stderr).toMatch(/absorb: error: /);
  });

  test("--nonpositive drop counts the dropped rows", () => {
    const { status, json } = absorbJson([...base.slice(0, 4), "gap", "--by", "region", "--nonpositive", "drop", "--quiet"]);
    expect(status).toBe(0);
    expect(json.dropped_nonpositive).toBe(14);
    expect(json.groups.find((g: { region: string }) => g.region === "east").dropped).toBe(14);
  });
});
