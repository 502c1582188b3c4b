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
import type { Frame } from "../data/frame.js";
import { InputError } from "../core/errors.js";
import { feols } from "../fit/feols.js";
import type { FeolsResult } from "../fit/result.js";
import type { RegressionTable } from "../report/table.js";
import { writeCoefPlot, writeTable } from "../report/write.js";
import { generateStudyPanel, STUDY_DEFAULT_SEED } from "./study-panel.js";
import { buildStudyData, type StudyData } from "./study-data.js";
import { plantedEffects } from "./planted.js";
import { checkWritable, loadInputs, type ReproduceData } from "./reproduce-inputs.js";
import { DIGITS, LABELS } from "./reproduce-layout.js";
import {
  baselineTable,
  dispersionTable,
  FIRM_VCOV,
  heterogeneityTables,
  industryYearFrame,
  mediationStudyTable,
  robustnessTable,
  spilloverTable,
  type Step,
  type StudyPlot,
} from "./reproduce-tables.js";

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
  readonly data?: ReproduceData;
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

const PLANTED_SE = 4;

/** Seconds per named step, in order; each step's start is reported through onProgress. */
class StepClock {
  readonly timings: { step: string; seconds: number }[] = [];
  private name = "";
  private started = performance.now();

  constructor(private readonly onProgress?: (message: string) => void) {}

  /** Ends the running step and starts `name` ("" ends the last one). */
  readonly step: Step = (name, message) => {
    if (this.name) this.timings.push({ step: this.name, seconds: (performance.now() - this.started) / 1000 });
    this.name = name;
    this.started = performance.now();
    if (name) this.onProgress?.(message);
  };
}

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

  const clock = new StepClock(options.onProgress);
  const { step } = clock;
  const study = await analysisFrame(options, firms, seed, step);
  const frame = study.frame;

  step("table1", "table 1: baseline");
  const { table: table1, baseline } = await baselineTable(frame);
  step("table2", "table 2: robustness");
  const industryYear = await industryYearFrame(study);
  const table2 = await robustnessTable(frame, industryYear);
  const heterogeneity = await heterogeneityTables(frame, reps, seed, step);
  const table6 = await mediationStudyTable(frame, reps, seed, step);
  step("table7", "table 7: spillovers (For, Back)");
  const table7 = await spilloverTable(frame);
  step("table8", "table 8: dispersion (gap to the frontier, industry-year Theil)");
  const table8 = await dispersionTable(frame, industryYear);

  let planted: PlantedCheck[] | null = null;
  if (!options.data) {
    step("planted", "checking the planted effects");
    planted = await plantedCheck(frame);
  }

  const tables: ReproduceTable[] = [table1, table2, ...heterogeneity.tables, table6, table7, table8].map((table, i) => ({ number: i + 1, name: `table${i + 1}`, table }));

  let written: { files: string[]; plots: string[] } = { files: [], plots: [] };
  if (options.outDir !== undefined) {
    step("write", `writing the tables and plots to ${options.outDir}`);
    written = await writeStudyFiles(options.outDir, options.data, tables, baseline, heterogeneity.plots);
  }
  step("", "");
  return {
    source: options.data ? "data" : "synthetic",
    firms,
    seed,
    reps,
    rows: frame.nrows,
    tables,
    files: written.files,
    plots: written.plots,
    timings: clock.timings,
    totalSeconds: (performance.now() - started) / 1000,
    planted,
  };
}

/** The analysis frame: the user's tables read and built, or the synthetic study panel generated and built. */
async function analysisFrame(options: ReproduceOptions, firms: number | null, seed: number, step: Step): Promise<StudyData> {
  if (options.data) {
    step("data", "reading the firm panel, robot stocks and input–output table");
    const inputs = await loadInputs(options.data);
    step("build", "building DVAR, robot penetration, For/Back and the controls");
    return buildStudyData(inputs);
  }
  step("generate", `generating the synthetic study panel (${firms!.toLocaleString("en-US")} firms)`);
  const panel = generateStudyPanel({ firms: firms!, seed });
  step("build", "building DVAR, robot penetration, For/Back and the controls");
  return buildStudyData(panel);
}

/** The tables in every format, then figure 1 (baseline) and the heterogeneity figures; returns the files (tables, then plots) and the plots. */
async function writeStudyFiles(
  dir: string,
  data: ReproduceData | undefined,
  tables: readonly ReproduceTable[],
  baseline: readonly FeolsResult[],
  figures: readonly StudyPlot[],
): Promise<{ files: string[]; plots: string[] }> {
  const files: string[] = [];
  const plots: string[] = [];
  // No output may replace one of the files the study was read from.
  const inputs = Object.values(data ?? {}).filter((d): d is string => typeof d === "string");
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
  for (const p of figures) {
    plots.push(await writeCoefPlot(p.models, dir, p.basename, { inputs, keep: ["robot"], modelLabels: p.labels, variableLabels: LABELS, title: p.title }));
  }
  files.push(...plots);
  return { files, plots };
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
