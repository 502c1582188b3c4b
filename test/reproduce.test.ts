import { afterAll, beforeAll, describe, expect, test } from "vitest";
import { existsSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import type { Column, Frame } from "../src/data/frame.js";
import { shutdown } from "../src/index.js";
import { generateStudyPanel, reproduceStudy, type ReproduceResult } from "../src/study/index.js";
import { writeCsv } from "../src/data/writers/csv.js";
import { absorb } from "./helpers/cli.js";

// The CLI tests need `npm run build` first (npm test does it): they run the real `absorb` command.

const FIRMS = 5_000;
const REPS = 19;
const dir = mkdtempSync(join(tmpdir(), "absorb-reproduce-"));
let result: ReproduceResult;

beforeAll(async () => {
  result = await reproduceStudy({ firms: FIRMS, reps: REPS, outDir: join(dir, "api") });
}, 120_000);
afterAll(async () => {
  rmSync(dir, { recursive: true, force: true });
  await shutdown();
});

const CONTROLS_FE_STATS = ["Controls", "Firm FE", "Year FE"];
const FIT_STATS = ["Observations", "R²", "Within R²"];

/** The expected columns and row labels of each table. */
const EXPECTED: Record<string, { columns: string[]; rows: string[] }> = {
  table1: { columns: ["(1)", "(2)", "(3)", "(4)"], rows: ["Robot", "", ...CONTROLS_FE_STATS, ...FIT_STATS] },
  table2: {
    columns: ["Alt. DVAR", "Industry density", "Industry-year", "Winsorized", "IV", "Excl. 2008–09"],
    rows: ["Robot", "", ...CONTROLS_FE_STATS, "Industry FE", "Robot measure", "Dependent variable", "Standard errors", ...FIT_STATS, "First-stage F"],
  },
  table3: {
    columns: ["East", "Central", "West"],
    rows: ["Robot", "", "Difference from East", "", ...CONTROLS_FE_STATS, ...FIT_STATS, "Interaction test p", `Permutation p (K = ${REPS})`],
  },
  table4: {
    columns: ["Non-SOE", "SOE"],
    rows: ["Robot", "", "Difference from Non-SOE", "", ...CONTROLS_FE_STATS, ...FIT_STATS, "Interaction test p", `Permutation p (K = ${REPS})`],
  },
  table5: {
    columns: ["Labour-intensive", "Capital-intensive", "Technology-intensive"],
    rows: ["Robot", "", "Difference from Labour-intensive", "", ...CONTROLS_FE_STATS, ...FIT_STATS, "Interaction test p", `Permutation p (K = ${REPS})`],
  },
  table6: {
    columns: ["DVAR (total)", "Profitability", "DVAR (direct)", "DVAR (total)", "Innovation", "DVAR (direct)"],
    rows: [
      "Robot", "", "Profitability", "", "Innovation", "", ...CONTROLS_FE_STATS, "Dependent variable", ...FIT_STATS,
      "Indirect effect a·b", "Share mediated", "Sobel z", "Sobel p", `Bootstrap 95% CI of a·b (B = ${REPS})`,
    ],
  },
  table7: {
    columns: ["(1)", "(2)", "(3)", "(4)", "(5)", "(6)"],
    rows: ["For (suppliers' robots)", "", "Back (buyers' robots)", "", "Robot", "", ...CONTROLS_FE_STATS, ...FIT_STATS],
  },
  table8: {
    columns: ["(1)", "(2)", "(3)", "(4)", "(5)"],
    rows: ["Robot", "", "Controls", "Year FE", "Firm FE", "Industry FE", "Level", "Dependent variable", "Standard errors", ...FIT_STATS],
  },
};

const cells = (table: { rows: readonly { label: string; cells: readonly string[] }[] }, label: string) => table.rows.find((r) => r.label === label)!.cells;

describe("reproduceStudy: the study's eight tables on the synthetic panel", () => {
  test("each table has its columns and row labels", () => {
    expect(result.tables.map((t) => t.name)).toEqual(Object.keys(EXPECTED));
    for (const t of result.tables) {
      expect(t.table.columns, t.name).toEqual(EXPECTED[t.name]!.columns);
      expect(t.table.rows.map((r) => r.label), t.name).toEqual(EXPECTED[t.name]!.rows);
      expect(t.table.title, t.name).toMatch(new RegExp(`^Table ${t.number}\\. `));
    }
  });

  test("the cells say what each column is", () => {
    const [t1, t2, t3, t4, , t6, t7, t8] = result.tables.map((t) => t.table);
    // Table 1: (1) alone, (2) FE, (3) controls, (4) both
    expect(cells(t1, "Controls")).toEqual(["No", "No", "Yes", "Yes"]);
    expect(cells(t1, "Firm FE")).toEqual(["No", "Yes", "No", "Yes"]);
    expect(cells(t1, "Robot").every((c) => /^\d\.\d{4}\*\*\*$/.test(c))).toBe(true);
    // Table 2: the first-stage F only under IV; the industry-year column has industry FE and 196 industry-years
    const f = cells(t2, "First-stage F");
    expect(f.filter((c) => c !== "")).toHaveLength(1);
    expect(Number(f[4])).toBeGreaterThan(10);
    expect(cells(t2, "Observations")[2]).toBe("196");
    expect(cells(t2, "Industry FE")).toEqual(["No", "No", "Yes", "No", "No", "No"]);
    // Heterogeneity: the difference test is empty under the reference group only
    for (const t of [t3, t4]) {
      expect(cells(t, `Permutation p (K = ${REPS})`)[0]).toBe("");
      expect(cells(t, `Permutation p (K = ${REPS})`).slice(1).every((c) => c !== "")).toBe(true);
    }
    // Table 6: the indirect effect and the bootstrap interval in the direct-effect columns
    expect(cells(t6, `Bootstrap 95% CI of a·b (B = ${REPS})`).map((c) => c !== "")).toEqual([false, false, true, false, false, true]);
    expect(cells(t6, "Dependent variable")).toEqual(["DVAR", "Profitability", "DVAR", "DVAR", "Innovation", "DVAR"]);
    // Table 7: For and Back alone, together, with Robot
    expect(cells(t7, "For (suppliers' robots)").map((c) => c !== "")).toEqual([true, false, true, true, false, true]);
    expect(cells(t7, "Robot").map((c) => c !== "")).toEqual([false, false, false, true, true, true]);
    // Table 8: stepwise fixed effects, then controls; the Theil regression at the industry-year level
    expect(cells(t8, "Year FE")).toEqual(["No", "Yes", "Yes", "Yes", "Yes"]);
    expect(cells(t8, "Firm FE")).toEqual(["No", "No", "Yes", "Yes", "No"]);
    expect(cells(t8, "Controls")).toEqual(["No", "No", "No", "Yes", "No"]);
    expect(cells(t8, "Dependent variable")).toEqual(["Gap to frontier", "Gap to frontier", "Gap to frontier", "Gap to frontier", "Theil T of DVAR"]);
    expect(cells(t8, "Robot")[3]).toMatch(/^-0\.\d{4}\*\*\*$/);
  });

  test("writes 32 table files and the coefficient plots", () => {
    const out = join(dir, "api");
    for (let n = 1; n <= 8; n++) for (const ext of ["md", "tex", "html", "json"]) expect(existsSync(join(out, `table${n}.${ext}`)), `table${n}.${ext}`).toBe(true);
    expect(result.files.length - result.plots.length).toBe(32);
    expect(result.plots.map((p) => p.split(/[\\/]/).pop())).toEqual(["figure1_baseline.svg", "figure3_region.svg", "figure4_soe.svg", "figure5_intensity.svg"]);
    for (const p of result.plots) expect(readFileSync(p, "utf8")).toMatch(/^<svg[\s\S]*<\/svg>\s*$/);
    const json = JSON.parse(readFileSync(join(out, "table4.json"), "utf8"));
    expect(json.columns).toEqual(EXPECTED.table4!.columns);
  });

  test("every planted effect is recovered within 4 standard errors", () => {
    expect(result.planted).not.toBeNull();
    expect(result.planted!.map((c) => c.key)).toEqual([
      "total", "soe", "tech", "forward", "backward", "robot_profitability", "profitability_dvar", "robot_innovation",
      "innovation_dvar", "direct", "gap",
    ]);
    for (const c of result.planted!) expect(c.pass, `${c.label}: ${c.estimate} vs ${c.planted} (se ${c.se})`).toBe(true);
    expect(result.timings.map((t) => t.step)).toContain("table6_innovation");
  });

  test("runs on the user's own tables (frames in memory): the same tables, no planted check", async () => {
    const study = generateStudyPanel({ firms: 1_500, seed: 3 });
    const own = await reproduceStudy({ data: { panel: study.panel, robots: study.robots, io: study.io, employment: study.employment }, reps: 0, seed: 3 });
    const synthetic = await reproduceStudy({ firms: 1_500, seed: 3, reps: 0 });
    expect(own.planted).toBeNull();
    expect(own.source).toBe("data");
    expect(own.tables[0]!.table).toEqual(synthetic.tables[0]!.table);
    expect(own.tables[6]!.table).toEqual(synthetic.tables[6]!.table);
  }, 60_000);
});

describe("absorb reproduce (the built CLI)", () => {
  test("prints every table, writes the files and ends with the planted-effect check", () => {
    const out = join(dir, "cli");
    const r = absorb(["reproduce", "--firms", String(FIRMS), "--reps", String(REPS), "--out", out]);
    expect(r.status, r.stderr).toBe(0);
    for (let n = 1; n <= 8; n++) expect(r.stdout).toContain(`**Table ${n}. `);
    expect(r.stdout).toContain("All 11 planted effects recovered.");
    expect(r.stderr).toContain("table 6: mediation through profitability");
    for (let n = 1; n <= 8; n++) for (const ext of ["md", "tex", "html", "json"]) expect(existsSync(join(out, `table${n}.${ext}`))).toBe(true);
    for (const p of ["figure1_baseline", "figure3_region", "figure4_soe", "figure5_intensity"]) expect(existsSync(join(out, `${p}.svg`))).toBe(true);
    // the same tables as the library call
    for (const t of result.tables) expect(JSON.parse(readFileSync(join(out, `${t.name}.json`), "utf8"))).toEqual(JSON.parse(JSON.stringify(t.table)));
  }, 120_000);

  test("--json --quiet: one JSON object, nothing on stderr", () => {
    const r = absorb(["reproduce", "--firms", "1500", "--reps", "0", "--out", join(dir, "cli-json"), "--json"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stderr).toBe("");
    const json = JSON.parse(r.stdout);
    expect(json.tables.map((t: { name: string }) => t.name)).toEqual(Object.keys(EXPECTED));
    expect(json.files).toHaveLength(36);
    expect(json.planted).toHaveLength(11);
  }, 120_000);

  test("--data with --robots, --io and --employment files", async () => {
    const study = generateStudyPanel({ firms: 1_000, seed: 2 });
    const files = await writeStudyFiles(study, join(dir, "own"));
    const r = absorb(["reproduce", "--data", files.panel, "--robots", files.robots, "--io", files.io, "--employment", files.employment, "--reps", "0", "--out", join(dir, "own-out"), "--quiet"]);
    expect(r.status, r.stderr).toBe(0);
    expect(r.stdout).toContain("Your data:");
    expect(r.stdout).toContain("**Table 8. ");
    expect(r.stdout).not.toContain("Planted-effect check");
  }, 120_000);
});

describe("absorb reproduce: errors (exit 2, a clear message)", () => {
  test("--data without --robots and --io", () => {
    const r = absorb(["reproduce", "--data", "panel.csv"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/needs --data, --robots and --io together; missing --robots and --io/);
  });

  test("a file missing a required column names the column", async () => {
    const study = generateStudyPanel({ firms: 200, seed: 2 });
    const files = await writeStudyFiles(study, join(dir, "missing"));
    const noRd = (await writeStudyFiles(study, join(dir, "missing-rd"), ["rd"])).panel;
    const r = absorb(["reproduce", "--data", noRd, "--robots", files.robots, "--io", files.io, "--out", join(dir, "missing-out"), "--json"]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/the firm panel ".*panel\.csv" has no column "rd"/);
    expect(JSON.parse(r.stdout).error.kind).toBe("column");
    // and in the robot table
    const robots = join(dir, "missing", "robots-no-foreign.csv");
    writeFileSync(robots, "industry,year,stock\n1,2000,5\n");
    const r2 = absorb(["reproduce", "--data", files.panel, "--robots", robots, "--io", files.io, "--out", join(dir, "missing-out")]);
    expect(r2.status).toBe(2);
    expect(r2.stderr).toMatch(/the robot-stock table ".*robots-no-foreign\.csv" has no column "foreign_stock"/);
  });

  test("an unwritable --out, before any work", () => {
    const file = join(dir, "a-file");
    writeFileSync(file, "not a directory");
    const r = absorb(["reproduce", "--firms", "100000", "--out", join(file, "tables")]);
    expect(r.status).toBe(2);
    expect(r.stderr).toMatch(/cannot write to the output directory ".*a-file[\\/]tables": a file is in the way/);
    expect(r.stderr).not.toContain("generating");
  });
});

/** Writes the study's inputs as CSV files (the panel without `drop`), as a user would have them. */
async function writeStudyFiles(study: ReturnType<typeof generateStudyPanel>, to: string, drop: string[] = []) {
  const { mkdirSync } = await import("node:fs");
  mkdirSync(to, { recursive: true });
  const panel: Frame = { nrows: study.panel.nrows, columns: new Map([...study.panel.columns].filter(([name]) => !drop.includes(name))) };
  const paths = { panel: join(to, "panel.csv"), robots: join(to, "robots.csv"), employment: join(to, "employment.csv"), io: join(to, "io.csv") };
  await writeCsv(panel, paths.panel);
  await writeCsv(study.robots, paths.robots);
  await writeCsv(study.employment, paths.employment);
  const labels = study.io.industries.map(String);
  // industry keys as in the panel (1..14): one row per selling industry, one column per buying industry
  const ioColumns = new Map<string, Column>([["industry", { kind: "numeric", values: Float64Array.from(labels, Number) }]]);
  labels.forEach((l, j) => ioColumns.set(l, { kind: "numeric", values: Float64Array.from(study.io.flows, (row) => row[j]!) }));
  await writeCsv({ nrows: labels.length, columns: ioColumns }, paths.io);
  return paths;
}
