/**
 * The synthetic study panel: Chinese manufacturing exporters 2000–2013 with the raw columns the
 * study's builders take (trade components, balance-sheet items, production-worker shares), a
 * robot-stock table for 14 industries, base-year industry employment and an input–output
 * matrix — with the effects of STUDY_PLANTED (planted.ts) planted on the DVAR the builders
 * compute. Seeded ({@link Rng}) and deterministic for a seed; the real data are not public.
 * Two streams: the industry level (employment, robot stocks, input–output flows, year effects)
 * depends on the seed only, so panels of any size share it; the firms have their own stream.
 *
 * ## Structure
 * Firms as in the firm-year panel of synthetic.ts ({@link drawFirms}): industry 1..14 (weights
 * 12,10,9,8,8,7,7,7,6,6,6,5,5,4), region east/central/west (0.92/0.055/0.025), SOE w.p. 0.05,
 * entry 2000..2013 (weights rising 1→2), life 1 + Geom(0.14), opening year entry − 1 − Geom(0.08):
 * an unbalanced panel of about 4.07 rows per firm. Industries are labour-, capital- or
 * technology-intensive (STUDY_DGP.industries). Trade regime per firm: pure processing (20%),
 * mixed (25%) or ordinary (55%).
 *
 * Industry k: base-year (2000) employment L_k = 400,000 · weight_k · exp(N(0, 0.2²)); robot
 * density (robots per 10,000 workers) D_kt = lvl_k · exp(g_k·(t − 2000) + ε_kt), lvl_k =
 * level(class) · exp(N(0, 0.3²)) with level 0.6/0.9/1.2 for labour/capital/technology, g_k ~
 * U(0.10, 0.22) (+0.02 technology), ε_kt AR(1) with ρ = 0.5 and N(0, 0.25²) shocks (ε_k,2000 = 0);
 * stock_kt = round(D_kt · L_k / 10⁴), foreign_stock_kt = round(D_kt · exp(N(0.8, 0.15²)) · L_k / 10⁴).
 * Input–output flows z_kj = w_k·w_j·exp(N(0, 1)) (w = industry weights), ×5 on the diagonal and
 * ×20 for two randomly chosen main suppliers of each industry, rounded to 0.01.
 *
 * Firm-year: production-worker share ps_it = plogis(0.7 + ln w0_i + a random walk with N(0, 0.3²)
 * steps); employees, assets, net fixed assets (a firm share τ_i ~ U(0.2, 0.5) of assets),
 * liabilities, sales and cost from lognormal firm sizes, independent of robots. The builders
 * then give robot, robot_for, robot_back, ln_age, leverage and cap_intensity exactly as
 * `buildStudyData` will, and
 *   profitability = 0.04 + η^P_i + ζ^P_t + a_P·robot + N(0, 0.03²),  profit = profitability·cost
 *   innovation    = 4 + η^I_i + 0.03·(t − 2000) + a_I·robot + N(0, 0.4²) (redrawn if < 0),
 *                   rd = exp(innovation) − 1
 *   dvar* = the planted equation of planted.ts with intercept 0.5, year effects a random walk
 *           with N(0.004, 0.003²) steps, u AR(1) with ρ = 0.5 and N(0, 0.045²) shocks (×1.3 for
 *           SOEs), and firm effect α_i = N(0, 0.05²) + regime (−0.15 processing, −0.07 mixed)
 *           + class (+0.03 labour, −0.02 technology) − 0.01·ln w0_i (so that firm effects and
 *           robot exposure correlate) − c·τ_i/(e_i·turnover_i) (the firm's typical capital term)
 *           − the firm's excess over its ceiling (below).
 *
 * ## How the built DVAR carries the planted effects
 * The planted equation gives the target dvar* first; the trade components are then drawn around
 * it and one of them backed out so that the DVAR formula (dvar.ts) returns dvar* exactly (up to
 * rounding in the last bits). With exports X = e_i·sales (export intensity e_i ∈ [0.25, 1]),
 * domestic sales D = sales − X, ordinary exports X^O (0, a firm share, or X by regime), domestic
 * intermediates H = h_i·sales and ordinary imports M^O = m_i·(D + X^O), the formula reads
 *   FVA = M^P + m_i·X^O + s·(m_i·D + H) + c·NFA,   M^T = M^P + M^O + H,
 * so for processing and mixed firms M^P = (1 − dvar*)·X − m_i·X^O − s·(m_i·D + H) − c·NFA, and
 * for ordinary firms (M^P = 0) m_i = ((1 − dvar*)·X − s·H − c·NFA)/(X + s·D). Where that would
 * leave less than 10% of the foreign content to M^P (m_i·X^O + s·(m_i·D + H) > 0.9·((1 − dvar*)·X
 * − c·NFA)), m_i and H are scaled down — they enter nothing but the DVAR.
 *
 * This needs 0 < dvar* < 1 − c·NFA/X (the ceiling; 0.02 and 0.01 of margin are kept). A firm whose
 * planted path (dvar* without u) comes within 0.15 of its ceiling in some year is shifted down as
 * a whole by the excess — a firm effect, which the firm fixed effects absorb (`lowered` counts
 * them, about 0.3–0.5% of firms). A firm-year whose shock still breaks the bounds draws it again
 * (`redrawn`; a handful per 100k firms, too few to move an estimate).
 *
 * ## Data as the cleaning meets it
 * 3% of firm-years export nothing (X = 0) and 0.1% have negative exports (dropped by the
 * cleaning, at random); 0.5% have a spurious processing-import record of (1 + U(0,1))·X/(1 − s)
 * (DVAR < 0 under either s; dropped as out of range, at random). Then liabilities and R&D are
 * each missing (NaN) w.p. 0.02, after dvar* used them. None of this depends on the regressors,
 * so the cleaning does not bias the recovery.
 */
import type { CategoricalColumn, Column, Frame } from "../data/frame.js";
import { Rng, categoricalSampler } from "../core/random.js";
import { checkCount, drawFirms, fillNormal, numeric } from "./synthetic.js";
import { DVAR_DEFAULTS } from "./dvar.js";
import { buildRobotPenetration } from "./robots.js";
import { buildLinkages, type IoMatrix } from "./linkages.js";
import { buildControls } from "./controls.js";
import { STUDY_PLANTED, plantedEffects, type PlantedEffect, type StudyPlanted } from "./planted.js";

export type FactorIntensity = "labour" | "capital" | "technology";

/** The generator's other parameters (the module comment gives the model). */
export const STUDY_DGP = {
  firstYear: 2000,
  lastYear: 2013,
  industryWeights: [12, 10, 9, 8, 8, 7, 7, 7, 6, 6, 6, 5, 5, 4],
  /** Industries 1..14 (IFR-style groups) and their factor intensity. */
  industries: [
    { name: "Food and beverages", intensity: "labour" },
    { name: "Textiles and apparel", intensity: "labour" },
    { name: "Wood and furniture", intensity: "labour" },
    { name: "Paper and printing", intensity: "labour" },
    { name: "Plastics and rubber", intensity: "capital" },
    { name: "Chemicals", intensity: "capital" },
    { name: "Non-metallic minerals", intensity: "capital" },
    { name: "Basic metals", intensity: "capital" },
    { name: "Metal products", intensity: "capital" },
    { name: "Industrial machinery", intensity: "technology" },
    { name: "Electrical and electronics", intensity: "technology" },
    { name: "Automotive", intensity: "technology" },
    { name: "Other transport equipment", intensity: "technology" },
    { name: "Other manufacturing", intensity: "labour" },
  ] as readonly { readonly name: string; readonly intensity: FactorIntensity }[],
  intensityLevels: ["labour", "capital", "technology"] as readonly FactorIntensity[],
  regionLevels: ["east", "central", "west"],
  regionProbs: [0.92, 0.055, 0.025],
  soeProb: 0.05,
  lifeGeomP: 0.14,
  openGeomP: 0.08,
  firmEffectSd: 0.05,
  w0LogSd: 0.5,
  baseYear: 2000,
  employmentPerWeight: 400_000,
  employmentLogSd: 0.2,
  densityLevel: { labour: 0.6, capital: 0.9, technology: 1.2 },
  densityLevelLogSd: 0.3,
  growthMin: 0.1,
  growthMax: 0.22,
  growthTechExtra: 0.02,
  densityNoiseSd: 0.25,
  densityNoiseAr1: 0.5,
  foreignLogMean: 0.8,
  foreignLogSd: 0.15,
  ioLogSd: 1,
  ioOwnFactor: 5,
  ioMainSuppliers: 2,
  ioMainFactor: 20,
  yearTrendMean: 0.004,
  yearTrendSd: 0.003,
  dvarIntercept: 0.5,
  /** Trade regimes: pure processing, mixed, ordinary. */
  regimeProbs: [0.2, 0.25, 0.55],
  regimeShift: [-0.15, -0.07, 0],
  intensityShift: { labour: 0.03, capital: 0, technology: -0.02 },
  /** Firm effect loading on ln w0 (the firm's production-worker share, hence robot exposure). */
  exposureShift: -0.01,
  errorAr1: 0.5,
  errorSd: 0.045,
  errorSdSoeExtra: 0.3,
  prodShareLogit: 0.7,
  prodShareStepSd: 0.3,
  profitabilityBase: 0.04,
  profitabilityFirmSd: 0.03,
  profitabilityYearSd: 0.005,
  profitabilitySd: 0.03,
  innovationBase: 4,
  innovationFirmSd: 0.8,
  innovationYearStep: 0.03,
  innovationSd: 0.4,
  exportIntensityMin: 0.25,
  dvarMin: 0.02,
  dvarMargin: 0.01,
  /** A firm whose planted path comes within this of its feasible ceiling is shifted down (firm effect). */
  dvarHeadroom: 0.15,
  noExportShare: 0.03,
  negativeExportShare: 0.001,
  garbledShare: 0.005,
  missingShare: 0.02,
} as const;

export const STUDY_DEFAULT_SEED = 1;

export interface StudyPanelOptions {
  /** Number of firms (default 100,000: about 407,000 firm-years). */
  readonly firms?: number;
  /** Seed (default {@link STUDY_DEFAULT_SEED}). */
  readonly seed?: number;
}

export interface StudyPanel {
  /**
   * Raw firm-years, sorted by firm and year: firm_id, year, industry (1..14), region (east,
   * central, west), soe (0/1), intensity (labour, capital, technology), open_year, employees,
   * prod_share, assets, net_fixed_assets, liabilities, cost, profit, rd, exports,
   * exports_ordinary, domestic_sales, imports_processing, imports_ordinary, inputs_total.
   * No DVAR, robot or control columns: the builders make those.
   */
  readonly panel: Frame;
  /** industry, year, stock, foreign_stock (14 × 14 rows). */
  readonly robots: Frame;
  /** Base-year industry employment: industry, year (2000), employment. */
  readonly employment: Frame;
  /** The base-year input–output flows, industries 1..14. */
  readonly io: IoMatrix;
  readonly planted: {
    readonly parameters: StudyPlanted;
    readonly effects: readonly PlantedEffect[];
  };
  /** Firms shifted down to keep their DVAR feasible (module comment). */
  readonly lowered: number;
  /** Firm-years whose error shock was drawn again to keep the DVAR feasible (module comment). */
  readonly redrawn: number;
}

function plogis(x: number): number {
  return 1 / (1 + Math.exp(-x));
}

/** The synthetic study panel (module comment). */
export function generateStudyPanel(options: StudyPanelOptions = {}): StudyPanel {
  const nf = options.firms ?? 100_000;
  const seed = options.seed ?? STUDY_DEFAULT_SEED;
  checkCount("firms", nf, 1);
  const D = STUDY_DGP;
  const P = STUDY_PLANTED;
  // Two streams: the industry level (employment, robot stocks, input–output flows, year effects)
  // depends on the seed only, so panels of any size share it; the firms have their own.
  const irng = new Rng(seed);
  const rng = new Rng(seed + 0x5eed0000);
  const Y0 = D.firstYear;
  const nYears = D.lastYear - D.firstYear + 1;
  const nInd = D.industries.length;
  const s = DVAR_DEFAULTS.s;
  const cCap = DVAR_DEFAULTS.c;

  // ---- firms
  const firms = drawFirms(rng, nf, D);
  const nrows = firms.rows;
  const regime = new Int32Array(nf);
  const drawRegime = categoricalSampler(rng, D.regimeProbs);
  for (let i = 0; i < nf; i++) regime[i] = drawRegime();
  const exportIntensity = new Float64Array(nf);
  const ordinaryShare = new Float64Array(nf);
  const domesticInputs = new Float64Array(nf);
  const ordinaryImports = new Float64Array(nf);
  const size = new Float64Array(nf);
  const capital = new Float64Array(nf);
  const nfaShare = new Float64Array(nf);
  const leverageMean = new Float64Array(nf);
  const turnover = new Float64Array(nf);
  const etaP = new Float64Array(nf);
  const etaI = new Float64Array(nf);
  const intensityMean = [1.5, 0.5, -0.3];
  for (let i = 0; i < nf; i++) {
    const g = regime[i]!;
    exportIntensity[i] = Math.max(D.exportIntensityMin, plogis(rng.normal(intensityMean[g]!, 0.8)));
    ordinaryShare[i] = g === 0 ? 0 : g === 1 ? rng.uniform(0.2, 0.8) : 1;
    domesticInputs[i] = rng.uniform(0.1, 0.35);
    ordinaryImports[i] = rng.uniform(0.02, 0.25);
    size[i] = rng.normal(0, 1);
    capital[i] = rng.normal(0, 0.5);
    nfaShare[i] = rng.uniform(0.2, 0.5);
    leverageMean[i] = rng.normal(0.2, 0.6);
    turnover[i] = rng.normal(0, 0.3);
    etaP[i] = rng.normal(0, D.profitabilityFirmSd);
    etaI[i] = rng.normal(0, D.innovationFirmSd);
  }

  // ---- industries: employment, robot stocks, input-output flows; year effects
  const employmentK = new Float64Array(nInd);
  const robotsIndustry = new Float64Array(nInd * nYears);
  const robotsYear = new Float64Array(nInd * nYears);
  const stock = new Float64Array(nInd * nYears);
  const foreignStock = new Float64Array(nInd * nYears);
  for (let k = 0; k < nInd; k++) {
    employmentK[k] = Math.round(D.employmentPerWeight * D.industryWeights[k]! * Math.exp(irng.normal(0, D.employmentLogSd)));
  }
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
      robotsYear[cell] = Y0 + t;
      stock[cell] = Math.max(1, Math.round((density * employmentK[k]!) / 1e4));
      const foreign = density * Math.exp(irng.normal(D.foreignLogMean, D.foreignLogSd));
      foreignStock[cell] = Math.max(1, Math.round((foreign * employmentK[k]!) / 1e4));
    }
  }
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
  const gamma = new Float64Array(nYears);
  const zetaP = new Float64Array(nYears);
  const zetaI = new Float64Array(nYears);
  for (let t = 0, acc = 0; t < nYears; t++) {
    acc += irng.normal(D.yearTrendMean, D.yearTrendSd);
    gamma[t] = acc;
    zetaP[t] = irng.normal(0, D.profitabilityYearSd);
    zetaI[t] = D.innovationYearStep * t;
  }

  // ---- firm-year skeleton and balance sheet
  const firmId = new Float64Array(nrows);
  const year = new Float64Array(nrows);
  const industry = new Float64Array(nrows);
  const region = new Int32Array(nrows);
  const soe = new Float64Array(nrows);
  const intensity = new Int32Array(nrows);
  const openYear = new Float64Array(nrows);
  const firstRow = new Int32Array(nf + 1);
  const classCode = D.industries.map((ind) => D.intensityLevels.indexOf(ind.intensity));
  {
    let r = 0;
    for (let i = 0; i < nf; i++) {
      firstRow[i] = r;
      for (let y = firms.entry[i]!; y <= firms.exit[i]!; y++, r++) {
        firmId[r] = i + 1;
        year[r] = y;
        industry[r] = firms.industry[i]!;
        region[r] = firms.region[i]!;
        soe[r] = firms.soe[i]!;
        intensity[r] = classCode[firms.industry[i]! - 1]!;
        openYear[r] = firms.open[i]!;
      }
    }
    firstRow[nf] = r;
  }
  const prodShare = new Float64Array(nrows);
  fillNormal(rng, prodShare, 0, D.prodShareStepSd);
  for (let i = 0; i < nf; i++) {
    let logit = D.prodShareLogit + Math.log(firms.w0[i]!);
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      if (r > firstRow[i]!) logit += prodShare[r]!;
      prodShare[r] = plogis(logit);
    }
  }
  const employees = new Float64Array(nrows);
  const assets = new Float64Array(nrows);
  const nfa = new Float64Array(nrows);
  const liabilities = new Float64Array(nrows);
  const sales = new Float64Array(nrows);
  const cost = new Float64Array(nrows);
  for (let i = 0; i < nf; i++) {
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      employees[r] = Math.max(8, Math.round(Math.exp(5 + size[i]! + rng.normal(0, 0.1))));
      assets[r] = employees[r]! * Math.exp(5.3 + capital[i]! + rng.normal(0, 0.15));
      nfa[r] = assets[r]! * nfaShare[i]! * Math.exp(rng.normal(0, 0.1));
      liabilities[r] = assets[r]! * plogis(leverageMean[i]! + rng.normal(0, 0.2));
      sales[r] = assets[r]! * Math.exp(turnover[i]! + rng.normal(0, 0.15));
      cost[r] = sales[r]! * plogis(rng.normal(1.8, 0.2));
    }
  }
  const regionCol: CategoricalColumn = { kind: "categorical", codes: region, levels: [...D.regionLevels] };
  const intensityCol: CategoricalColumn = { kind: "categorical", codes: intensity, levels: [...D.intensityLevels] };

  // ---- robot tables and the builders' measures, exactly as buildStudyData will make them
  const robots: Frame = {
    nrows: nInd * nYears,
    columns: new Map<string, Column>([
      ["industry", numeric(robotsIndustry)],
      ["year", numeric(robotsYear)],
      ["stock", numeric(stock)],
      ["foreign_stock", numeric(foreignStock)],
    ]),
  };
  const employment: Frame = {
    nrows: nInd,
    columns: new Map<string, Column>([
      ["industry", numeric(Float64Array.from({ length: nInd }, (_, k) => k + 1))],
      ["year", numeric(new Float64Array(nInd).fill(D.baseYear))],
      ["employment", numeric(employmentK)],
    ]),
  };
  const io: IoMatrix = { industries: Array.from({ length: nInd }, (_, k) => k + 1), flows };
  const base: Frame = {
    nrows,
    columns: new Map<string, Column>([
      ["firm_id", numeric(firmId)],
      ["year", numeric(year)],
      ["industry", numeric(industry)],
      ["open_year", numeric(openYear)],
      ["employees", numeric(employees)],
      ["prod_share", numeric(prodShare)],
      ["assets", numeric(assets)],
      ["net_fixed_assets", numeric(nfa)],
      ["liabilities", numeric(liabilities)],
    ]),
  };
  const penetration = buildRobotPenetration(base, robots, employment, { baseYear: D.baseYear, instrument: false });
  const linked = buildLinkages(penetration.frame, penetration.density, io).frame;
  const measured = buildControls(linked, { measures: ["ln_age", "leverage", "cap_intensity"] }).frame;
  const col = (name: string) => (measured.columns.get(name) as { values: Float64Array }).values;
  const robot = col("robot");
  const forward = col("robot_for");
  const backward = col("robot_back");
  const lnAge = col("ln_age");
  const leverage = col("leverage");
  const capIntensity = col("cap_intensity");

  // ---- mediators
  const profitability = new Float64Array(nrows);
  const innovation = new Float64Array(nrows);
  for (let i = 0; i < nf; i++) {
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      const t = year[r]! - Y0;
      profitability[r] = D.profitabilityBase + etaP[i]! + zetaP[t]! + P.robotProfitability * robot[r]! + rng.normal(0, D.profitabilitySd);
      const mean = D.innovationBase + etaI[i]! + zetaI[t]! + P.robotInnovation * robot[r]!;
      let v = mean + rng.normal(0, D.innovationSd);
      for (let tries = 0; v < 0 && tries < 1000; tries++) v = mean + rng.normal(0, D.innovationSd);
      innovation[r] = Math.max(v, 0);
    }
  }

  // ---- target DVAR from the planted equation, then the trade components that give it back
  const exportsX = new Float64Array(nrows);
  const exportsOrd = new Float64Array(nrows);
  const domestic = new Float64Array(nrows);
  const impProc = new Float64Array(nrows);
  const impOrd = new Float64Array(nrows);
  const inputsTotal = new Float64Array(nrows);
  const systematic = new Float64Array(nrows);
  const upper = new Float64Array(nrows);
  let redrawn = 0;
  let lowered = 0;
  for (let i = 0; i < nf; i++) {
    const ind = firms.industry[i]! - 1;
    const cls = D.industries[ind]!.intensity;
    const tech = cls === "technology" ? 1 : 0;
    const robotCoef = P.direct + P.directSoe * firms.soe[i]! + P.directTech * tech;
    const e = exportIntensity[i]!;
    const alpha =
      D.dvarIntercept + firms.alpha[i]! + D.regimeShift[regime[i]!]! + D.intensityShift[cls] + D.exposureShift * Math.log(firms.w0[i]!) -
      (cCap * nfaShare[i]!) / (e * Math.exp(turnover[i]!));
    // The firm's planted path, and how far it comes to its feasible ceiling (the DVAR formula
    // needs dvar < 1 − c·NFA/X): a firm whose path comes closer than the headroom starts lower.
    let excess = -Infinity;
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      const t = year[r]! - Y0;
      const sys =
        alpha + gamma[t]! + robotCoef * robot[r]! + P.profitabilityDvar * profitability[r]! + P.innovationDvar * innovation[r]! +
        P.forward * forward[r]! + P.backward * backward[r]! + P.lnAge * lnAge[r]! + P.leverage * leverage[r]! +
        P.capIntensity * capIntensity[r]!;
      systematic[r] = sys;
      upper[r] = 1 - (cCap * nfa[r]!) / (e * sales[r]!) - D.dvarMargin;
      excess = Math.max(excess, sys - (upper[r]! - D.dvarHeadroom));
    }
    if (excess > 0) {
      lowered++;
      for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) systematic[r] = systematic[r]! - excess;
    }
  }
  for (let i = 0; i < nf; i++) {
    const sd = D.errorSd * (1 + D.errorSdSoeExtra * firms.soe[i]!);
    const e = exportIntensity[i]!;
    let u = 0;
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      const x = e * sales[r]!;
      const hi = upper[r]!;
      const sys = systematic[r]!;
      let shock = rng.normal(0, sd);
      let target = sys + D.errorAr1 * u + shock;
      if (!(target >= D.dvarMin && target <= hi)) {
        redrawn++;
        for (let tries = 0; tries < 1000 && !(target >= D.dvarMin && target <= hi); tries++) {
          shock = rng.normal(0, sd);
          target = sys + D.errorAr1 * u + shock;
        }
        if (!(target >= D.dvarMin && target <= hi)) target = Math.min(Math.max(target, D.dvarMin), hi);
      }
      u = target - sys;
      // trade components
      const xo = ordinaryShare[i]! * x;
      const d = sales[r]! - x;
      let m = ordinaryImports[i]!;
      let h = domesticInputs[i]! * sales[r]!;
      const available = (1 - target) * x - cCap * nfa[r]!; // foreign content besides capital
      let mp: number;
      if (regime[i] === 2) {
        // ordinary exporter: no processing imports; ordinary imports carry the foreign content
        if (s * h > 0.9 * available) h = (0.9 * available) / s;
        m = (available - s * h) / (x + s * d);
        mp = 0;
      } else {
        const other = m * xo + s * (m * d + h);
        if (other > 0.9 * available) {
          const scale = (0.9 * available) / other;
          m *= scale;
          h *= scale;
        }
        mp = available - m * xo - s * (m * d + h);
      }
      const mo = m * (d + xo);
      exportsX[r] = x;
      exportsOrd[r] = xo;
      domestic[r] = d;
      impProc[r] = mp;
      impOrd[r] = mo;
      inputsTotal[r] = mp + mo + h;
    }
  }

  // ---- what the cleaning meets: no exports, negative exports, garbled import records, missing
  for (let r = 0; r < nrows; r++) {
    const v = rng.uniform();
    if (v < D.noExportShare) {
      // a year without exports: everything is sold at home, and there are no processing imports
      inputsTotal[r] = inputsTotal[r]! - impProc[r]!;
      domestic[r] = domestic[r]! + exportsX[r]!;
      exportsX[r] = 0;
      exportsOrd[r] = 0;
      impProc[r] = 0;
    } else if (v < D.noExportShare + D.negativeExportShare) {
      exportsX[r] = -exportsX[r]!;
    } else if (v < D.noExportShare + D.negativeExportShare + D.garbledShare) {
      impProc[r] = impProc[r]! + ((1 + rng.uniform()) * exportsX[r]!) / (1 - s);
    }
  }
  for (let r = 0; r < nrows; r++) if (rng.uniform() < D.missingShare) liabilities[r] = NaN;
  const profit = new Float64Array(nrows);
  const rd = new Float64Array(nrows);
  for (let r = 0; r < nrows; r++) {
    profit[r] = profitability[r]! * cost[r]!;
    rd[r] = Math.expm1(innovation[r]!);
  }
  for (let r = 0; r < nrows; r++) if (rng.uniform() < D.missingShare) rd[r] = NaN;

  const panel: Frame = {
    nrows,
    columns: new Map<string, Column>([
      ["firm_id", numeric(firmId)],
      ["year", numeric(year)],
      ["industry", numeric(industry)],
      ["region", regionCol],
      ["soe", numeric(soe)],
      ["intensity", intensityCol],
      ["open_year", numeric(openYear)],
      ["employees", numeric(employees)],
      ["prod_share", numeric(prodShare)],
      ["assets", numeric(assets)],
      ["net_fixed_assets", numeric(nfa)],
      ["liabilities", numeric(liabilities)],
      ["cost", numeric(cost)],
      ["profit", numeric(profit)],
      ["rd", numeric(rd)],
      ["exports", numeric(exportsX)],
      ["exports_ordinary", numeric(exportsOrd)],
      ["domestic_sales", numeric(domestic)],
      ["imports_processing", numeric(impProc)],
      ["imports_ordinary", numeric(impOrd)],
      ["inputs_total", numeric(inputsTotal)],
    ]),
  };
  return { panel, robots, employment, io, planted: { parameters: P, effects: plantedEffects(P) }, lowered, redrawn };
}
