/**
 * The study end to end: `reproduceStudy()` builds the analysis frame (the synthetic study panel,
 * or the user's firm panel, robot-stock table and input–output matrix), runs every analysis of
 * the study and returns its eight tables — and writes them, with the coefficient plots, when
 * given an output directory:
 *
 *   1. baseline: dvar on robot — (1) alone, (2) firm and year FE, (3) controls, (4) both
 *   2. robustness: DVAR with s = 0 (dvar_alt); industry robot density as the robot measure;
 *      industry-year means; variables winsorized at 1/99%; 2SLS with foreign robot penetration
 *      (robot_iv) as the instrument, with its first-stage F; without 2008–2009
 *   3–5. heterogeneity by region, ownership (soe) and factor intensity: split samples, the
 *      difference from the reference group by interaction (pooled model, firm-clustered) and
 *      the Fisher permutation p-value (K = reps)
 *   6. mediation through profitability and innovation: Baron–Kenny's three steps each, the
 *      indirect effect with Sobel's test and the firm-cluster bootstrap CI (B = reps)
 *   7. spillovers: For and Back alone, together, and with Robot
 *   8. dispersion: the gap to the year's frontier with stepwise fixed effects and controls, and
 *      the industry-year Theil T of DVAR on industry robot density with industry and year FE
 *
 * Firm-level models are clustered by firm; the industry-year models by industry. On the
 * synthetic panel the result ends with the planted-effect check: each effect of planted.ts
 * re-estimated with its recovery regression, recovered when |estimate − planted| ≤ 4 se.
 */
import { access, mkdir } from "node:fs/promises";
import { constants } from "node:fs";
import { resolve } from "node:path";
import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { readFrame } from "../data/read.js";
import { InputError } from "../core/errors.js";
import { feols } from "../fit/feols.js";
import { feolsMulti } from "../fit/multi.js";
import type { FeolsResult } from "../fit/result.js";
import { IvResult } from "../fit/iv-result.js";
import { theil } from "../inequality/theil.js";
import { buildTable, type RegressionTable, type TableRow } from "../report/table.js";
import { fromFeolsResult, type ReportModel } from "../report/model.js";
import { writeCoefPlot, writeTable } from "../report/write.js";
import { formatFixed, significanceStars } from "../core/format.js";
import { generateStudyPanel, STUDY_DEFAULT_SEED } from "./study-panel.js";
import { buildStudyData, type StudyData } from "./study-data.js";
import { ioMatrixFromTable, type IoMatrix } from "./linkages.js";
import { STUDY_CLUSTER, STUDY_CONTROLS, STUDY_FIXED_EFFECTS, plantedEffects } from "./planted.js";
import { mediation, type MediationResult } from "../resampling/mediation.js";
import { heterogeneity, type HeterogeneityResult } from "../resampling/heterogeneity.js";
import { winsorize } from "./winsorize.js";
import { numericColumn, withColumns } from "./columns.js";

/** The firm panel's raw columns the study needs (the synthetic panel's names). */
export const REPRODUCE_PANEL_COLUMNS = [
  "firm_id", "year", "industry", "region", "soe", "intensity", "open_year", "employees", "prod_share", "assets",
  "net_fixed_assets", "liabilities", "cost", "profit", "rd", "exports", "exports_ordinary", "domestic_sales",
  "imports_processing", "imports_ordinary", "inputs_total",
] as const;
export const REPRODUCE_ROBOT_COLUMNS = ["industry", "year", "stock", "foreign_stock"] as const;
export const REPRODUCE_EMPLOYMENT_COLUMNS = ["industry", "employment"] as const;

/** A table input: a path (read with readFrame) or data in memory. */
export type ReproduceInput = string | DataInput;

export interface ReproduceOptions {
  /** Firms of the synthetic panel (default 100,000); ignored with `data`. */
  readonly firms?: number;
  /** Seed of the synthetic panel, the bootstrap and the permutations (default 1). */
  readonly seed?: number;
  /** Bootstrap replications B and permutations K (default 499). */
  readonly reps?: number;
  /**
   * The user's own data instead of the synthetic panel: the firm panel with its raw columns
   * (REPRODUCE_PANEL_COLUMNS), the robot-stock table (industry, year, stock, foreign_stock), the
   * input–output matrix (an IoMatrix, or a table: industry plus one column per buying industry)
   * and optionally base-year industry employment (industry, employment; default: the panel's
   * employees summed by industry in the robot table's first year).
   */
  readonly data?: {
    readonly panel: ReproduceInput;
    readonly robots: ReproduceInput;
    readonly io: ReproduceInput | IoMatrix;
    readonly employment?: ReproduceInput;
  };
  /** Write DIR/table1.{md,tex,html,json} … table8.* and the plots (SVG) here. */
  readonly outDir?: string;
  /** Called with a short line as each step starts. */
  readonly onProgress?: (message: string) => void;
}

export interface PlantedCheck {
  readonly key: string;
  readonly label: string;
  readonly coefficient: string;
  readonly formula: string;
  readonly planted: number;
  readonly estimate: number;
  readonly se: number;
  /** |estimate − planted| / se. */
  readonly distance: number;
  readonly pass: boolean;
}

export interface ReproduceTable {
  /** 1..8. */
  readonly number: number;
  /** "table1" … "table8": the files' base name. */
  readonly name: string;
  readonly table: RegressionTable;
}

export interface ReproduceResult {
  readonly source: "synthetic" | "data";
  readonly firms: number | null;
  readonly seed: number;
  readonly reps: number;
  /** Firm-years in the analysis frame (after the DVAR cleaning). */
  readonly rows: number;
  readonly tables: readonly ReproduceTable[];
  /** Files written (tables, then plots); empty without outDir. */
  readonly files: readonly string[];
  readonly plots: readonly string[];
  /** Seconds per step, in order, and in all. */
  readonly timings: readonly { readonly step: string; readonly seconds: number }[];
  readonly totalSeconds: number;
  /** The planted-effect check (synthetic panel only; null with user data). */
  readonly planted: readonly PlantedCheck[] | null;
}

const FE = STUDY_FIXED_EFFECTS;
const CONTROLS = STUDY_CONTROLS.join(" + ");
const FIRM_VCOV = { cluster: STUDY_CLUSTER } as const;
const INDUSTRY_VCOV = { cluster: "industry" } as const;
const PLANTED_SE = 4;
/** Decimals in the tables: the robot effects are of the order 0.001–0.01. */
const DIGITS = 4;
/** Decimals of the t statistics. */
const T_DIGITS = 2;

const LABELS: Record<string, string> = {
  robot: "Robot",
  robot_for: "For (suppliers' robots)",
  robot_back: "Back (buyers' robots)",
  profitability: "Profitability",
  innovation: "Innovation",
  dvar: "DVAR",
  dvar_alt: "DVAR (s = 0)",
  dvar_mean: "Mean DVAR",
  gap: "Gap to frontier",
  theil_t: "Theil T of DVAR",
  firm_id: "Firm",
  year: "Year",
  industry: "Industry",
};

const TITLES = [
  "Table 1. Robots and export DVAR: baseline",
  "Table 2. Robustness",
  "Table 3. Heterogeneity by region",
  "Table 4. Heterogeneity by ownership",
  "Table 5. Heterogeneity by factor intensity",
  "Table 6. Mechanisms: profitability and innovation",
  "Table 7. Spillovers through the input–output linkages",
  "Table 8. Dispersion: the gap to the frontier and the industry-year Theil index",
];

/** The study's tables, plots and planted-effect check (module comment). */
export async function reproduceStudy(options: ReproduceOptions = {}): Promise<ReproduceResult> {
  const started = performance.now();
  const seed = options.seed ?? STUDY_DEFAULT_SEED;
  const reps = options.reps ?? 499;
  if (!Number.isInteger(reps) || reps < 0) throw new InputError("option", `reproduce: reps must be a whole number ≥ 0 (got ${reps})`);
  if (!Number.isFinite(seed)) throw new InputError("option", `reproduce: seed must be a number (got ${seed})`);
  const firms = options.data ? null : (options.firms ?? 100_000);
  if (firms !== null && !(Number.isInteger(firms) && firms >= 100)) {
    throw new InputError("option", `reproduce: firms must be a whole number of at least 100 (got ${firms})`);
  }
  if (options.outDir !== undefined) await checkWritable(options.outDir);

  const timings: { step: string; seconds: number }[] = [];
  let stepStart = performance.now();
  let stepName = "";
  const step = (name: string, message: string) => {
    if (stepName) timings.push({ step: stepName, seconds: (performance.now() - stepStart) / 1000 });
    stepName = name;
    stepStart = performance.now();
    if (name) options.onProgress?.(message);
  };

  // ---- data
  let study: StudyData;
  if (options.data) {
    step("data", "reading the firm panel, robot stocks and input–output table");
    const inputs = await loadInputs(options.data);
    step("build", "building DVAR, robot penetration, For/Back and the controls");
    study = buildStudyData(inputs);
  } else {
    step("generate", `generating the synthetic study panel (${firms!.toLocaleString("en-US")} firms)`);
    const panel = generateStudyPanel({ firms: firms!, seed });
    step("build", "building DVAR, robot penetration, For/Back and the controls");
    study = buildStudyData(panel);
  }
  const frame = study.frame;
  const fit = (formula: string, extra: Record<string, unknown> = {}, data: DataInput = frame) =>
    feols(data, formula, { vcov: FIRM_VCOV, ...extra });

  // ---- table 1: baseline
  step("table1", "table 1: baseline");
  const noFe = await feolsMulti(frame, `dvar ~ csw(robot, ${CONTROLS})`, { vcov: FIRM_VCOV });
  const withFe = await feolsMulti(frame, `dvar ~ csw(robot, ${CONTROLS}) | ${FE}`, { vcov: FIRM_VCOV });
  const baseline = [noFe.results[0], withFe.results[0], noFe.results[1], withFe.results[1]];
  const table1 = studyTable(baseline, {
    title: TITLES[0],
    keep: ["robot"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    notes: [`Controls: ${STUDY_CONTROLS.join(", ")}. Robot: firm robot penetration (industry robot density × the firm's production-worker share relative to the year's median).`],
  });

  // ---- table 2: robustness
  step("table2", "table 2: robustness");
  const industryYear = await industryYearFrame(study);
  const alt = await fit(`dvar_alt ~ robot + ${CONTROLS} | ${FE}`);
  const density = await fit(`dvar ~ robot_density + ${CONTROLS} | ${FE}`);
  const iyMean = await feols(industryYear, "dvar_mean ~ robot_density | industry + year", { vcov: INDUSTRY_VCOV });
  const winsorized = winsorize(frame, ["dvar", "robot", ...STUDY_CONTROLS], { lower: 0.01, upper: 0.99 }).frame;
  const wins = await fit(`dvar ~ robot + ${CONTROLS} | ${FE}`, {}, winsorized);
  const iv = await fit(`dvar ~ ${CONTROLS} | ${FE} | robot ~ robot_iv`);
  const year = numericValues(frame, "year");
  const keep = new Uint8Array(frame.nrows);
  for (let r = 0; r < frame.nrows; r++) keep[r] = year[r] === 2008 || year[r] === 2009 ? 0 : 1;
  const no0809 = await fit(`dvar ~ robot + ${CONTROLS} | ${FE}`, { subset: keep });
  const robustness: ReportModel[] = [
    asRobot(alt),
    asRobot(density, "robot_density"),
    asRobot(iyMean, "robot_density"),
    asRobot(wins),
    asRobot(iv),
    asRobot(no0809),
  ];
  const firstStageF = iv instanceof IvResult ? iv.firstStages[0]?.ivf1.stat : undefined;
  const table2 = studyTable(robustness, {
    title: TITLES[1],
    modelLabels: ["Alt. DVAR", "Industry density", "Industry-year", "Winsorized", "IV", "Excl. 2008–09"],
    keep: ["robot"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    extraRows: [
      { label: "Robot measure", kind: "indicator", cells: ["Penetration", "Industry density", "Industry density", "Penetration", "Penetration", "Penetration"] },
      { label: "First-stage F", kind: "stat", cells: ["", "", "", "", firstStageF === undefined ? "" : formatFixed(firstStageF, 2), ""] },
    ],
    notes: [
      "(1) DVAR without the indirect foreign content of domestic inputs (s = 0). (2) Industry robot density (robots per 10,000 workers of the base year). " +
        "(3) Industry-year mean DVAR on industry robot density, standard errors clustered by industry. (4) DVAR, robot and controls winsorized at the 1st and 99th percentiles. " +
        "(5) 2SLS, robot instrumented by foreign robot penetration (robot_iv); first-stage F of the excluded instrument. (6) Years 2008–2009 dropped.",
    ],
  });

  // ---- tables 3–5: heterogeneity
  const hetSpecs = [
    { number: 3, group: "region", reference: "east", name: (l: string) => l.charAt(0).toUpperCase() + l.slice(1), what: "region" },
    { number: 4, group: "soe", reference: 0, name: (l: string) => (l === "1" ? "SOE" : "Non-SOE"), what: "ownership" },
    { number: 5, group: "intensity", reference: "labour", name: (l: string) => l.charAt(0).toUpperCase() + l.slice(1) + "-intensive", what: "factor intensity" },
  ] as const;
  const hetTables: RegressionTable[] = [];
  const hetPlots: { models: FeolsResult[]; labels: string[]; basename: string; title: string }[] = [];
  for (const spec of hetSpecs) {
    step(`table${spec.number}`, `table ${spec.number}: heterogeneity by ${spec.what} (K = ${reps})`);
    const h = await heterogeneity(frame, `dvar ~ robot + ${CONTROLS} | ${FE}`, {
      group: spec.group,
      reference: spec.reference,
      vcov: FIRM_VCOV,
      K: reps,
      seed,
    });
    const { table, models, labels } = heterogeneityTable(h, TITLES[spec.number - 1]!, spec.name, reps);
    hetTables.push(table);
    hetPlots.push({ models, labels, basename: `figure${spec.number}_${spec.group}`, title: `Robot → DVAR by ${spec.what} (95% CI)` });
  }

  // ---- table 6: mediation
  const meds: MediationResult[] = [];
  for (const mediator of ["profitability", "innovation"]) {
    step(`table6_${mediator}`, `table 6: mediation through ${mediator} (B = ${reps})`);
    meds.push(await mediation(frame, `dvar ~ robot + ${CONTROLS} | ${FE}`, { mediator, vcov: FIRM_VCOV, B: reps, seed }));
  }
  const table6 = mediationTable(meds, TITLES[5]!, reps);

  // ---- table 7: spillovers
  step("table7", "table 7: spillovers (For, Back)");
  const spill = await feolsMulti(
    frame,
    `dvar ~ sw(robot_for, robot_back, robot_for + robot_back, robot + robot_for, robot + robot_back, robot + robot_for + robot_back) + ${CONTROLS} | ${FE}`,
    { vcov: FIRM_VCOV },
  );
  const table7 = studyTable(spill.results, {
    title: TITLES[6],
    keep: ["robot_for", "robot_back", "robot"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    notes: [
      "For: robot density of the industry's suppliers, weighted by input shares; Back: that of its buyers, weighted by output shares (base-year input–output table, own industry excluded).",
    ],
  });

  // ---- table 8: dispersion
  step("table8", "table 8: dispersion (gap to the frontier, industry-year Theil)");
  const gapNoFe = await feolsMulti(frame, `gap ~ csw(robot, ${CONTROLS})`, { vcov: FIRM_VCOV });
  const gapYear = await fit("gap ~ robot | year");
  const gapFe = await feolsMulti(frame, `gap ~ csw(robot, ${CONTROLS}) | ${FE}`, { vcov: FIRM_VCOV });
  const theilFit = await feols(industryYear, "theil_t ~ robot_density | industry + year", { vcov: INDUSTRY_VCOV });
  const dispersion: ReportModel[] = [
    asRobot(gapNoFe.results[0]!),
    asRobot(gapYear),
    asRobot(gapFe.results[0]!),
    asRobot(gapFe.results[1]!),
    asRobot(theilFit, "robot_density"),
  ];
  const table8 = studyTable(dispersion, {
    title: TITLES[7],
    keep: ["robot"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    extraRows: [{ label: "Level", kind: "indicator", cells: ["Firm", "Firm", "Firm", "Firm", "Industry-year"] }],
    notes: [
      "(1)–(4): the gap to the year's frontier, max DVAR of the year − the firm's DVAR; a negative coefficient means robots narrow the gap. " +
        "(5): Theil T of firm DVAR within each industry-year on industry robot density, standard errors clustered by industry.",
    ],
  });

  // ---- planted-effect check
  let planted: PlantedCheck[] | null = null;
  if (!options.data) {
    step("planted", "checking the planted effects");
    planted = await plantedCheck(frame);
  }

  const tables: ReproduceTable[] = [table1, table2, ...hetTables, table6, table7, table8].map((table, i) => ({ number: i + 1, name: `table${i + 1}`, table }));

  // ---- files
  const files: string[] = [];
  const plots: string[] = [];
  if (options.outDir !== undefined) {
    step("write", `writing the tables and plots to ${options.outDir}`);
    const dir = options.outDir;
    // No output may replace one of the files the study was read from.
    const inputs = Object.values(options.data ?? {}).filter((d): d is string => typeof d === "string");
    for (const t of tables) files.push(...(await writeTable(t.table, dir, t.name, undefined, { inputs })));
    plots.push(
      await writeCoefPlot(baseline, dir, "figure1_baseline", {
        inputs,
        keep: ["robot"],
        modelLabels: ["(1) Robot alone", "(2) Firm + year FE", "(3) Controls", "(4) FE + controls"],
        variableLabels: LABELS,
    digits: DIGITS,
        title: "Robot → DVAR: baseline specifications (95% CI)",
      }),
    );
    for (const p of hetPlots) {
      plots.push(await writeCoefPlot(p.models, dir, p.basename, { inputs, keep: ["robot"], modelLabels: p.labels, variableLabels: LABELS, title: p.title }));
    }
    files.push(...plots);
  }
  step("", "");
  return {
    source: options.data ? "data" : "synthetic",
    firms,
    seed,
    reps,
    rows: frame.nrows,
    tables,
    files,
    plots,
    timings,
    totalSeconds: (performance.now() - started) / 1000,
    planted,
  };
}

/** Markdown lines of the planted-effect check. */
export function formatPlantedCheck(checks: readonly PlantedCheck[]): string {
  const g = (x: number) => x.toPrecision(4);
  const lines = [`Planted-effect check (recovered when |estimate − planted| ≤ ${PLANTED_SE} standard errors):`, ""];
  lines.push("| Effect | Planted | Estimate | Std. error | Distance (se) | Result |", "|---|---:|---:|---:|---:|---|");
  for (const c of checks) {
    lines.push(`| ${c.label} | ${g(c.planted)} | ${g(c.estimate)} | ${g(c.se)} | ${c.distance.toFixed(2)} | ${c.pass ? "pass" : "FAIL"} |`);
  }
  const failed = checks.filter((c) => !c.pass).length;
  lines.push("", failed === 0 ? `All ${checks.length} planted effects recovered.` : `${failed} of ${checks.length} planted effects NOT recovered.`);
  return lines.join("\n");
}

// ---------------------------------------------------------------------------------------------

async function plantedCheck(frame: Frame): Promise<PlantedCheck[]> {
  const fits = new Map<string, FeolsResult>();
  const out: PlantedCheck[] = [];
  for (const e of plantedEffects()) {
    let f = fits.get(e.formula);
    if (!f) fits.set(e.formula, (f = await feols(frame, e.formula, { vcov: FIRM_VCOV })));
    const c = f.coef(e.coefficient);
    const estimate = c?.estimate ?? NaN;
    const se = c?.se ?? NaN;
    const distance = Math.abs(estimate - e.value) / se;
    out.push({ key: e.key, label: e.label, coefficient: e.coefficient, formula: e.formula, planted: e.value, estimate, se, distance, pass: distance <= PLANTED_SE });
  }
  return out;
}

/** A fit as a report model with one coefficient renamed to "robot" (so every column shares the Robot row). */
function asRobot(fit: FeolsResult, from?: string): ReportModel {
  const m = fromFeolsResult(fit);
  if (from === undefined) return m;
  return { ...m, coefficients: m.coefficients.map((c) => (c.name === from ? { ...c, name: "robot" } : c)) };
}

function numericValues(frame: Frame, name: string): Float64Array {
  const c = frame.columns.get(name);
  if (!c || c.kind !== "numeric") throw new InputError("column", `reproduce: column "${name}" must be numeric`);
  return c.values;
}

function cellText(col: Column, r: number): string {
  return col.kind === "numeric" ? String(col.values[r]) : col.codes[r]! < 0 ? "" : col.levels[col.codes[r]!]!;
}

/**
 * One row per industry-year of the analysis frame: industry, year, dvar_mean and theil_t (Theil T
 * of the firms' DVAR, zeros dropped) with the industry's robot density.
 */
async function industryYearFrame(study: StudyData): Promise<Frame> {
  const t = await theil(study.frame, { value: "dvar", by: ["industry", "year"], nonpositive: "drop" });
  const groups = t.toFrame();
  const iy = study.industryYear;
  const key = (f: Frame, r: number) => `${cellText(f.columns.get("industry")!, r)}\u0000${cellText(f.columns.get("year")!, r)}`;
  const densityByKey = new Map<string, number>();
  const dens = numericValues(iy, "robot_density");
  for (let r = 0; r < iy.nrows; r++) densityByKey.set(key(iy, r), dens[r]!);
  const density = new Float64Array(groups.nrows);
  for (let r = 0; r < groups.nrows; r++) density[r] = densityByKey.get(key(groups, r)) ?? NaN;
  return withColumns(groups, [
    ["dvar_mean", groups.columns.get("mean")!],
    ["robot_density", numericColumn(density)],
  ]);
}

/** A p-value to three decimals ("< 0.001" below). */
function formatPValue(p: number): string {
  return Number.isNaN(p) ? "" : p < 0.001 ? "< 0.001" : p.toFixed(3);
}

/**
 * buildTable with DIGITS decimals for the estimates and 2 for the t statistics in parentheses
 * below them (taken from a second build at 2 decimals: the row layout does not depend on digits).
 */
function studyTable(models: readonly (FeolsResult | ReportModel)[], options: Parameters<typeof buildTable>[1]): RegressionTable {
  const table = buildTable(models, { ...options, digits: DIGITS });
  const short = buildTable(models, { ...options, digits: T_DIGITS });
  return { ...table, rows: table.rows.map((row, i) => (row.kind === "coef" && row.label === "" ? short.rows[i]! : row)) };
}

function starred(estimate: number, p: number, digits = DIGITS): string {
  return formatFixed(estimate, digits) + significanceStars(p);
}

function heterogeneityTable(h: HeterogeneityResult, title: string, name: (level: string) => string, reps: number) {
  const ordered = [...h.groups].sort((a, b) => (String(a.level) === String(h.reference) ? -1 : String(b.level) === String(h.reference) ? 1 : 0));
  const models = ordered.map((g) => g.fit);
  const labels = ordered.map((g) => name(String(g.level)));
  const refLabel = name(String(h.reference));
  const diff = ordered.map((g) => h.differences.find((d) => String(d.level) === String(g.level)));
  const rows: TableRow[] = [
    { label: `Difference from ${refLabel}`, kind: "coef", cells: diff.map((d) => (d ? starred(d.interaction.estimate, d.interaction.p) : "")) },
    { label: "", kind: "coef", cells: diff.map((d) => (d ? `(${formatFixed(d.interaction.t, T_DIGITS)})` : "")) },
    { label: "Interaction test p", kind: "stat", cells: diff.map((d) => (d ? formatPValue(d.interaction.p) : "")) },
  ];
  if (h.permutation) {
    rows.push({ label: `Permutation p (K = ${reps})`, kind: "stat", cells: diff.map((d) => (d?.permutation ? formatPValue(d.permutation.p) : "")) });
  }
  const notes = [
    `Split samples by ${h.group}. Difference from ${refLabel}: the robot × group interaction of the pooled model (same controls and fixed effects), t statistic in parentheses.` +
      (h.permutation ? ` Permutation p: Fisher permutation test of the split-sample difference, group labels reassigned across firms (two-sided).` : ""),
  ];
  if (h.joint) notes.push(`Joint test that the slopes are equal: F = ${h.joint.stat.toFixed(3)} (${h.joint.df1}, ${h.joint.df2} df), p = ${formatPValue(h.joint.p)}.`);
  const table = studyTable(models, {
    title,
    modelLabels: labels,
    keep: ["robot"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    extraRows: rows,
    notes,
  });
  return { table, models, labels };
}

function mediationTable(meds: readonly MediationResult[], title: string, reps: number): RegressionTable {
  const models: FeolsResult[] = [];
  const labels: string[] = [];
  const indirect: string[] = [];
  const sobel: string[] = [];
  const sobelP: string[] = [];
  const ci: string[] = [];
  const prop: string[] = [];
  for (const m of meds) {
    const name = LABELS[m.mediator] ?? m.mediator;
    models.push(m.total, m.mediatorModel, m.direct);
    labels.push(`DVAR (total)`, name, `DVAR (direct)`);
    const g = (x: number) => (Math.abs(x) >= 1e-3 || x === 0 ? x.toFixed(4) : x.toExponential(2));
    indirect.push("", "", g(m.indirect));
    sobel.push("", "", m.sobel.z.toFixed(3));
    sobelP.push("", "", formatPValue(m.sobel.p));
    prop.push("", "", `${(100 * m.proportionMediated).toFixed(1)}%`);
    ci.push("", "", m.bootstrap ? `[${g(m.bootstrap.ci[0])}, ${g(m.bootstrap.ci[1])}]` : "");
  }
  const rows: TableRow[] = [
    { label: "Indirect effect a·b", kind: "stat", cells: indirect },
    { label: "Share mediated", kind: "stat", cells: prop },
    { label: "Sobel z", kind: "stat", cells: sobel },
    { label: "Sobel p", kind: "stat", cells: sobelP },
  ];
  if (meds.some((m) => m.bootstrap)) rows.push({ label: `Bootstrap 95% CI of a·b (B = ${reps})`, kind: "stat", cells: ci });
  return studyTable(models, {
    title,
    modelLabels: labels,
    keep: ["robot", "profitability", "innovation"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    extraRows: rows,
    notes: [
      "Baron–Kenny steps for each mediator on one sample: the total effect, robot → mediator, and the direct effect with the mediator. " +
        "Sobel z = ab/√(b²s_a² + a²s_b²); percentile interval of a·b from a firm-cluster bootstrap.",
    ],
  });
}

// ---------------------------------------------------------------------------------------------
// the user's data

async function checkWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "ENOTDIR" || code === "EEXIST"
          ? "a file is in the way (a path component is not a directory)"
          : code === "EROFS"
            ? "read-only file system"
            : (err as Error).message;
    throw new InputError("file", `reproduce: cannot write to the output directory "${resolve(dir)}": ${reason}; choose a directory you can write to with --out DIR`);
  }
}

async function loadTable(input: ReproduceInput, what: string, required: readonly string[]): Promise<Frame> {
  const frame = typeof input === "string" ? await readFrame(input) : toFrame(input);
  const where = typeof input === "string" ? `${what} "${input}"` : what;
  const missing = required.filter((c) => !frame.columns.has(c));
  if (missing.length > 0) {
    throw new InputError(
      "column",
      `reproduce: ${where} has no column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `"${c}"`).join(", ")} ` +
        `(it needs ${required.join(", ")}; it has ${[...frame.columns.keys()].join(", ")})`,
    );
  }
  return frame;
}

function isIoMatrix(x: unknown): x is IoMatrix {
  return typeof x === "object" && x !== null && "flows" in x && "industries" in x && Array.isArray((x as IoMatrix).industries);
}

async function loadInputs(data: NonNullable<ReproduceOptions["data"]>) {
  if (data.panel === undefined || data.robots === undefined || data.io === undefined) {
    throw new InputError("option", "reproduce: own data needs the firm panel, the robot-stock table and the input–output matrix (panel, robots, io)");
  }
  const panel = await loadTable(data.panel, "the firm panel", REPRODUCE_PANEL_COLUMNS);
  const robots = await loadTable(data.robots, "the robot-stock table", REPRODUCE_ROBOT_COLUMNS);
  const io = isIoMatrix(data.io) ? data.io : ioMatrixFromTable(await loadTable(data.io, "the input–output table", ["industry"]));
  const employment =
    data.employment !== undefined ? await loadTable(data.employment, "the employment table", REPRODUCE_EMPLOYMENT_COLUMNS) : employmentFromPanel(panel, robots);
  return { panel, robots, employment, io };
}

/** Base-year industry employment from the panel: employees summed by industry in the robot table's first year. */
function employmentFromPanel(panel: Frame, robots: Frame): Frame {
  const years = numericValues(robots, "year");
  let base = Infinity;
  for (const y of years) if (y < base) base = y;
  const year = numericValues(panel, "year");
  const employees = numericValues(panel, "employees");
  const industry = panel.columns.get("industry")!;
  const sums = new Map<string, number>();
  for (let r = 0; r < panel.nrows; r++) {
    if (year[r] !== base || !Number.isFinite(employees[r]!)) continue;
    const k = cellText(industry, r);
    if (k === "") continue;
    sums.set(k, (sums.get(k) ?? 0) + employees[r]!);
  }
  const robotIndustry = robots.columns.get("industry")!;
  const needed = new Set<string>();
  for (let r = 0; r < robots.nrows; r++) needed.add(cellText(robotIndustry, r));
  const absent = [...needed].filter((k) => !(sums.get(k)! > 0));
  if (absent.length > 0) {
    throw new InputError(
      "data",
      `reproduce: the firm panel has no employees in ${base} (the robot table's first year) for industr${absent.length > 1 ? "ies" : "y"} ${absent.join(", ")}; ` +
        `give base-year industry employment with --employment FILE (industry, employment)`,
    );
  }
  const keys = [...needed];
  const numericKeys = industry.kind === "numeric";
  return {
    nrows: keys.length,
    columns: new Map<string, Column>([
      ["industry", numericKeys ? numericColumn(Float64Array.from(keys, Number)) : { kind: "categorical", codes: Int32Array.from(keys, (_, i) => i), levels: keys }],
      ["year", numericColumn(new Float64Array(keys.length).fill(base))],
      ["employment", numericColumn(Float64Array.from(keys, (k) => sums.get(k)!))],
    ]),
  };
}
