/**
 * The study's analysis frame from its raw inputs, the builders run in the order that keeps the
 * measures independent of the DVAR cleaning:
 *
 *   1. robot penetration and its instrument (buildRobotPenetration: medians over the whole panel)
 *   2. For/Back linkages (buildLinkages, from the same industry-year densities)
 *   3. controls and mediators (buildControls: age, ln_age, leverage, debt_nfa, cap_intensity,
 *      hhi, profitability, innovation); tech = 1 where `intensity` is "technology" (when the
 *      panel has an intensity column)
 *   4. DVAR with the cleaning (buildDvar; out-of-range rows dropped by default, as the
 *      literature does), and on the same rows the alternative DVAR without the indirect-content
 *      adjustment (s = 0) as dvar_alt
 *   5. the gap to the year's frontier (gap) and to the industry-year's (gap_industry)
 *
 * The synthetic study panel plants its effects on exactly this frame (planted.ts).
 */
import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { numericColumn, withColumns } from "./columns.js";
import { buildDvar, type DvarCleaning } from "./dvar.js";
import { buildRobotPenetration, type PenetrationResult } from "./robots.js";
import { buildLinkages, type IoMatrix } from "./linkages.js";
import { buildControls, type ControlsResult } from "./controls.js";
import { gapToFrontier } from "./controls.js";

export interface StudyInputs {
  /** The firm panel with its raw columns (see generateStudyPanel's `panel`). */
  readonly panel: DataInput;
  /** industry, year, stock, foreign_stock. */
  readonly robots: DataInput;
  /** Base-year industry employment: industry, employment (and year). */
  readonly employment: DataInput;
  readonly io: IoMatrix;
}

export interface StudyDataOptions {
  /** Base year of the robot-density denominator (default: the robot table's first year). */
  readonly baseYear?: number;
  /** Robot density per `per` workers (default 10,000). */
  readonly per?: number;
  /** DVAR parameters (defaults 0.05 and 0.0417). */
  readonly s?: number;
  readonly c?: number;
  /** DVAR outside [0, 1]: "drop" (default here) or "keep". */
  readonly outOfRange?: "keep" | "drop";
  /** Add dvar_alt, the DVAR with s = 0 (default true). */
  readonly alternative?: boolean;
}

export interface StudyData {
  /** The cleaned firm-years with every raw column and every built one. */
  readonly frame: Frame;
  readonly cleaning: DvarCleaning;
  /** Rows of dvar_alt outside [0, 1] (kept: the rows are those of dvar's cleaning). */
  readonly alternativeOutOfRange: number;
  readonly penetration: Omit<PenetrationResult, "frame">;
  /** Industry-year robot density with For and Back (industry, year, robot_density, robot_for, robot_back). */
  readonly industryYear: Frame;
  readonly unmatchedLinkages: number;
  readonly invalidControls: ControlsResult["invalid"];
}

/** Runs the builders over the raw inputs (module comment). */
export function buildStudyData(inputs: StudyInputs, options: StudyDataOptions = {}): StudyData {
  const panel = toFrame(inputs.panel);
  const { frame: withRobots, ...penetration } = buildRobotPenetration(panel, inputs.robots, inputs.employment, {
    baseYear: options.baseYear,
    per: options.per,
  });
  const linked = buildLinkages(withRobots, penetration.density, inputs.io);
  const controls = buildControls(linked.frame);
  let frame = controls.frame;
  const intensity = frame.columns.get("intensity");
  if (intensity?.kind === "categorical") {
    const techCode = intensity.levels.indexOf("technology");
    const tech = new Float64Array(frame.nrows);
    for (let r = 0; r < frame.nrows; r++) tech[r] = intensity.codes[r]! < 0 ? NaN : intensity.codes[r] === techCode ? 1 : 0;
    frame = withColumns(frame, [["tech", numericColumn(tech)]]);
  }
  const dvar = buildDvar(frame, { s: options.s, c: options.c, outOfRange: options.outOfRange ?? "drop" });
  frame = dvar.frame;
  let alternativeOutOfRange = 0;
  if (options.alternative ?? true) {
    const alt = buildDvar(frame, { s: 0, c: options.c, outOfRange: "keep", name: "dvar_alt" });
    alternativeOutOfRange = alt.cleaning.outOfRange;
    frame = alt.frame;
  }
  frame = gapToFrontier(frame, { value: "dvar", by: "year", name: "gap" });
  frame = gapToFrontier(frame, { value: "dvar", by: ["industry", "year"], name: "gap_industry" });
  const industryYear = joinDensity(penetration.density, linked.industryYear);
  return {
    frame,
    cleaning: dvar.cleaning,
    alternativeOutOfRange,
    penetration,
    industryYear,
    unmatchedLinkages: linked.unmatched,
    invalidControls: controls.invalid,
  };
}

/** The density table with the linkage columns (both have one row per robot-table row, in order). */
function joinDensity(density: Frame, linkages: Frame): Frame {
  const added: [string, Column][] = [];
  for (const name of ["robot_for", "robot_back"]) added.push([name, linkages.columns.get(name)!]);
  return withColumns(density, added);
}
