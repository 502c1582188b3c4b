/**
 * The study's eight tables (the module comment of reproduce.ts lists them), each fitted and laid
 * out from the analysis frame. Firm-level models are clustered by firm, the industry-year models
 * by industry.
 */
import type { Frame } from "../data/frame.js";
import type { DataInput } from "../data/input.js";
import { feols } from "../fit/feols.js";
import { feolsMulti } from "../fit/multi.js";
import type { FeolsResult } from "../fit/result.js";
import { IvResult } from "../fit/iv-result.js";
import { theil } from "../inequality/theil.js";
import type { RegressionTable, TableRow } from "../report/table.js";
import type { ReportModel } from "../report/model.js";
import { formatFixed } from "../core/format.js";
import { mediation, type MediationResult } from "../resampling/mediation.js";
import { heterogeneity, type HeterogeneityResult } from "../resampling/heterogeneity.js";
import type { StudyData } from "./study-data.js";
import { STUDY_CLUSTER, STUDY_CONTROLS, STUDY_FIXED_EFFECTS } from "./planted.js";
import { winsorize } from "./winsorize.js";
import { numericColumn, withColumns } from "./columns.js";
import { cellText, numericValues } from "./reproduce-inputs.js";
import { asRobot, DIGITS, formatPValue, LABELS, starred, studyTable, T_DIGITS } from "./reproduce-layout.js";

const FE = STUDY_FIXED_EFFECTS;
const CONTROLS = STUDY_CONTROLS.join(" + ");
export const FIRM_VCOV = { cluster: STUDY_CLUSTER } as const;
const INDUSTRY_VCOV = { cluster: "industry" } as const;

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

/** Marks the start of a named step (its time is measured and its message reported). */
export type Step = (name: string, message: string) => void;

/** A figure of coefficient plots to draw: the models, their labels, the file's base name and the title. */
export interface StudyPlot {
  readonly models: FeolsResult[];
  readonly labels: string[];
  readonly basename: string;
  readonly title: string;
}

function firmFit(frame: DataInput, formula: string, extra: Record<string, unknown> = {}): Promise<FeolsResult> {
  return feols(frame, formula, { vcov: FIRM_VCOV, ...extra });
}

/** Table 1: dvar on robot — (1) alone, (2) firm and year FE, (3) controls, (4) both; the four fits are figure 1's. */
export async function baselineTable(frame: Frame): Promise<{ table: RegressionTable; baseline: FeolsResult[] }> {
  const noFe = await feolsMulti(frame, `dvar ~ csw(robot, ${CONTROLS})`, { vcov: FIRM_VCOV });
  const withFe = await feolsMulti(frame, `dvar ~ csw(robot, ${CONTROLS}) | ${FE}`, { vcov: FIRM_VCOV });
  const baseline = [noFe.results[0]!, withFe.results[0]!, noFe.results[1]!, withFe.results[1]!];
  const table = studyTable(baseline, {
    title: TITLES[0],
    keep: ["robot"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    notes: [`Controls: ${STUDY_CONTROLS.join(", ")}. Robot: firm robot penetration (industry robot density × the firm's production-worker share relative to the year's median).`],
  });
  return { table, baseline };
}

/**
 * Table 2: DVAR with s = 0 (dvar_alt); industry robot density as the robot measure; industry-year
 * means; variables winsorized at 1/99%; 2SLS with foreign robot penetration (robot_iv) as the
 * instrument, with its first-stage F; without 2008–2009.
 */
export async function robustnessTable(frame: Frame, industryYear: Frame): Promise<RegressionTable> {
  const alt = await firmFit(frame, `dvar_alt ~ robot + ${CONTROLS} | ${FE}`);
  const density = await firmFit(frame, `dvar ~ robot_density + ${CONTROLS} | ${FE}`);
  const iyMean = await feols(industryYear, "dvar_mean ~ robot_density | industry + year", { vcov: INDUSTRY_VCOV });
  const winsorized = winsorize(frame, ["dvar", "robot", ...STUDY_CONTROLS], { lower: 0.01, upper: 0.99 }).frame;
  const wins = await firmFit(winsorized, `dvar ~ robot + ${CONTROLS} | ${FE}`, {});
  const iv = await firmFit(frame, `dvar ~ ${CONTROLS} | ${FE} | robot ~ robot_iv`);
  const year = numericValues(frame, "year");
  const keep = new Uint8Array(frame.nrows);
  for (let r = 0; r < frame.nrows; r++) keep[r] = year[r] === 2008 || year[r] === 2009 ? 0 : 1;
  const no0809 = await firmFit(frame, `dvar ~ robot + ${CONTROLS} | ${FE}`, { subset: keep });
  const robustness: ReportModel[] = [
    asRobot(alt),
    asRobot(density, "robot_density"),
    asRobot(iyMean, "robot_density"),
    asRobot(wins),
    asRobot(iv),
    asRobot(no0809),
  ];
  const firstStageF = iv instanceof IvResult ? iv.firstStages[0]?.ivf1.stat : undefined;
  return studyTable(robustness, {
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
}

const HETEROGENEITY_SPECS = [
  { number: 3, group: "region", reference: "east", name: (l: string) => l.charAt(0).toUpperCase() + l.slice(1), what: "region" },
  { number: 4, group: "soe", reference: 0, name: (l: string) => (l === "1" ? "SOE" : "Non-SOE"), what: "ownership" },
  { number: 5, group: "intensity", reference: "labour", name: (l: string) => l.charAt(0).toUpperCase() + l.slice(1) + "-intensive", what: "factor intensity" },
] as const;

/**
 * Tables 3–5, heterogeneity by region, ownership (soe) and factor intensity: split samples, the
 * difference from the reference group by interaction (pooled model, firm-clustered) and the
 * Fisher permutation p-value (K = reps); each with its figure.
 */
export async function heterogeneityTables(frame: Frame, reps: number, seed: number, step: Step): Promise<{ tables: RegressionTable[]; plots: StudyPlot[] }> {
  const tables: RegressionTable[] = [];
  const plots: StudyPlot[] = [];
  for (const spec of HETEROGENEITY_SPECS) {
    step(`table${spec.number}`, `table ${spec.number}: heterogeneity by ${spec.what} (K = ${reps})`);
    const h = await heterogeneity(frame, `dvar ~ robot + ${CONTROLS} | ${FE}`, {
      group: spec.group,
      reference: spec.reference,
      vcov: FIRM_VCOV,
      K: reps,
      seed,
    });
    const { table, models, labels } = heterogeneityTable(h, TITLES[spec.number - 1]!, spec.name, reps);
    tables.push(table);
    plots.push({ models, labels, basename: `figure${spec.number}_${spec.group}`, title: `Robot → DVAR by ${spec.what} (95% CI)` });
  }
  return { tables, plots };
}

/**
 * Table 6, mediation through profitability and innovation: Baron–Kenny's three steps each, the
 * indirect effect with Sobel's test and the firm-cluster bootstrap CI (B = reps).
 */
export async function mediationStudyTable(frame: Frame, reps: number, seed: number, step: Step): Promise<RegressionTable> {
  const meds: MediationResult[] = [];
  for (const mediator of ["profitability", "innovation"]) {
    step(`table6_${mediator}`, `table 6: mediation through ${mediator} (B = ${reps})`);
    meds.push(await mediation(frame, `dvar ~ robot + ${CONTROLS} | ${FE}`, { mediator, vcov: FIRM_VCOV, B: reps, seed }));
  }
  return mediationTable(meds, TITLES[5]!, reps);
}

/** Table 7, spillovers: For and Back alone, together, and with Robot. */
export async function spilloverTable(frame: Frame): Promise<RegressionTable> {
  const spill = await feolsMulti(
    frame,
    `dvar ~ sw(robot_for, robot_back, robot_for + robot_back, robot + robot_for, robot + robot_back, robot + robot_for + robot_back) + ${CONTROLS} | ${FE}`,
    { vcov: FIRM_VCOV },
  );
  return studyTable(spill.results, {
    title: TITLES[6],
    keep: ["robot_for", "robot_back", "robot"],
    controls: [...STUDY_CONTROLS],
    variableLabels: LABELS,
    digits: DIGITS,
    notes: [
      "For: robot density of the industry's suppliers, weighted by input shares; Back: that of its buyers, weighted by output shares (base-year input–output table, own industry excluded).",
    ],
  });
}

/**
 * Table 8, dispersion: the gap to the year's frontier with stepwise fixed effects and controls,
 * and the industry-year Theil T of DVAR on industry robot density with industry and year FE.
 */
export async function dispersionTable(frame: Frame, industryYear: Frame): Promise<RegressionTable> {
  const gapNoFe = await feolsMulti(frame, `gap ~ csw(robot, ${CONTROLS})`, { vcov: FIRM_VCOV });
  const gapYear = await firmFit(frame, "gap ~ robot | year");
  const gapFe = await feolsMulti(frame, `gap ~ csw(robot, ${CONTROLS}) | ${FE}`, { vcov: FIRM_VCOV });
  const theilFit = await feols(industryYear, "theil_t ~ robot_density | industry + year", { vcov: INDUSTRY_VCOV });
  const dispersion: ReportModel[] = [
    asRobot(gapNoFe.results[0]!),
    asRobot(gapYear),
    asRobot(gapFe.results[0]!),
    asRobot(gapFe.results[1]!),
    asRobot(theilFit, "robot_density"),
  ];
  return studyTable(dispersion, {
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
}

/**
 * One row per industry-year of the analysis frame: industry, year, dvar_mean and theil_t (Theil T
 * of the firms' DVAR, zeros dropped) with the industry's robot density.
 */
export async function industryYearFrame(study: StudyData): Promise<Frame> {
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
