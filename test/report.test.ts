import { afterAll, describe, expect, test } from "vitest";
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import {
  buildTable,
  coefPlotSvg,
  feols,
  fromFeolsResult,
  fromFitJson,
  InputError,
  renderHtml,
  renderJson,
  renderLatex,
  renderMarkdown,
  renderTable,
  parseTableFormat,
  writeCoefPlot,
  writeTable,
  type ReportModel,
  type TableOptions,
} from "../src/index.js";
import { formatFixed, significanceStars } from "../src/core/format.js";
import { niceTicks } from "../src/report/coefplot.js";

const golden = join(import.meta.dirname, "golden");
const readGolden = (name: string) => readFileSync(join(golden, name), "utf8");
const baseline = JSON.parse(readGolden("fit-baseline.json"));
const withControls = JSON.parse(readGolden("fit-controls.json"));
/** The golden table: two hand-written `absorb fit --json` outputs, controls collapsed into one row. */
const goldenOptions: TableOptions = { title: "Robot penetration and DVAR", controls: ["ln_age", "finance"] };
const goldenTable = () => buildTable([baseline, withControls], goldenOptions);

const dir = mkdtempSync(join(tmpdir(), "absorb-report-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

/** A ReportModel written out by hand, for the cases the fixtures do not cover. */
function model(over: Partial<ReportModel> & Pick<ReportModel, "coefficients">): ReportModel {
  return { depvar: "y", formula: "y ~ x", nobs: 100, r2: 0.5, withinR2: null, fixefSizes: {}, vcov: { type: "iid" }, ...over };
}
function coef(name: string, estimate: number, se: number, p: number) {
  return { name, estimate, se, t: estimate / se, p, confLow: Number.NaN, confHigh: Number.NaN };
}

describe("golden: a fixed two-model table in each format", () => {
  test("Markdown", () => {
    const expected = `**Robot penetration and DVAR**

|                 |   (1)    |   (2)    |
|:----------------|:--------:|:--------:|
| robot           | 0.058*** | 0.056*** |
|                 | (51.478) | (47.653) |
| fin_constraints |          | -0.021*  |
|                 |          | (-1.800) |
| Controls        |    No    |   Yes    |
| firm_id FE      |   Yes    |   Yes    |
| year FE         |   Yes    |   Yes    |
| Observations    |  95,720  |  91,523  |
| R²              |  0.801   |  0.802   |
| Within R²       |  0.075   |  0.076   |

Dependent variable: dvar.

t statistics in parentheses, from standard errors clustered by firm_id.

\\* p < 0.1, ** p < 0.05, *** p < 0.01
`;
    expect(renderMarkdown(goldenTable())).toBe(expected);
    expect(readGolden("two-models.md")).toBe(expected);
  });

  test("LaTeX (booktabs)", () => {
    const tex = renderLatex(goldenTable());
    expect(tex).toBe(readGolden("two-models.tex"));
    expect(tex).toContain("\\begin{tabular}{lcc}\n\\toprule\n & (1) & (2) \\\\\n\\midrule\n");
    expect(tex).toContain("fin\\_constraints &  & $-$0.021$^{*}$ \\\\\n &  & ($-$1.800) \\\\\n\\midrule\nControls & No & Yes \\\\");
    expect(tex).toContain("R$^2$ & 0.801 & 0.802 \\\\");
    expect(tex).toContain("\\bottomrule\n\\end{tabular}");
  });

  test("HTML", () => {
    const html = renderHtml(goldenTable());
    expect(html).toBe(readGolden("two-models.html"));
    expect(html).toMatch(/^<table[^>]*>\n  <caption[^>]*>Robot penetration and DVAR<\/caption>\n  <thead>/);
    expect(html).toContain("<tfoot>");
    expect(html).toContain("* p &lt; 0.1, ** p &lt; 0.05, *** p &lt; 0.01");
  });

  test("JSON: the source of the others", () => {
    const text = renderJson(goldenTable());
    expect(text).toBe(readGolden("two-models.json"));
    const json = JSON.parse(text);
    expect(Object.keys(json)).toEqual(["title", "columns", "rows", "notes"]);
    expect(json).toEqual(goldenTable());
    expect(json.columns).toEqual(["(1)", "(2)"]);
    expect(json.rows.map((r: { label: string }) => r.label)).toEqual([
      "robot", "", "fin_constraints", "", "Controls", "firm_id FE", "year FE", "Observations", "R²", "Within R²",
    ]);
    expect(json.rows.map((r: { kind: string }) => r.kind)).toEqual([
      "coef", "coef", "coef", "coef", "indicator", "indicator", "indicator", "stat", "stat", "stat",
    ]);
    expect(json.rows[0]).toEqual({ label: "robot", cells: ["0.058***", "0.056***"], kind: "coef" });
  });

  test("renderTable dispatches on the format; format names are checked", () => {
    const t = goldenTable();
    expect(renderTable(t, "md")).toBe(renderMarkdown(t));
    expect(renderTable(t, "tex")).toBe(renderLatex(t));
    expect(renderTable(t, "html")).toBe(renderHtml(t));
    expect(renderTable(t, "json")).toBe(renderJson(t));
    expect(parseTableFormat("latex")).toBe("tex");
    expect(parseTableFormat("Markdown")).toBe("md");
    expect(() => parseTableFormat("docx")).toThrow(InputError);
    expect(() => parseTableFormat("docx")).toThrow('unknown table format "docx"; formats: md, tex, html, json');
  });
});

describe("table options", () => {
  test("standard errors instead of t statistics", () => {
    const t = buildTable([baseline, withControls], { ...goldenOptions, statistic: "se" });
    expect(t.rows[1]).toEqual({ label: "", cells: ["(0.001)", "(0.001)"], kind: "coef" });
    expect(t.rows[3].cells).toEqual(["", "(0.012)"]);
    expect(t.notes[1]).toBe("Standard errors clustered by firm_id in parentheses.");
  });

  test("keep orders the coefficients; labels rename coefficients and fixed effects; digits", () => {
    const t = buildTable([baseline, withControls], {
      keep: ["finance", "robot"],
      variableLabels: { robot: "Robot penetration", firm_id: "Firm", year: "Year", dvar: "DVAR" },
      modelLabels: ["Baseline", "Controls"],
      digits: 2,
    });
    expect(t.title).toBe("");
    expect(t.columns).toEqual(["Baseline", "Controls"]);
    expect(t.rows.map((r) => r.label)).toEqual(["finance", "", "Robot penetration", "", "Firm FE", "Year FE", "Observations", "R²", "Within R²"]);
    expect(t.rows[0].cells).toEqual(["", "-0.01***"]);
    expect(t.rows[2].cells).toEqual(["0.06***", "0.06***"]);
    expect(t.notes[0]).toBe("Dependent variable: DVAR.");
  });

  test("named control groups; the intercept comes last as Constant; no within R² without fixed effects", () => {
    const a = model({ coefficients: [coef("(Intercept)", 1.5, 0.5, 0.003), coef("x", 0.2, 0.1, 0.046), coef("age", 1, 1, 0.3)] });
    const b = model({ coefficients: [coef("(Intercept)", 1.4, 0.5, 0.005), coef("x", 0.1, 0.1, 0.32), coef("size", 2, 1, 0.05)] });
    const t = buildTable([a, b], { controls: { "Firm controls": ["age"], "Size control": ["size"] } });
    expect(t.rows.map((r) => r.label)).toEqual(["x", "", "Constant", "", "Firm controls", "Size control", "Observations", "R²"]);
    expect(t.rows[0].cells).toEqual(["0.200**", "0.100"]);
    expect(t.rows[4].cells).toEqual(["Yes", "No"]);
    expect(t.rows[5].cells).toEqual(["No", "Yes"]);
    expect(t.notes[1]).toBe("t statistics in parentheses, from IID standard errors.");
  });

  test("different variances or dependent variables get their own rows", () => {
    const a = model({ coefficients: [coef("x", 1, 0.5, 0.04)], vcov: { type: "hetero" } });
    const b = model({ depvar: "z", coefficients: [coef("x", 1, 0.5, 0.04)], vcov: { type: "cluster", cluster: ["firm", "year"] } });
    const t = buildTable([a, b]);
    const byLabel = Object.fromEntries(t.rows.map((r) => [r.label, r.cells]));
    expect(byLabel["Dependent variable"]).toEqual(["y", "z"]);
    expect(byLabel["Standard errors"]).toEqual(["Robust", "Cluster (firm, year)"]);
    expect(t.notes[0]).toBe('t statistics in parentheses; standard errors as named in the row "Standard errors".');
  });

  test("an interacted fixed effect is labelled from its parts", () => {
    const a = model({ coefficients: [coef("x", 1, 0.5, 0.04)], fixefSizes: { "industry^year": 90 }, withinR2: 0.1 });
    const t = buildTable([a], { variableLabels: { industry: "Industry", year: "Year" } });
    expect(t.rows.find((r) => r.kind === "indicator")?.label).toBe("Industry × Year FE");
    expect(renderLatex(t)).toContain("Industry $\\times$ Year FE & Yes \\\\");
  });

  test("extra rows go at the end of their block", () => {
    const t = buildTable([baseline, withControls], {
      ...goldenOptions,
      extraRows: [
        { label: "Sobel z", cells: ["", "2.31**"], kind: "stat" },
        { label: "Industry trends", cells: ["No", "Yes"], kind: "indicator" },
      ],
    });
    expect(t.rows.map((r) => r.label)).toEqual([
      "robot", "", "fin_constraints", "", "Controls", "firm_id FE", "year FE", "Industry trends", "Observations", "R²", "Within R²", "Sobel z",
    ]);
    expect(() => buildTable([baseline], { extraRows: [{ label: "F", cells: ["1", "2"], kind: "stat" }] })).toThrow(
      'extra row "F" has 2 cell(s) for 1 model(s); give one cell per model',
    );
  });

  test("bad options are InputErrors that say what to do", () => {
    expect(() => buildTable([baseline], { keep: ["robots"] })).toThrow('keep: "robots" is not a coefficient of any model; coefficients: robot');
    expect(() => buildTable([baseline, withControls], { modelLabels: ["A"] })).toThrow("1 model label(s) for 2 model(s); give one label per model");
    expect(() => buildTable([])).toThrow(InputError);
    expect(() => buildTable([baseline], { digits: -1 })).toThrow("digits must be an integer from 0 to 12");
  });
});

describe("formatting and escaping", () => {
  test("stars at 10/5/1%", () => {
    expect([0.0099, 0.01, 0.049, 0.05, 0.0999, 0.1, Number.NaN].map(significanceStars)).toEqual(["***", "**", "**", "*", "*", "", ""]);
  });

  test("numbers: fixed decimals, no negative zero, tiny values keep their digits, NA for non-finite", () => {
    expect(formatFixed(0.05817, 3)).toBe("0.058");
    expect(formatFixed(-0.0001, 3)).toBe("-0.000100");
    expect(formatFixed(0.000116, 3)).toBe("0.000116");
    expect(formatFixed(-0, 3)).toBe("0.000");
    expect(formatFixed(Number.NaN, 3)).toBe("NA");
  });

  test("text is escaped for each format", () => {
    const a = model({ coefficients: [coef("x_1", 1, 0.5, 0.2)] });
    const t = buildTable([a], { title: "R&D <50% | $ # {x}", modelLabels: ["A|B"], variableLabels: { x_1: "Log(x) <b>" } });
    const tex = renderLatex(t);
    expect(tex).toContain("\\caption{R\\&D $<$50\\% \\textbar{} \\$ \\# \\{x\\}}");
    expect(tex).toContain("Log(x) $<$b$>$ & 1.000 \\\\");
    const html = renderHtml(t);
    expect(html).toContain("R&amp;D &lt;50% | $ # {x}</caption>");
    expect(html).toContain(">Log(x) &lt;b&gt;</th>");
    expect(html).not.toContain("<b>");
    const md = renderMarkdown(t);
    expect(md).toContain("|  A\\|B   |");
    expect(md).toContain("Log(x) \\<b>");
    expect(md).not.toMatch(/(^|[^\\])<b>/);
  });

  test("Markdown defuses raw HTML in names, labels, titles and notes", () => {
    const a = model({ coefficients: [coef("<img src=x onerror=alert(1)>", 1, 0.5, 0.2)] });
    const t = buildTable([a], { title: "<script>x</script> &amp; \\<b>", modelLabels: ["<!-- c -->"] });
    const md = renderMarkdown(t);
    expect(md).toContain("**\\<script>x\\</script> \\&amp; \\\\\\<b>**");
    expect(md).toContain("\\<img src=x onerror=alert(1)>");
    expect(md).toContain("\\<!-- c -->");
    expect(md).toContain("* p < 0.1");
  });
});

describe("inputs: FeolsResult and saved fit JSON map to the same table", () => {
  test("a library fit and its JSON form give identical tables", async () => {
    const n = 60;
    const firm = Array.from({ length: n }, (_, i) => i % 6);
    const year = Array.from({ length: n }, (_, i) => Math.floor(i / 6));
    const x = Array.from({ length: n }, (_, i) => Math.sin(i * 1.7) + (i % 7) * 0.1);
    const w = Array.from({ length: n }, (_, i) => Math.cos(i * 0.9));
    const y = x.map((v, i) => 0.5 * v - 0.2 * w[i] + firm[i] * 0.3 + year[i] * 0.1 + Math.sin(i * 3.1) * 0.2);
    const data = { y, x, w, firm, year };
    const fits = [
      await feols(data, "y ~ x | firm + year", { vcov: { cluster: "firm" } }),
      await feols(data, "y ~ x + w | firm + year", { vcov: { cluster: "firm" } }),
    ];
    const fromJson = fits.map((f) => fromFitJson(JSON.parse(JSON.stringify(f.toJSON()))));
    const opts: TableOptions = { controls: ["w"], title: "T" };
    expect(buildTable(fits, opts)).toEqual(buildTable(fromJson, opts));
    expect(buildTable(fits.map((f) => fromFeolsResult(f)), opts)).toEqual(buildTable(fits, opts));
    expect(coefPlotSvg(fits, { keep: ["x"] })).toBe(coefPlotSvg(fromJson, { keep: ["x"] }));
  });

  test("a JSON that is not an absorb fit names what is missing", () => {
    const { fixef_sizes: _drop, ...noFixef } = baseline;
    expect(() => fromFitJson(noFixef, "a.json")).toThrow(InputError);
    expect(() => fromFitJson(noFixef, "a.json")).toThrow('a.json is not an absorb fit JSON: field "fixef_sizes" is missing');
    expect(() => fromFitJson({ ...baseline, coefficients: [{ name: "x", estimate: 1 }] }, "b.json")).toThrow('field "coefficients[0].se" is missing');
    expect(() => fromFitJson([1, 2], "c.json")).toThrow("c.json is not an absorb fit JSON: it is not a JSON object");
    expect(() => fromFitJson({ error: { kind: "column", message: 'unknown column "z"' } }, "d.json")).toThrow(
      'd.json is not an absorb fit JSON: it is the error output of a failed fit ("unknown column "z"")',
    );
    expect(() => fromFitJson({ value: "dvar", groups: [] }, "theil.json")).toThrow('field "formula" is missing');
  });
});

describe("coefficient plots", () => {
  const regions = ["East", "Central", "West"].map((label, i) =>
    model({ label, coefficients: [coef("robot", 0.5 + 0.2 * i, 0.1 + 0.05 * i, 0.001), coef("age", -0.1, 0.2, 0.6)] }),
  );

  test("one coefficient across models: a row per model, estimate ± 1.96·se without bounds, zero line, ticks", () => {
    const svg = coefPlotSvg(regions, { keep: ["robot"], variableLabels: { robot: "Robot penetration" } });
    expect(svg.startsWith('<svg xmlns="http://www.w3.org/2000/svg"')).toBe(true);
    expect(svg).toContain(">Robot penetration</text>");
    for (const label of ["East", "Central", "West"]) expect(svg).toContain(`>${label}</text>`);
    expect(svg.match(/<circle /g)).toHaveLength(3);
    expect(svg).toContain(">0.500 [0.304, 0.696]</text>");
    expect(svg).toContain('stroke-dasharray="5 4"');
    expect(svg).toContain(">Estimate and 95% confidence interval</text>");
    expect(svg).toContain(">0.0</text>");
    expect(svg).not.toMatch(/<script|href=|url\(|@import|@font-face/i);
    expect(svg.trimEnd().endsWith("</svg>")).toBe(true);
  });

  test("several coefficients and models: grouped under each coefficient; fit bounds used when given", () => {
    const withBounds = model({ coefficients: [{ ...coef("robot", 1, 0.5, 0.04), confLow: 0.1, confHigh: 1.9 }] });
    const svg = coefPlotSvg([...regions, withBounds], { title: "Heterogeneity", modelLabels: ["E", "C", "W", "All"] });
    expect(svg).toContain(">Heterogeneity</text>");
    expect(svg).toContain('font-weight="bold" fill="#1a1a1a">robot</text>');
    expect(svg).toContain('font-weight="bold" fill="#1a1a1a">age</text>');
    expect(svg.match(/<circle /g)).toHaveLength(7);
    expect(svg).toContain(">1.00 [0.100, 1.90]</text>");
    expect(svg).toContain("\u22120.100 [");
  });

  test("errors", () => {
    expect(() => coefPlotSvg(regions, { keep: ["robots"] })).toThrow('keep: "robots" is not a coefficient of any model');
    expect(() => coefPlotSvg(regions, { modelLabels: ["a"] })).toThrow("give one label per model");
    expect(() => coefPlotSvg([])).toThrow(InputError);
  });

  test("ticks: 1/2/5 steps covering the range, tight", () => {
    expect(niceTicks(0, 0.0104)).toEqual([0, 0.002, 0.004, 0.006, 0.008, 0.01, 0.012]);
    expect(niceTicks(-3, 250)).toEqual([-50, 0, 50, 100, 150, 200, 250]);
    expect(niceTicks(0, 1)).toEqual([0, 0.2, 0.4, 0.6, 0.8, 1]);
    expect(niceTicks(0, 0)).toEqual([-1, -0.5, 0, 0.5, 1]);
    expect(niceTicks(0, 1, 4)).toEqual([0, 0.5, 1]);
  });
});

describe("writers", () => {
  test("writeTable writes basename.{md,tex,html,json}; writeCoefPlot writes basename.svg", async () => {
    const out = join(dir, "tables", "nested");
    const t = goldenTable();
    const paths = await writeTable(t, out, "table1");
    expect(paths).toEqual(["md", "tex", "html", "json"].map((f) => join(out, `table1.${f}`)));
    expect(readFileSync(join(out, "table1.md"), "utf8")).toBe(readGolden("two-models.md"));
    expect(readFileSync(join(out, "table1.tex"), "utf8")).toBe(readGolden("two-models.tex"));
    expect(readFileSync(join(out, "table1.html"), "utf8")).toBe(readGolden("two-models.html"));
    expect(JSON.parse(readFileSync(join(out, "table1.json"), "utf8"))).toEqual(t);
    const svg = await writeCoefPlot([baseline, withControls], out, "figure1", { keep: ["robot"] });
    expect(svg).toBe(join(out, "figure1.svg"));
    expect(readFileSync(svg, "utf8")).toBe(coefPlotSvg([baseline, withControls], { keep: ["robot"] }));
  });

  test("an unwritable directory is an InputError(file) naming the path and what to do", async () => {
    const blocker = join(dir, "a-file");
    writeFileSync(blocker, "not a directory");
    const target = join(blocker, "tables");
    const err = await writeTable(goldenTable(), target, "table1").catch((e: unknown) => e);
    expect(err).toBeInstanceOf(InputError);
    expect((err as InputError).kind).toBe("file");
    expect((err as Error).message).toContain(`cannot create the output directory "${target}"`);
    expect((err as Error).message).toContain("choose a directory you can write to (e.g. --out DIR)");
    const err2 = await writeCoefPlot([baseline], target, "figure1").catch((e: unknown) => e);
    expect(err2).toBeInstanceOf(InputError);
    expect((err2 as InputError).kind).toBe("file");
  });
});
