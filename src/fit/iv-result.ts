import { FeolsResult, type FeolsFields } from "./result.js";
import type { Coefficient } from "../vcov/coefficients.js";
import type { FTest, IvStatistics } from "../diagnostics/iv-statistics.js";
import { formatPrinted as fmt, formatPValue as fmtP } from "../core/format.js";

/** One first-stage regression: an endogenous regressor on the instruments and the exogenous regressors. */
export interface FirstStage {
  readonly endogenous: string;
  /** Instruments first, then the exogenous regressors (the intercept leads when there is one), as fixest. */
  readonly coefficients: readonly Coefficient[];
  /** Under the model's vcov (type and small-sample corrections), row-major. */
  readonly vcovMatrix: Float64Array;
  readonly dfT: number;
  readonly ssr: number;
  /** F test of the excluded instruments (fixest's ivf1): df2 = n − K of the first stage, K counted as the model's vcov counts it. */
  readonly ivf1: FTest;
  /** Wald version of ivf1 under the model's vcov (fixest's ivwald1), same degrees of freedom. */
  readonly ivwald1: FTest;
}

/** The reduced form: the dependent variable on the instruments and the exogenous regressors. */
export interface ReducedForm {
  readonly coefficients: readonly Coefficient[];
  readonly vcovMatrix: Float64Array;
  readonly dfT: number;
}

/** The IV statistics and, per endogenous regressor, the first-stage F tests. */
export interface IvDiagnostics extends IvStatistics {
  readonly ivf1: Readonly<Record<string, FTest>>;
  readonly ivwald1: Readonly<Record<string, FTest>>;
}

export interface IvFields extends FeolsFields {
  readonly endogenous: readonly string[];
  readonly instruments: readonly string[];
  readonly firstStages: readonly FirstStage[];
  readonly reducedForm: ReducedForm;
  readonly ivDiagnostics: IvDiagnostics;
}

/** A 2SLS fit: the second stage's coefficients (endogenous regressors named by their own names), first stages, reduced form and diagnostics. */
export class IvResult extends FeolsResult {
  declare readonly endogenous: readonly string[];
  declare readonly instruments: readonly string[];
  declare readonly firstStages: readonly FirstStage[];
  declare readonly reducedForm: ReducedForm;
  declare readonly ivDiagnostics: IvDiagnostics;

  constructor(fields: IvFields) {
    super(fields);
  }

  override summary(): string {
    const base = super.summary().replace(/^OLS estimation/, "TSLS estimation");
    const d = this.ivDiagnostics;
    const lines = [base, `Endogenous: ${this.endogenous.join(", ")}   Instruments: ${this.instruments.join(", ")}`];
    for (const [endo, f] of Object.entries(d.ivf1)) {
      const w = d.ivwald1[endo];
      lines.push(`F-test (1st stage), ${endo}: stat = ${fmt(f.stat)}, p = ${fmtP(f.p)}, on ${f.df1} and ${f.df2} DoF.`);
      lines.push(`Wald (1st stage), ${endo}   : stat = ${fmt(w.stat)}, p = ${fmtP(w.p)}, on ${w.df1} and ${w.df2} DoF, VCOV: ${this.vcovLabel}.`);
    }
    if (d.wh) lines.push(`Wu-Hausman: stat = ${fmt(d.wh.stat)}, p = ${fmtP(d.wh.p)}, on ${d.wh.df1} and ${d.wh.df2} DoF.`);
    if (d.sargan) lines.push(`Sargan: stat = ${fmt(d.sargan.stat)}, p = ${fmtP(d.sargan.p)}, on ${d.sargan.df} DoF.`);
    if (d.hansenJ) lines.push(`Hansen J: stat = ${fmt(d.hansenJ.stat)}, p = ${fmtP(d.hansenJ.p)}, on ${d.hansenJ.df} DoF.`);
    lines.push(`Cragg-Donald F: ${fmt(d.cd)}   Kleibergen-Paap rk Wald F: ${fmt(d.kp.waldF)}   rk LM: ${fmt(d.kp.lm.stat)} (p = ${fmtP(d.kp.lm.p)}, ${d.kp.lm.df} DoF)`);
    return lines.join("\n");
  }

  override toJSON(): Record<string, unknown> {
    const d = this.ivDiagnostics;
    const perEndo = (r: Readonly<Record<string, FTest>>) => {
      const entries = Object.entries(r).map(([k, t]) => [k, fTestJson(t)] as const);
      return entries.length === 1 ? entries[0][1] : Object.fromEntries(entries);
    };
    return {
      ...super.toJSON(),
      first_stage: this.firstStages.map((f) => ({
        endogenous: f.endogenous,
        coefficients: f.coefficients.map((c) => ({ name: c.name, estimate: c.estimate, se: c.se })),
      })),
      iv_diagnostics: {
        ivf1: perEndo(d.ivf1),
        ivwald1: perEndo(d.ivwald1),
        cd: d.cd,
        kp: { wald_f: d.kp.waldF, lm: { stat: d.kp.lm.stat, p: d.kp.lm.p, df: d.kp.lm.df } },
        wh: d.wh ? fTestJson(d.wh) : null,
        sargan: d.sargan ? { stat: d.sargan.stat, p: d.sargan.p } : null,
        hansen_j: d.hansenJ ? { stat: d.hansenJ.stat, p: d.hansenJ.p, df: d.hansenJ.df } : null,
      },
    };
  }
}

function fTestJson(t: FTest): Record<string, number> {
  return { stat: t.stat, p: t.p, df1: t.df1, df2: t.df2 };
}
