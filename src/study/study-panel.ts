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
import { checkCount, drawFirms, fillNormal, firmYearRows, numeric, type FirmDraws, type FirmYearRows } from "./synthetic.js";
import { DVAR_DEFAULTS } from "./dvar.js";
import { buildRobotPenetration } from "./robots.js";
import { buildLinkages, type IoMatrix } from "./linkages.js";
import { buildControls } from "./controls.js";
import { STUDY_PLANTED, plantedEffects, type PlantedEffect, type StudyPlanted } from "./planted.js";
import { STUDY_DGP } from "./study-dgp.js";
import { drawIndustries, type StudyIndustries } from "./study-industries.js";
import { dvarTargets, tradeComponents, type FirmTraits, type PlantedRegressors, type TradeComponents } from "./study-trade.js";

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
  // Two streams: the industry level (employment, robot stocks, input–output flows, year effects)
  // depends on the seed only, so panels of any size share it; the firms have their own.
  const irng = new Rng(seed);
  const rng = new Rng(seed + 0x5eed0000);
  const firms = drawFirms(rng, nf, STUDY_DGP);
  const traits = drawTraits(rng, nf);
  const industries = drawIndustries(irng);
  const rows = studyRows(firms);
  const prodShare = productionShares(rng, firms, rows);
  const sheet = balanceSheets(rng, traits, rows);
  // The raw columns as the builders read them; the trade components join once dvar* is drawn.
  const raw = new Map<string, Column>([
    ["firm_id", numeric(rows.firmId)],
    ["year", numeric(rows.year)],
    ["industry", numeric(rows.industry)],
    ["region", { kind: "categorical", codes: rows.region, levels: [...STUDY_DGP.regionLevels] }],
    ["soe", numeric(rows.soe)],
    ["intensity", rows.intensity],
    ["open_year", numeric(rows.openYear)],
    ["employees", numeric(sheet.employees)],
    ["prod_share", numeric(prodShare)],
    ["assets", numeric(sheet.assets)],
    ["net_fixed_assets", numeric(sheet.nfa)],
    ["liabilities", numeric(sheet.liabilities)],
    ["cost", numeric(sheet.cost)],
  ]);
  const measured = builtMeasures({ nrows: rows.nrows, columns: raw }, industries);
  const regressors = { ...measured, ...drawMediators(rng, traits, rows, industries, measured.robot) };
  const targets = dvarTargets(firms, traits, rows, industries.gamma, regressors, sheet.nfa, sheet.sales);
  const trade = tradeComponents(rng, firms, traits, rows, targets, sheet.nfa, sheet.sales);
  const { profit, rd } = asTheCleaningMeetsThem(rng, trade, sheet, regressors);
  const added: [string, Float64Array][] = [
    ["profit", profit],
    ["rd", rd],
    ["exports", trade.exports],
    ["exports_ordinary", trade.exportsOrdinary],
    ["domestic_sales", trade.domestic],
    ["imports_processing", trade.importsProcessing],
    ["imports_ordinary", trade.importsOrdinary],
    ["inputs_total", trade.inputsTotal],
  ];
  for (const [name, values] of added) raw.set(name, numeric(values));
  const panel: Frame = { nrows: rows.nrows, columns: raw };
  const { robots, employment, io } = industries;
  const P = STUDY_PLANTED;
  return { panel, robots, employment, io, planted: { parameters: P, effects: plantedEffects(P) }, lowered: targets.lowered, redrawn: trade.redrawn };
}

/** The trade regime of every firm, then per firm the draws its balance sheet and DVAR are made from. */
function drawTraits(rng: Rng, nf: number): FirmTraits {
  const D = STUDY_DGP;
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
  return { regime, exportIntensity, ordinaryShare, domesticInputs, ordinaryImports, size, capital, nfaShare, leverageMean, turnover, etaP, etaI };
}

interface StudyRows extends FirmYearRows {
  readonly intensity: CategoricalColumn;
}

/** The firm-year rows with the industry's factor intensity. */
function studyRows(firms: FirmDraws): StudyRows {
  const D = STUDY_DGP;
  const rows = firmYearRows(firms);
  const classCode = D.industries.map((ind) => D.intensityLevels.indexOf(ind.intensity));
  const intensity = Int32Array.from(rows.industry, (k) => classCode[k - 1]!);
  return { ...rows, intensity: { kind: "categorical", codes: intensity, levels: [...D.intensityLevels] } };
}

/** ps_it = plogis(logit + ln w0_i + a random walk within the firm). */
function productionShares(rng: Rng, firms: FirmDraws, rows: FirmYearRows): Float64Array {
  const D = STUDY_DGP;
  const { firstRow } = rows;
  const prodShare = new Float64Array(rows.nrows);
  fillNormal(rng, prodShare, 0, D.prodShareStepSd);
  for (let i = 0; i < firms.industry.length; i++) {
    let logit = D.prodShareLogit + Math.log(firms.w0[i]!);
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      if (r > firstRow[i]!) logit += prodShare[r]!;
      prodShare[r] = plogis(logit);
    }
  }
  return prodShare;
}

interface BalanceSheets {
  readonly employees: Float64Array;
  readonly assets: Float64Array;
  readonly nfa: Float64Array;
  readonly liabilities: Float64Array;
  readonly sales: Float64Array;
  readonly cost: Float64Array;
}

/** Employees, assets, net fixed assets, liabilities, sales and cost from lognormal firm sizes. */
function balanceSheets(rng: Rng, traits: FirmTraits, rows: FirmYearRows): BalanceSheets {
  const { nrows, firstRow } = rows;
  const employees = new Float64Array(nrows);
  const assets = new Float64Array(nrows);
  const nfa = new Float64Array(nrows);
  const liabilities = new Float64Array(nrows);
  const sales = new Float64Array(nrows);
  const cost = new Float64Array(nrows);
  for (let i = 0; i + 1 < firstRow.length; i++) {
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      employees[r] = Math.max(8, Math.round(Math.exp(5 + traits.size[i]! + rng.normal(0, 0.1))));
      assets[r] = employees[r]! * Math.exp(5.3 + traits.capital[i]! + rng.normal(0, 0.15));
      nfa[r] = assets[r]! * traits.nfaShare[i]! * Math.exp(rng.normal(0, 0.1));
      liabilities[r] = assets[r]! * plogis(traits.leverageMean[i]! + rng.normal(0, 0.2));
      sales[r] = assets[r]! * Math.exp(traits.turnover[i]! + rng.normal(0, 0.15));
      cost[r] = sales[r]! * plogis(rng.normal(1.8, 0.2));
    }
  }
  return { employees, assets, nfa, liabilities, sales, cost };
}

type BuiltMeasures = Omit<PlantedRegressors, "profitability" | "innovation">;

/** robot, robot_for, robot_back and the controls exactly as buildStudyData will make them from the raw columns. */
function builtMeasures(base: Frame, industries: StudyIndustries): BuiltMeasures {
  const penetration = buildRobotPenetration(base, industries.robots, industries.employment, { baseYear: STUDY_DGP.baseYear, instrument: false });
  const linked = buildLinkages(penetration.frame, penetration.density, industries.io).frame;
  const measured = buildControls(linked, { measures: ["ln_age", "leverage", "cap_intensity"] }).frame;
  const col = (name: string) => (measured.columns.get(name) as { values: Float64Array }).values;
  return {
    robot: col("robot"),
    forward: col("robot_for"),
    backward: col("robot_back"),
    lnAge: col("ln_age"),
    leverage: col("leverage"),
    capIntensity: col("cap_intensity"),
  };
}

/** profitability and innovation with their planted robot effects (innovation drawn again while negative). */
function drawMediators(rng: Rng, traits: FirmTraits, rows: FirmYearRows, industries: StudyIndustries, robot: Float64Array): { profitability: Float64Array; innovation: Float64Array } {
  const D = STUDY_DGP;
  const P = STUDY_PLANTED;
  const { firstRow, year } = rows;
  const profitability = new Float64Array(rows.nrows);
  const innovation = new Float64Array(rows.nrows);
  for (let i = 0; i + 1 < firstRow.length; i++) {
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      const t = year[r]! - D.firstYear;
      profitability[r] = D.profitabilityBase + traits.etaP[i]! + industries.zetaP[t]! + P.robotProfitability * robot[r]! + rng.normal(0, D.profitabilitySd);
      const mean = D.innovationBase + traits.etaI[i]! + industries.zetaI[t]! + P.robotInnovation * robot[r]!;
      let v = mean + rng.normal(0, D.innovationSd);
      for (let tries = 0; v < 0 && tries < 1000; tries++) v = mean + rng.normal(0, D.innovationSd);
      innovation[r] = Math.max(v, 0);
    }
  }
  return { profitability, innovation };
}

/**
 * What the cleaning meets (module comment): years without exports, negative exports, garbled
 * processing-import records, then missing liabilities and R&D — after dvar* used them. Changes
 * the trade components and liabilities in place; returns profit and R&D.
 */
function asTheCleaningMeetsThem(rng: Rng, trade: TradeComponents, sheet: BalanceSheets, mediators: PlantedRegressors): { profit: Float64Array; rd: Float64Array } {
  const D = STUDY_DGP;
  const s = DVAR_DEFAULTS.s;
  const { exports: exportsX, exportsOrdinary: exportsOrd, domestic, importsProcessing: impProc, inputsTotal } = trade;
  const nrows = exportsX.length;
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
  for (let r = 0; r < nrows; r++) if (rng.uniform() < D.missingShare) sheet.liabilities[r] = NaN;
  const profit = new Float64Array(nrows);
  const rd = new Float64Array(nrows);
  for (let r = 0; r < nrows; r++) {
    profit[r] = mediators.profitability[r]! * sheet.cost[r]!;
    rd[r] = Math.expm1(mediators.innovation[r]!);
  }
  for (let r = 0; r < nrows; r++) if (rng.uniform() < D.missingShare) rd[r] = NaN;
  return { profit, rd };
}
