/**
 * The industry level of the synthetic study panel (study-panel.ts's module comment gives the
 * model): base-year employment, robot stocks and their foreign counterpart, the input–output
 * flows, and the year effects of DVAR and the mediators. All of it comes from the industry
 * stream, which depends on the seed only, so panels of any size share it; the draws are made
 * in this order: employment, robot densities, flows, the main suppliers, year effects.
 */
import type { Column, Frame } from "../data/frame.js";
import type { Rng } from "../core/random.js";
import { numeric } from "./synthetic.js";
import type { IoMatrix } from "./linkages.js";
import { STUDY_DGP } from "./study-dgp.js";

export interface StudyIndustries {
  /** industry, year, stock, foreign_stock (industries × years rows). */
  readonly robots: Frame;
  /** Base-year industry employment: industry, year, employment. */
  readonly employment: Frame;
  /** The base-year input–output flows, industries 1..14. */
  readonly io: IoMatrix;
  /** Per year (t − first year): DVAR's year effect γ_t, profitability's ζ^P_t and innovation's ζ^I_t. */
  readonly gamma: Float64Array;
  readonly zetaP: Float64Array;
  readonly zetaI: Float64Array;
}

export function drawIndustries(irng: Rng): StudyIndustries {
  const D = STUDY_DGP;
  const nInd = D.industries.length;
  const employmentK = new Float64Array(nInd);
  for (let k = 0; k < nInd; k++) {
    employmentK[k] = Math.round(D.employmentPerWeight * D.industryWeights[k]! * Math.exp(irng.normal(0, D.employmentLogSd)));
  }
  const robots = robotStocks(irng, employmentK);
  const flows = ioFlows(irng);
  const employment: Frame = {
    nrows: nInd,
    columns: new Map<string, Column>([
      ["industry", numeric(Float64Array.from({ length: nInd }, (_, k) => k + 1))],
      ["year", numeric(new Float64Array(nInd).fill(D.baseYear))],
      ["employment", numeric(employmentK)],
    ]),
  };
  const io: IoMatrix = { industries: Array.from({ length: nInd }, (_, k) => k + 1), flows };
  return { robots, employment, io, ...yearEffects(irng) };
}

/** Robot density D_kt per industry and year, and the stocks it gives with the base-year employment. */
function robotStocks(irng: Rng, employmentK: Float64Array): Frame {
  const D = STUDY_DGP;
  const nYears = D.lastYear - D.firstYear + 1;
  const nInd = D.industries.length;
  const robotsIndustry = new Float64Array(nInd * nYears);
  const robotsYear = new Float64Array(nInd * nYears);
  const stock = new Float64Array(nInd * nYears);
  const foreignStock = new Float64Array(nInd * nYears);
  for (let k = 0; k < nInd; k++) {
    const cls = D.industries[k]!.intensity;
    const lvl = D.densityLevel[cls] * Math.exp(irng.normal(0, D.densityLevelLogSd));
    const g = irng.uniform(D.growthMin, D.growthMax) + (cls === "technology" ? D.growthTechExtra : 0);
    let eps = 0;
    for (let t = 0; t < nYears; t++) {
      if (t > 0) eps = D.densityNoiseAr1 * eps + irng.normal(0, D.densityNoiseSd);
      const density = lvl * Math.exp(g * t + eps);
      const cell = k * nYears + t;
      robotsIndustry[cell] = k + 1;
      robotsYear[cell] = D.firstYear + t;
      stock[cell] = Math.max(1, Math.round((density * employmentK[k]!) / 1e4));
      const foreign = density * Math.exp(irng.normal(D.foreignLogMean, D.foreignLogSd));
      foreignStock[cell] = Math.max(1, Math.round((foreign * employmentK[k]!) / 1e4));
    }
  }
  return {
    nrows: nInd * nYears,
    columns: new Map<string, Column>([
      ["industry", numeric(robotsIndustry)],
      ["year", numeric(robotsYear)],
      ["stock", numeric(stock)],
      ["foreign_stock", numeric(foreignStock)],
    ]),
  };
}

/** z_kj = w_k·w_j·exp(N(0, 1)), heavier on the diagonal and for each industry's main suppliers, to 0.01. */
function ioFlows(irng: Rng): number[][] {
  const D = STUDY_DGP;
  const nInd = D.industries.length;
  const flows: number[][] = [];
  for (let k = 0; k < nInd; k++) {
    const row: number[] = [];
    for (let j = 0; j < nInd; j++) row.push(D.industryWeights[k]! * D.industryWeights[j]! * Math.exp(irng.normal(0, D.ioLogSd)));
    flows.push(row);
  }
  for (let j = 0; j < nInd; j++) {
    flows[j]![j]! *= D.ioOwnFactor;
    const others = Array.from({ length: nInd }, (_, k) => k).filter((k) => k !== j);
    irng.shuffle(others);
    for (const k of others.slice(0, D.ioMainSuppliers)) flows[k]![j]! *= D.ioMainFactor;
  }
  for (const row of flows) for (let j = 0; j < nInd; j++) row[j] = Math.round(row[j]! * 100) / 100;
  return flows;
}

function yearEffects(irng: Rng): { gamma: Float64Array; zetaP: Float64Array; zetaI: Float64Array } {
  const D = STUDY_DGP;
  const nYears = D.lastYear - D.firstYear + 1;
  const gamma = new Float64Array(nYears);
  const zetaP = new Float64Array(nYears);
  const zetaI = new Float64Array(nYears);
  for (let t = 0, acc = 0; t < nYears; t++) {
    acc += irng.normal(D.yearTrendMean, D.yearTrendSd);
    gamma[t] = acc;
    zetaP[t] = irng.normal(0, D.profitabilityYearSd);
    zetaI[t] = D.innovationYearStep * t;
  }
  return { gamma, zetaP, zetaI };
}
