import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { buildTable, feols, readFrame, renderJson } from "../src/index.js";
import { referencePanel } from "./helpers/reference.js";
import { absorb } from "./helpers/cli.js";

// Needs `npm run build` first (npm test does it): these run the real `absorb` command.

const dir = mkdtempSync(join(tmpdir(), "absorb-table-cli-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const golden = join(import.meta.dirname, "golden");
const fitBaseline = join(golden, "fit-baseline.json");
const fitControls = join(golden, "fit-controls.json");

const FORMULAS = ["dvar ~ robot | firm_id + year", "dvar ~ robot + ln_age + finance | firm_id + year"];
const fitFiles = [join(dir, "fit1.json"), join(dir, "fit2.json")];

beforeAll(() => {
  FORMULAS.forEach((formula, i) => {
    const r = absorb(["fit", "--data", referencePanel, "--formula", formula, "--vcov", "cluster:firm_id", "--json"]);
    expect(r.status, r.stderr).toBe(0);
    writeFileSync(fitFiles[i], r.stdout);
  });
});

describe("absorb table from saved absorb fit --json outputs", () => {
  test("rebuilds the table: columns, row labels, stars, observations; the same table as from the library fits", async () => {
    const r = absorb(["table", ...fitFiles, "--format", "json"]);
    expect(r.status, r.stderr).toBe(0);
    const table = JSON.parse(r.stdout);
    expect(Object.keys(table)).toEqual(["title", "columns", "rows", "notes"]);
    expect(table.columns).toEqual(["(1)", "(2)"]);
    expect(table.rows.map((row: { label: string }) => row.label)).toEqual([
      "robot", "", "ln_age", "", "finance", "", "firm_id FE", "year FE", "Observations", "R²", "Within R²",
    ]);
    const fits = fitFiles.map((f) => JSON.parse(readFileSync(f, "utf8")));
    const cells = (label: string) => table.rows.find((row: { label: string }) => row.label === label).cells;
    expect(cells("robot")).toEqual(fits.map((f) => `${f.coefficients[0].estimate.toFixed(3)}***`));
    expect(table.rows[1].cells).toEqual(fits.map((f) => `(${f.coefficients[0].t.toFixed(3)})`));
    expect(cells("ln_age")[0]).toBe("");
    expect(cells("finance")[1]).toMatch(/^-0\.\d{3}\*{1,3}$/);
    expect(cells("Observations")).toEqual(fits.map((f) => f.nobs.toLocaleString("en-US")));
    expect(cells("firm_id FE")).toEqual(["Yes", "Yes"]);
    expect(table.notes).toContain("t statistics in parentheses, from standard errors clustered by firm_id.");

    // The library path (FeolsResult) gives exactly the same table.
    const frame = await readFrame(referencePanel, ["dvar", "robot", "ln_age", "finance", "firm_id", "year"]);
    const results = [];
    for (const formula of FORMULAS) results.push(await feols(frame, formula, { vcov: { cluster: "firm_id" } }));
    expect(r.stdout).toBe(renderJson(buildTable(results)));
  });

  test("--controls, --labels, --title, --se, --keep in Markdown", () => {
    const r = absorb(["table", ...fitFiles, "--controls", "ln_age,finance", "--labels", "Baseline,Controls", "--title", "Robots and DVAR", "--se"]);
    expect(r.status, r.stderr).toBe(0);
    const lines = r.stdout.split("\n");
    expect(lines[0]).toBe("**Robots and DVAR**");
    expect(lines[2]).toMatch(/^\|\s+\|\s+Baseline\s+\|\s+Controls\s+\|$/);
    expect(r.stdout).toMatch(/\| Controls\s+\|\s+No\s+\|\s+Yes\s+\|/);
    expect(r.stdout).not.toMatch(/\| ln_age/);
    expect(r.stdout).toMatch(/\| robot\s+\|\s+0\.\d{3}\*\*\*\s+\|/);
    expect(r.stdout).toContain("Standard errors clustered by firm_id in parentheses.");
    const kept = absorb(["table", ...fitFiles, "--keep", "finance,robot", "--format", "json"]);
    expect(JSON.parse(kept.stdout).rows.slice(0, 4).map((row: { label: string }) => row.label)).toEqual(["finance", "", "robot", ""]);
  });

  test("rebuilds the golden table exactly from the two saved fixtures, in every format", () => {
    for (const format of ["md", "tex", "html", "json"]) {
      const r = absorb(["table", fitBaseline, fitControls, "--title", "Robot penetration and DVAR", "--controls", "ln_age,finance", "--format", format]);
      expect(r.status, r.stderr).toBe(0);
      expect(r.stdout).toBe(readFileSync(join(golden, `two-models.${format}`), "utf8"));
    }
  });

  test("--out writes the file, in the format of its extension", () => {
    const out = join(dir, "table.tex");
    const r = absorb(["table", fitBaseline, fitControls, "--title", "Robot penetration and DVAR", "--controls", "ln_age,finance", "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout.trim()).toBe(`wrote ${out}`);
    expect(readFileSync(out, "utf8")).toBe(readFileSync(join(golden, "two-models.tex"), "utf8"));
  });
});

describe("absorb table errors (exit 2)", () => {
  test("a missing file", () => {
    const missing = join(dir, "nope.json");
    const r = absorb(["table", fitBaseline, missing]);
    expect(r.status).toBe(2);
    expect(r.stderr).toBe(`absorb: error: absorb table: cannot read "${missing}": no such file\n`);
  });

  test("a file that is not JSON", () => {
    const file = join(dir, "panel.csv");
    writeFileSync(file, "a,b\n1,2\n");
    const r = absorb(["table", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`absorb table: "${file}" is not JSON; give the output of absorb fit --json`);
  });

  test("a JSON that is not an absorb fit names the missing field", () => {
    const file = join(dir, "theil.json");
    const theil = absorb(["theil", "--data", referencePanel, "--value", "dvar", "--by", "region", "--json", "--quiet"]);
    expect(theil.status, theil.stderr).toBe(0);
    writeFileSync(file, theil.stdout);
    const r = absorb(["table", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain(`absorb table: "${file}" is not an absorb fit JSON: field "formula" is missing`);

    const partial = join(dir, "partial.json");
    const fit = JSON.parse(readFileSync(fitBaseline, "utf8"));
    delete fit.within_r2;
    writeFileSync(partial, JSON.stringify(fit));
    const r2 = absorb(["table", partial, "--json"]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toContain('is not an absorb fit JSON: field "within_r2" is missing');
    expect(JSON.parse(r2.stdout).error.kind).toBe("file");
  });

  test("the error output of a failed fit", () => {
    const file = join(dir, "failed.json");
    const failed = absorb(["fit", "--data", referencePanel, "--formula", "dvar ~ nosuchcolumn", "--json"]);
    expect(failed.status).toBe(2);
    writeFileSync(file, failed.stdout);
    const r = absorb(["table", file]);
    expect(r.status).toBe(2);
    expect(r.stderr).toContain("is not an absorb fit JSON: it is the error output of a failed fit");
  });

  test("an unknown format, no files, an unknown --keep, mismatched --labels", () => {
    const f = absorb(["table", fitBaseline, "--format", "docx"]);
    expect(f.status).toBe(2);
    expect(f.stderr).toBe('absorb: error: absorb table: --format: unknown table format "docx"; formats: md, tex, html, json\n');
    const none = absorb(["table"]);
    expect(none.status).toBe(2);
    expect(none.stderr).toContain("absorb table: give one or more fit JSON files");
    const keep = absorb(["table", fitBaseline, "--keep", "robots"]);
    expect(keep.status).toBe(2);
    expect(keep.stderr).toContain('keep: "robots" is not a coefficient of any model; coefficients: robot');
    const labels = absorb(["table", fitBaseline, fitControls, "--labels", "A"]);
    expect(labels.status).toBe(2);
    expect(labels.stderr).toContain("1 model label(s) for 2 model(s)");
  });

  test("--help", () => {
    const r = absorb(["table", "--help"]);
    expect(r.status).toBe(0);
    expect(r.stdout).toContain("absorb table FIT.json [FIT2.json ...]");
    expect(absorb(["--help"]).stdout).toMatch(/^ {2}table {4}a regression table/m);
  });
});
