/**
 * The effects planted in the synthetic study panel ({@link generateStudyPanel}), in one place:
 * their values, and for each the regression that recovers it on the panel's built columns
 * ({@link buildStudyData}), always with firm and year fixed effects and standard errors
 * clustered by firm.
 *
 * The planted equations (i firm, j its industry, t year; FE = firm and year effects):
 *
 *   profitability_it = a_P·robot_it + FE + e^P_it
 *   innovation_it    = a_I·robot_it + FE + e^I_it
 *   dvar_it = (c + c_soe·soe_i + c_tech·tech_j)·robot_it + b_P·profitability_it + b_I·innovation_it
 *             + φ_F·robot_for_jt + φ_B·robot_back_jt + δ_age·ln_age_it + δ_lev·leverage_it
 *             + δ_cap·cap_intensity_it + FE + u_it                       (u: AR(1) within firm)
 *
 * with every right-hand column as the builders make it from the raw panel (robot penetration
 * and its For/Back linkages, the controls, the mediators) and dvar the DVAR the builder computes
 * from the raw trade components — the generator backs the components out of this equation so
 * the formula gives it back exactly. tech_j = 1 for technology-intensive industries. Hence:
 *
 *   total effect of robots (non-SOE, not technology-intensive): c + a_P·b_P + a_I·b_I
 *   extra effect for SOEs c_soe, for technology-intensive industries c_tech (direct effect)
 *   indirect effects a_P·b_P (profitability) and a_I·b_I (innovation)
 *   spillovers φ_F (suppliers' robots, For) and φ_B (buyers' robots, Back)
 *   gap to the year's frontier: gap_it = max_t(dvar) − dvar_it, so ∂gap/∂robot = −total effect
 *   (the frontier is a year constant, which the year effects absorb): robots narrow the gap.
 *
 * The regressors are drawn independently of the error terms, so each recovery regression below
 * is consistent; a regression leaving out For/Back or the interactions (e.g. the baseline table)
 * estimates a mix of these (see the README's "Study methods").
 */

/** The planted coefficients. */
export const STUDY_PLANTED = {
  /** c: direct effect of robot on dvar (non-SOE, not technology-intensive). */
  direct: 0.003,
  /** c_soe: extra direct effect for SOEs (robot:soe). */
  directSoe: 0.004,
  /** c_tech: extra direct effect in technology-intensive industries (robot:tech). */
  directTech: 0.002,
  /** a_P: robot → profitability. */
  robotProfitability: 0.002,
  /** b_P: profitability → dvar. */
  profitabilityDvar: 0.3,
  /** a_I: robot → innovation (ln(1 + R&D)). */
  robotInnovation: 0.04,
  /** b_I: innovation → dvar. */
  innovationDvar: 0.012,
  /** φ_F: suppliers' robot density (robot_for) → dvar. */
  forward: 0.003,
  /** φ_B: buyers' robot density (robot_back) → dvar. */
  backward: 0.0025,
  /** Control effects on dvar (not among the checked effects). */
  lnAge: 0.01,
  leverage: -0.03,
  capIntensity: -0.004,
} as const;

export type StudyPlanted = typeof STUDY_PLANTED;

/** The study's firm controls, as the builders name them. */
export const STUDY_CONTROLS = ["ln_age", "leverage", "debt_nfa", "cap_intensity", "hhi"] as const;

/** The fixed effects and the cluster variable of every recovery regression. */
export const STUDY_FIXED_EFFECTS = "firm_id + year";
export const STUDY_CLUSTER = "firm_id";

/** One planted effect and the regression that recovers it. */
export interface PlantedEffect {
  /** Short id, e.g. "total", "soe". */
  readonly key: string;
  readonly label: string;
  readonly value: number;
  /** The fixest-style formula to fit (firm and year FE) with `vcov: { cluster: "firm_id" }`. */
  readonly formula: string;
  /** The coefficient of that fit that estimates `value`. */
  readonly coefficient: string;
}

/** The total effect of robots on dvar for the reference group: c + a_P·b_P + a_I·b_I. */
export function totalEffect(p: StudyPlanted = STUDY_PLANTED): number {
  return p.direct + p.robotProfitability * p.profitabilityDvar + p.robotInnovation * p.innovationDvar;
}

/** Every checked planted effect with its recovery regression. */
export function plantedEffects(p: StudyPlanted = STUDY_PLANTED): PlantedEffect[] {
  const controls = STUDY_CONTROLS.join(" + ");
  const fe = STUDY_FIXED_EFFECTS;
  const reduced = `robot + robot:soe + robot:tech + robot_for + robot_back + ${controls} | ${fe}`;
  const full = `robot + robot:soe + robot:tech + profitability + innovation + robot_for + robot_back + ${controls} | ${fe}`;
  const total = totalEffect(p);
  return [
    { key: "total", label: "Robot → DVAR (total effect)", value: total, formula: `dvar ~ ${reduced}`, coefficient: "robot" },
    { key: "soe", label: "Robot × SOE (extra effect)", value: p.directSoe, formula: `dvar ~ ${reduced}`, coefficient: "robot:soe" },
    { key: "tech", label: "Robot × technology-intensive (extra effect)", value: p.directTech, formula: `dvar ~ ${reduced}`, coefficient: "robot:tech" },
    { key: "forward", label: "Suppliers' robots (For) → DVAR", value: p.forward, formula: `dvar ~ ${reduced}`, coefficient: "robot_for" },
    { key: "backward", label: "Buyers' robots (Back) → DVAR", value: p.backward, formula: `dvar ~ ${reduced}`, coefficient: "robot_back" },
    { key: "robot_profitability", label: "Robot → profitability", value: p.robotProfitability, formula: `profitability ~ robot | ${fe}`, coefficient: "robot" },
    { key: "profitability_dvar", label: "Profitability → DVAR", value: p.profitabilityDvar, formula: `dvar ~ ${full}`, coefficient: "profitability" },
    { key: "robot_innovation", label: "Robot → innovation", value: p.robotInnovation, formula: `innovation ~ robot | ${fe}`, coefficient: "robot" },
    { key: "innovation_dvar", label: "Innovation → DVAR", value: p.innovationDvar, formula: `dvar ~ ${full}`, coefficient: "innovation" },
    { key: "direct", label: "Robot → DVAR (direct effect, mediators held)", value: p.direct, formula: `dvar ~ ${full}`, coefficient: "robot" },
    { key: "gap", label: "Robot → gap to the year's frontier", value: -total, formula: `gap ~ ${reduced}`, coefficient: "robot" },
  ];
}
