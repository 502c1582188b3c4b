/**
 * Synthetic panels with planted effects, following the R generators behind the test fixtures (gen_panel.R,
 * gen_worker_firm.R): same distributions, parameters, structure, column names and order. R's
 * random streams are not reproduced; the generators here are seeded by {@link Rng} and are
 * deterministic for a given seed.
 *
 * ## Firm-year panel (gen_panel.R) — {@link generatePanel}
 *
 * Firm level, for firm_id = 1..F:
 *   industry  ∈ 1..14 with weights 12,10,9,8,8,7,7,7,6,6,6,5,5,4
 *   region    ∈ {east, central, west} with probabilities 0.92, 0.055, 0.025
 *   soe       ~ Bernoulli(0.05)
 *   entry     ∈ 2000..2013 with weights rising linearly from 1 to 2
 *   life      = 1 + Geom(0.14)                   (Geom = failures before first success)
 *   alpha     ~ N(0, 0.12²)                      (firm effect)
 *   w0        ~ LogNormal(0, 0.5)                (firm robot-exposure scale)
 *   open_year = entry − 1 − Geom(0.08)
 *   exit      = min(entry + life − 1, 2013);     the firm has one row for each year entry..exit
 * Industry level: g_k ~ U(0.10, 0.35), lvl_k ~ LogNormal(0, 0.6);
 *   density[k,t]    = lvl_k · exp(g_k · (t − 2000))
 *   density_us[k,t] = density[k,t] · exp(N(0.3, 0.25²))          (instrument, not output)
 * Year effects: gamma_t = cumsum over 2000..t of N(0.01, 0.01²).
 * Row level (rows sorted by firm_id, year):
 *   w          = w0 · exp(cumsum within firm of N(0, 0.08²))
 *   robot      = w · density / 4;   robot_iv = w · density_us / 4
 *   age        = year − open_year + 1;   ln_age = log(age)
 *   finance    = plogis(N(0.3, 0.8²));   fin_constraints = exp(N(0.5, 0.7²))
 *   cap_intensity = N(4 + 0.1 · (industry mod 5), 1)
 *   assets     = exp(N(10, 1.3²));   hhi = Σ (assets / Σ assets)² within industry × year
 *   u          = AR(1) within firm: u_1 = e_1, u_t = 0.5 · u_{t−1} + e_t, e ~ N(0, (0.09 (1 + 0.5 soe))²)
 *   profitability = 0.05 + 0.008 · robot + 0.02 · finance + N(0, 0.05²)
 *   innovation = exp(N(0, 1)) · (1 + 0.1 · robot)
 *   dvar       = 0.62 + alpha + gamma_year + 0.0058 · robot · (1 + 0.5 soe) + 0.01 · profitability
 *                − 0.015 · finance + 0.002 · ln_age − 0.003 · cap_intensity + u
 *   then finance, fin_constraints, cap_intensity are each set missing (NaN) independently w.p. 0.04
 *   (after dvar and profitability were built from the complete values)
 *   gap        = max over firms in that year of dvar − dvar
 * Output columns: firm_id, year, industry, region, soe, density, robot, robot_iv, age, ln_age,
 * finance, fin_constraints, cap_intensity, assets, hhi, profitability, innovation, dvar, gap.
 * All numeric except region (categorical, levels east, central, west). About 4.07 rows per firm.
 *
 * ## Worker-firm panel (gen_worker_firm.R) — {@link generateWorkerFirmPanel}
 *
 * Workers 1..W each observed in years 1..T (rows sorted by worker, year). The first firm is uniform
 * on 1..N; each later year, with probability moveProb the worker moves to firm f ± 1 (sign
 * equiprobable, clamped to 1..N), else stays. wfe ~ N(0,1) per worker, ffe ~ N(0,1) per firm,
 * yfe ~ N(0,1) per year; x = N(0,1) + 0.5 · wfe; y = 0.3 · x + wfe + ffe + yfe + N(0,1).
 * Output columns: worker, year, firm, x, y (all numeric).
 */
import type { CategoricalColumn, Column, Frame, NumericColumn } from "../data/frame.js";
import { InputError } from "../core/errors.js";
import { Rng, categoricalSampler } from "../core/random.js";

/** Coefficients planted in the dvar equation of {@link generatePanel}, keyed by column name. */
export const PANEL_PLANTED = {
  intercept: 0.62,
  /** Effect of robot for non-SOE firms. */
  robot: 0.0058,
  /** Extra robot effect for SOE firms (robot · soe): 0.0058 · 0.5. */
  "robot:soe": 0.0029,
  profitability: 0.01,
  finance: -0.015,
  ln_age: 0.002,
  cap_intensity: -0.003,
} as const;

/** The other parameters of the firm-year DGP (see the module comment). */
export const PANEL_DGP = {
  firstYear: 2000,
  lastYear: 2013,
  industries: 14,
  industryWeights: [12, 10, 9, 8, 8, 7, 7, 7, 6, 6, 6, 5, 5, 4],
  regionLevels: ["east", "central", "west"],
  regionProbs: [0.92, 0.055, 0.025],
  soeProb: 0.05,
  lifeGeomP: 0.14,
  openGeomP: 0.08,
  firmEffectSd: 0.12,
  w0LogSd: 0.5,
  wStepSd: 0.08,
  densityGrowthMin: 0.1,
  densityGrowthMax: 0.35,
  densityLevelLogSd: 0.6,
  instrumentLogMean: 0.3,
  instrumentLogSd: 0.25,
  yearTrendMean: 0.01,
  yearTrendSd: 0.01,
  errorAr1: 0.5,
  errorSd: 0.09,
  /** Error sd multiplier for SOE firms is 1 + this. */
  errorSdSoeExtra: 0.5,
  /** Robot effect multiplier for SOE firms is 1 + this. */
  robotSoeExtra: 0.5,
  profitabilityOnRobot: 0.008,
  profitabilityOnFinance: 0.02,
  innovationOnRobot: 0.1,
  missingShare: 0.04,
} as const;

/** Parameters planted in {@link generateWorkerFirmPanel}. */
export const WORKER_FIRM_PLANTED = {
  /** Coefficient of x in y. */
  x: 0.3,
  /** Loading of the worker effect in x (makes x correlated with the worker effect). */
  workerEffectInX: 0.5,
} as const;

export function numeric(values: Float64Array): NumericColumn {
  return { kind: "numeric", values };
}

export function fillNormal(rng: Rng, out: Float64Array, mean: number, sd: number): void {
  for (let i = 0; i < out.length; i++) out[i] = mean + sd * rng.normal();
}

export function expInPlace(a: Float64Array): void {
  for (let i = 0; i < a.length; i++) a[i] = Math.exp(a[i]!);
}

export function checkCount(name: string, v: number, min: number): void {
  if (!(Number.isInteger(v) && v >= min)) throw new InputError("option", `${name} must be an integer >= ${min}, got ${v}`);
}

/** The firm-level parameters {@link drawFirms} reads (PANEL_DGP has them). */
export interface FirmDgp {
  readonly firstYear: number;
  readonly lastYear: number;
  readonly industryWeights: readonly number[];
  readonly regionProbs: readonly number[];
  readonly soeProb: number;
  readonly lifeGeomP: number;
  readonly openGeomP: number;
  readonly firmEffectSd: number;
  readonly w0LogSd: number;
}

/** One draw per firm of the module comment's firm-level variables. */
export interface FirmDraws {
  /** 1..industryWeights.length. */
  readonly industry: Int32Array;
  /** Index into regionProbs. */
  readonly region: Int32Array;
  readonly soe: Uint8Array;
  readonly entry: Int32Array;
  readonly exit: Int32Array;
  readonly open: Int32Array;
  readonly alpha: Float64Array;
  readonly w0: Float64Array;
  /** Σ (exit − entry + 1): the panel's rows. */
  readonly rows: number;
}

/**
 * The firm level of the firm-year panel (module comment), drawn in this order: industry, region,
 * soe, entry, life, alpha, w0, open_year. Shared by {@link generatePanel} and the study panel.
 */
export function drawFirms(rng: Rng, nf: number, D: FirmDgp): FirmDraws {
  const nYears = D.lastYear - D.firstYear + 1;
  const industry = new Int32Array(nf);
  const region = new Int32Array(nf);
  const soe = new Uint8Array(nf);
  const entry = new Int32Array(nf);
  const exit = new Int32Array(nf);
  const open = new Int32Array(nf);
  const alpha = new Float64Array(nf);
  const w0 = new Float64Array(nf);
  const drawInd = categoricalSampler(rng, D.industryWeights);
  const drawRegion = categoricalSampler(rng, D.regionProbs);
  const entryWeights = Array.from({ length: nYears }, (_, i) => 1 + i / (nYears - 1));
  const drawEntry = categoricalSampler(rng, entryWeights);
  for (let i = 0; i < nf; i++) industry[i] = drawInd() + 1;
  for (let i = 0; i < nf; i++) region[i] = drawRegion();
  for (let i = 0; i < nf; i++) soe[i] = rng.uniform() < D.soeProb ? 1 : 0;
  for (let i = 0; i < nf; i++) entry[i] = D.firstYear + drawEntry();
  let rows = 0;
  for (let i = 0; i < nf; i++) {
    const life = 1 + rng.geometric(D.lifeGeomP);
    const last = Math.min(entry[i]! + life - 1, D.lastYear);
    exit[i] = last;
    rows += last - entry[i]! + 1;
  }
  for (let i = 0; i < nf; i++) alpha[i] = rng.normal(0, D.firmEffectSd);
  for (let i = 0; i < nf; i++) w0[i] = rng.lognormal(0, D.w0LogSd);
  for (let i = 0; i < nf; i++) open[i] = entry[i]! - 1 - rng.geometric(D.openGeomP);
  return { industry, region, soe, entry, exit, open, alpha, w0, rows };
}

/** One row per firm and year of its life, sorted by firm and year, with the firm's draws on its rows. */
export interface FirmYearRows {
  readonly nrows: number;
  /** Firm i's rows are firstRow[i] … firstRow[i + 1] − 1. */
  readonly firstRow: Int32Array;
  readonly firmId: Float64Array;
  readonly year: Float64Array;
  readonly industry: Float64Array;
  /** Index into regionProbs. */
  readonly region: Int32Array;
  readonly soe: Float64Array;
  readonly openYear: Float64Array;
}

export function firmYearRows(firms: FirmDraws): FirmYearRows {
  const nf = firms.industry.length;
  const nrows = firms.rows;
  const firmId = new Float64Array(nrows);
  const year = new Float64Array(nrows);
  const industry = new Float64Array(nrows);
  const region = new Int32Array(nrows);
  const soe = new Float64Array(nrows);
  const openYear = new Float64Array(nrows);
  const firstRow = new Int32Array(nf + 1);
  let r = 0;
  for (let i = 0; i < nf; i++) {
    firstRow[i] = r;
    const ind = firms.industry[i]!, reg = firms.region[i]!, s = firms.soe[i]!, open = firms.open[i]!;
    for (let y = firms.entry[i]!, yEnd = firms.exit[i]!; y <= yEnd; y++, r++) {
      firmId[r] = i + 1;
      year[r] = y;
      industry[r] = ind;
      region[r] = reg;
      soe[r] = s;
      openYear[r] = open;
    }
  }
  firstRow[nf] = r;
  return { nrows, firstRow, firmId, year, industry, region, soe, openYear };
}

export interface PanelOptions {
  /** Number of firms (gen_panel.R's N_FIRMS). ≈ 4.07 rows per firm. */
  firms: number;
  seed: number;
}

/** Firm-year panel shaped like the seed paper's data, with planted effects; see the module comment. */
export function generatePanel(options: PanelOptions): Frame {
  const { firms: nf, seed } = options;
  checkCount("firms", nf, 1);
  const D = PANEL_DGP;
  const rng = new Rng(seed);
  const Y0 = D.firstYear;
  const nYears = D.lastYear - D.firstYear + 1;
  const firms = drawFirms(rng, nf, D);
  const cells = industryCells(rng);
  const rows = panelRows(firms, cells.density);
  const { nrows, firstRow, year, industry } = rows;
  const { robot, robotIv } = robotExposure(rng, firms, rows, cells.densityUs);

  const finance = new Float64Array(nrows);
  fillNormal(rng, finance, 0.3, 0.8);
  for (let r = 0; r < nrows; r++) finance[r] = 1 / (1 + Math.exp(-finance[r]!));
  const finConstraints = new Float64Array(nrows);
  fillNormal(rng, finConstraints, 0.5, 0.7);
  expInPlace(finConstraints);
  const capIntensity = new Float64Array(nrows);
  fillNormal(rng, capIntensity, 0, 1);
  for (let r = 0; r < nrows; r++) capIntensity[r] = capIntensity[r]! + 4 + 0.1 * ((industry[r]! | 0) % 5);
  const assets = new Float64Array(nrows);
  fillNormal(rng, assets, 10, 1.3);
  expInPlace(assets);
  const hhi = herfindahl(industry, year, assets);

  const dvar = ar1Errors(rng, firms, firstRow, nrows);
  const profitability = new Float64Array(nrows);
  fillNormal(rng, profitability, 0, 0.05);
  for (let r = 0; r < nrows; r++) {
    profitability[r] =
      0.05 + D.profitabilityOnRobot * robot[r]! + D.profitabilityOnFinance * finance[r]! + profitability[r]!;
  }
  const innovation = new Float64Array(nrows);
  fillNormal(rng, innovation, 0, 1);
  for (let r = 0; r < nrows; r++) innovation[r] = Math.exp(innovation[r]!) * (1 + D.innovationOnRobot * robot[r]!);

  // dvar = the planted equation plus the AR(1) error already in dvar
  const P = PANEL_PLANTED;
  const yearMax = new Float64Array(nYears).fill(-Infinity);
  for (let i = 0; i < nf; i++) {
    const alpha = firms.alpha[i]!;
    const robotCoef = P.robot * (1 + D.robotSoeExtra * firms.soe[i]!);
    for (let r = firstRow[i]!, end = firstRow[i + 1]!; r < end; r++) {
      const t = year[r]! - Y0;
      const dv =
        P.intercept + alpha + cells.gamma[t]! + robotCoef * robot[r]! + P.profitability * profitability[r]! +
        P.finance * finance[r]! + P.ln_age * rows.lnAge[r]! + P.cap_intensity * capIntensity[r]! + dvar[r]!;
      dvar[r] = dv;
      if (dv > yearMax[t]!) yearMax[t] = dv;
    }
  }

  // missing controls (after dvar used the complete values), then gap to the year's best
  for (const v of [finance, finConstraints, capIntensity]) {
    for (let r = 0; r < nrows; r++) if (rng.uniform() < D.missingShare) v[r] = NaN;
  }
  const gap = new Float64Array(nrows);
  for (let r = 0; r < nrows; r++) gap[r] = yearMax[year[r]! - Y0]! - dvar[r]!;

  const regionCol: CategoricalColumn = { kind: "categorical", codes: rows.region, levels: [...D.regionLevels] };
  const columns = new Map<string, Column>([
    ["firm_id", numeric(rows.firmId)],
    ["year", numeric(year)],
    ["industry", numeric(industry)],
    ["region", regionCol],
    ["soe", numeric(rows.soe)],
    ["density", numeric(rows.density)],
    ["robot", numeric(robot)],
    ["robot_iv", numeric(robotIv)],
    ["age", numeric(rows.age)],
    ["ln_age", numeric(rows.lnAge)],
    ["finance", numeric(finance)],
    ["fin_constraints", numeric(finConstraints)],
    ["cap_intensity", numeric(capIntensity)],
    ["assets", numeric(assets)],
    ["hhi", numeric(hhi)],
    ["profitability", numeric(profitability)],
    ["innovation", numeric(innovation)],
    ["dvar", numeric(dvar)],
    ["gap", numeric(gap)],
  ]);
  return { nrows, columns };
}

/** Industry × year robot density and its instrument (cell k·years + t), and the year effects. */
function industryCells(rng: Rng): { density: Float64Array; densityUs: Float64Array; gamma: Float64Array } {
  const D = PANEL_DGP;
  const nYears = D.lastYear - D.firstYear + 1;
  const nInd = D.industries;
  const g = new Float64Array(nInd);
  const lvl = new Float64Array(nInd);
  for (let k = 0; k < nInd; k++) g[k] = rng.uniform(D.densityGrowthMin, D.densityGrowthMax);
  for (let k = 0; k < nInd; k++) lvl[k] = rng.lognormal(0, D.densityLevelLogSd);
  const density = new Float64Array(nInd * nYears);
  const densityUs = new Float64Array(nInd * nYears);
  for (let k = 0; k < nInd; k++) {
    for (let t = 0; t < nYears; t++) {
      const d = lvl[k]! * Math.exp(g[k]! * t);
      density[k * nYears + t] = d;
      densityUs[k * nYears + t] = d * Math.exp(rng.normal(D.instrumentLogMean, D.instrumentLogSd));
    }
  }
  const gamma = new Float64Array(nYears);
  let gacc = 0;
  for (let t = 0; t < nYears; t++) {
    gacc += rng.normal(D.yearTrendMean, D.yearTrendSd);
    gamma[t] = gacc;
  }
  return { density, densityUs, gamma };
}

interface PanelRows extends FirmYearRows {
  readonly density: Float64Array;
  readonly age: Float64Array;
  readonly lnAge: Float64Array;
}

/** The firm-year rows with the industry-year robot density and the firm's age. */
function panelRows(firms: FirmDraws, cellDensity: Float64Array): PanelRows {
  const D = PANEL_DGP;
  const nYears = D.lastYear - D.firstYear + 1;
  const rows = firmYearRows(firms);
  const { nrows, firstRow, year } = rows;
  const density = new Float64Array(nrows);
  const age = new Float64Array(nrows);
  const lnAge = new Float64Array(nrows);
  for (let i = 0; i < firms.industry.length; i++) {
    const open = firms.open[i]!;
    const cellBase = (firms.industry[i]! - 1) * nYears - D.firstYear;
    for (let r = firstRow[i]!, end = firstRow[i + 1]!; r < end; r++) {
      const y = year[r]!;
      density[r] = cellDensity[cellBase + y]!;
      const a = y - open + 1;
      age[r] = a;
      lnAge[r] = Math.log(a);
    }
  }
  return { ...rows, density, age, lnAge };
}

/** robot = w · density / 4 and robot_iv = w · density_us / 4, w = w0 · exp(cumsum of N(0, 0.08²)) within firm. */
function robotExposure(rng: Rng, firms: FirmDraws, rows: PanelRows, cellDensityUs: Float64Array): { robot: Float64Array; robotIv: Float64Array } {
  const D = PANEL_DGP;
  const Y0 = D.firstYear;
  const nYears = D.lastYear - D.firstYear + 1;
  const { nrows, firstRow, year, density } = rows;
  const robot = new Float64Array(nrows);
  const robotIv = new Float64Array(nrows);
  fillNormal(rng, robot, 0, D.wStepSd);
  for (let i = 0; i < firms.industry.length; i++) {
    const w0 = firms.w0[i]!;
    const cellBase = (firms.industry[i]! - 1) * nYears - Y0;
    let acc = 0;
    for (let r = firstRow[i]!, end = firstRow[i + 1]!; r < end; r++) {
      acc += robot[r]!;
      const w = w0 * Math.exp(acc);
      robot[r] = (w * density[r]!) / 4;
      robotIv[r] = (w * cellDensityUs[cellBase + year[r]!]!) / 4;
    }
  }
  return { robot, robotIv };
}

/** hhi = Σ (assets / Σ assets)² within industry × year. */
function herfindahl(industry: Float64Array, year: Float64Array, assets: Float64Array): Float64Array {
  const D = PANEL_DGP;
  const Y0 = D.firstYear;
  const nYears = D.lastYear - D.firstYear + 1;
  const nrows = industry.length;
  const hhi = new Float64Array(nrows);
  const sum = new Float64Array(D.industries * nYears);
  const sumSq = new Float64Array(D.industries * nYears);
  for (let r = 0; r < nrows; r++) {
    const cell = (industry[r]! - 1) * nYears + (year[r]! - Y0);
    const as = assets[r]!;
    sum[cell] += as;
    sumSq[cell] += as * as;
  }
  for (let r = 0; r < nrows; r++) {
    const cell = (industry[r]! - 1) * nYears + (year[r]! - Y0);
    const s = sum[cell]!;
    hhi[r] = sumSq[cell]! / (s * s);
  }
  return hhi;
}

/** The AR(1) error u within each firm, with the SOEs' larger sd. */
function ar1Errors(rng: Rng, firms: FirmDraws, firstRow: Int32Array, nrows: number): Float64Array {
  const D = PANEL_DGP;
  const u = new Float64Array(nrows);
  fillNormal(rng, u, 0, 1);
  for (let i = 0; i < firms.industry.length; i++) {
    const sd = D.errorSd * (1 + D.errorSdSoeExtra * firms.soe[i]!);
    let prev = 0;
    for (let r = firstRow[i]!, end = firstRow[i + 1]!; r < end; r++) {
      prev = D.errorAr1 * prev + sd * u[r]!;
      u[r] = prev;
    }
  }
  return u;
}

export interface WorkerFirmOptions {
  /** Number of workers (gen_worker_firm.R's N_WORKERS). */
  workers: number;
  /** Number of firms on the line (N_FIRMS). */
  firms: number;
  /** Years per worker (YEARS); every worker is observed in years 1..years. */
  years: number;
  /** Per-year probability of moving to a neighbouring firm (MOVE_PROB). */
  moveProb: number;
  seed: number;
}

/**
 * Worker-firm panel with limited mobility (movers step to an adjacent firm on a line, so the
 * worker-firm graph is a long chain); see the module comment. Rows = workers × years.
 */
export function generateWorkerFirmPanel(options: WorkerFirmOptions): Frame {
  const { workers: nw, firms: nf, years: ny, moveProb: pm, seed } = options;
  checkCount("workers", nw, 1);
  checkCount("firms", nf, 1);
  checkCount("years", ny, 1);
  if (!(pm >= 0 && pm <= 1)) throw new InputError("option", `moveProb must be in [0, 1], got ${pm}`);
  const rng = new Rng(seed);
  const nrows = nw * ny;
  const worker = new Float64Array(nrows);
  const year = new Float64Array(nrows);
  const firm = new Float64Array(nrows);
  let r = 0;
  for (let i = 0; i < nw; i++) {
    let f = 1 + rng.integer(nf);
    for (let t = 1; t <= ny; t++, r++) {
      if (t > 1 && rng.uniform() < pm) {
        f += rng.uniform() < 0.5 ? -1 : 1;
        if (f < 1) f = 1;
        else if (f > nf) f = nf;
      }
      worker[r] = i + 1;
      year[r] = t;
      firm[r] = f;
    }
  }
  const wfe = new Float64Array(nw);
  const ffe = new Float64Array(nf);
  const yfe = new Float64Array(ny);
  for (let i = 0; i < nw; i++) wfe[i] = rng.normal();
  for (let j = 0; j < nf; j++) ffe[j] = rng.normal();
  for (let t = 0; t < ny; t++) yfe[t] = rng.normal();
  const x = new Float64Array(nrows);
  const y = new Float64Array(nrows);
  for (let k = 0; k < nrows; k++) x[k] = rng.normal() + WORKER_FIRM_PLANTED.workerEffectInX * wfe[worker[k]! - 1]!;
  for (let k = 0; k < nrows; k++) {
    y[k] =
      WORKER_FIRM_PLANTED.x * x[k]! + wfe[worker[k]! - 1]! + ffe[firm[k]! - 1]! + yfe[year[k]! - 1]! + rng.normal();
  }
  const columns = new Map<string, Column>([
    ["worker", numeric(worker)],
    ["year", numeric(year)],
    ["firm", numeric(firm)],
    ["x", numeric(x)],
    ["y", numeric(y)],
  ]);
  return { nrows, columns };
}
