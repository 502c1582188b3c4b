/**
 * The study panel's DVAR and the trade components that carry it (study-panel.ts's module comment,
 * "How the built DVAR carries the planted effects"): each firm-year's target dvar* from the
 * planted equation, kept feasible (firms near their ceiling lowered as a whole, shocks that still
 * break the bounds drawn again), then the components drawn around it with one backed out so that
 * the DVAR formula of dvar.ts gives dvar* back.
 */
import type { Rng } from "../core/random.js";
import { DVAR_DEFAULTS } from "./dvar.js";
import type { FirmDraws, FirmYearRows } from "./synthetic.js";
import { STUDY_PLANTED } from "./planted.js";
import { STUDY_DGP } from "./study-dgp.js";

/** Per firm: the trade regime and the draws the DVAR and the balance sheet are made from. */
export interface FirmTraits {
  /** 0 pure processing, 1 mixed, 2 ordinary. */
  readonly regime: Int32Array;
  readonly exportIntensity: Float64Array;
  readonly ordinaryShare: Float64Array;
  readonly domesticInputs: Float64Array;
  readonly ordinaryImports: Float64Array;
  readonly size: Float64Array;
  readonly capital: Float64Array;
  readonly nfaShare: Float64Array;
  readonly leverageMean: Float64Array;
  readonly turnover: Float64Array;
  readonly etaP: Float64Array;
  readonly etaI: Float64Array;
}

/** The right-hand columns of the planted DVAR equation, as the builders make them. */
export interface PlantedRegressors {
  readonly robot: Float64Array;
  readonly forward: Float64Array;
  readonly backward: Float64Array;
  readonly lnAge: Float64Array;
  readonly leverage: Float64Array;
  readonly capIntensity: Float64Array;
  readonly profitability: Float64Array;
  readonly innovation: Float64Array;
}

/** Each firm-year's systematic dvar* (without u) and its feasible ceiling. */
export interface DvarTargets {
  readonly systematic: Float64Array;
  readonly upper: Float64Array;
  /** Firms shifted down to keep their DVAR feasible. */
  readonly lowered: number;
}

export interface TradeComponents {
  readonly exports: Float64Array;
  readonly exportsOrdinary: Float64Array;
  readonly domestic: Float64Array;
  readonly importsProcessing: Float64Array;
  readonly importsOrdinary: Float64Array;
  readonly inputsTotal: Float64Array;
  /** Firm-years whose error shock was drawn again to keep the DVAR feasible. */
  readonly redrawn: number;
}

/**
 * The planted path of every firm, and how far it comes to its feasible ceiling (the DVAR formula
 * needs dvar < 1 − c·NFA/X): a firm whose path comes closer than the headroom starts lower.
 */
export function dvarTargets(
  firms: FirmDraws,
  traits: FirmTraits,
  rows: FirmYearRows,
  gamma: Float64Array,
  x: PlantedRegressors,
  nfa: Float64Array,
  sales: Float64Array,
): DvarTargets {
  const D = STUDY_DGP;
  const P = STUDY_PLANTED;
  const cCap = DVAR_DEFAULTS.c;
  const { firstRow, year } = rows;
  const systematic = new Float64Array(rows.nrows);
  const upper = new Float64Array(rows.nrows);
  let lowered = 0;
  for (let i = 0; i < firms.industry.length; i++) {
    const ind = firms.industry[i]! - 1;
    const cls = D.industries[ind]!.intensity;
    const tech = cls === "technology" ? 1 : 0;
    const robotCoef = P.direct + P.directSoe * firms.soe[i]! + P.directTech * tech;
    const e = traits.exportIntensity[i]!;
    const alpha =
      D.dvarIntercept + firms.alpha[i]! + D.regimeShift[traits.regime[i]!]! + D.intensityShift[cls] + D.exposureShift * Math.log(firms.w0[i]!) -
      (cCap * traits.nfaShare[i]!) / (e * Math.exp(traits.turnover[i]!));
    let excess = -Infinity;
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      const t = year[r]! - D.firstYear;
      const sys =
        alpha + gamma[t]! + robotCoef * x.robot[r]! + P.profitabilityDvar * x.profitability[r]! + P.innovationDvar * x.innovation[r]! +
        P.forward * x.forward[r]! + P.backward * x.backward[r]! + P.lnAge * x.lnAge[r]! + P.leverage * x.leverage[r]! +
        P.capIntensity * x.capIntensity[r]!;
      systematic[r] = sys;
      upper[r] = 1 - (cCap * nfa[r]!) / (e * sales[r]!) - D.dvarMargin;
      excess = Math.max(excess, sys - (upper[r]! - D.dvarHeadroom));
    }
    if (excess > 0) {
      lowered++;
      for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) systematic[r] = systematic[r]! - excess;
    }
  }
  return { systematic, upper, lowered };
}

/** dvar* = systematic + u (AR(1) shocks, drawn again while out of bounds), and the components that give it. */
export function tradeComponents(rng: Rng, firms: FirmDraws, traits: FirmTraits, rows: FirmYearRows, targets: DvarTargets, nfa: Float64Array, sales: Float64Array): TradeComponents {
  const D = STUDY_DGP;
  const s = DVAR_DEFAULTS.s;
  const cCap = DVAR_DEFAULTS.c;
  const { nrows, firstRow } = rows;
  const exportsX = new Float64Array(nrows);
  const exportsOrd = new Float64Array(nrows);
  const domestic = new Float64Array(nrows);
  const impProc = new Float64Array(nrows);
  const impOrd = new Float64Array(nrows);
  const inputsTotal = new Float64Array(nrows);
  let redrawn = 0;
  for (let i = 0; i < firms.industry.length; i++) {
    const sd = D.errorSd * (1 + D.errorSdSoeExtra * firms.soe[i]!);
    const e = traits.exportIntensity[i]!;
    let u = 0;
    for (let r = firstRow[i]!; r < firstRow[i + 1]!; r++) {
      const x = e * sales[r]!;
      const hi = targets.upper[r]!;
      const sys = targets.systematic[r]!;
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
      const xo = traits.ordinaryShare[i]! * x;
      const d = sales[r]! - x;
      let m = traits.ordinaryImports[i]!;
      let h = traits.domesticInputs[i]! * sales[r]!;
      const available = (1 - target) * x - cCap * nfa[r]!; // foreign content besides capital
      let mp: number;
      if (traits.regime[i] === 2) {
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
  return { exports: exportsX, exportsOrdinary: exportsOrd, domestic, importsProcessing: impProc, importsOrdinary: impOrd, inputsTotal, redrawn };
}
