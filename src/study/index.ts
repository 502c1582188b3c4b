/**
 * absorb/study: the trade-economics study absorb was built for — its variable builders (DVAR,
 * robot penetration, For/Back linkages, controls, winsorizing), the synthetic study and gravity
 * panels with their planted effects, and `reproduceStudy`, the whole study from one call. The
 * estimators it runs (feols, mediation, heterogeneity, theil, …) are the main entry's.
 */
export {
  buildDvar,
  dvarOf,
  TRADE_COLUMNS,
  DVAR_DEFAULTS,
  type DvarOptions,
  type DvarResult,
  type DvarCleaning,
  type TradeColumns,
} from "./dvar.js";
export {
  buildRobotPenetration,
  industryRobotDensity,
  type PenetrationOptions,
  type PenetrationResult,
  type RobotDensity,
  type RobotDensityOptions,
} from "./robots.js";
export { buildLinkages, industryLinkages, linkageWeights, ioMatrixFromTable, type IoMatrix, type LinkageWeights, type LinkageOptions, type LinkagesResult } from "./linkages.js";
export { buildControls, gapToFrontier, CONTROL_MEASURES, CONTROL_COLUMNS, type ControlMeasure, type ControlsOptions, type ControlsResult, type GapOptions } from "./controls.js";
export { winsorize, type WinsorizeOptions, type WinsorizeResult, type WinsorizeBounds } from "./winsorize.js";
export { buildStudyData, type StudyInputs, type StudyDataOptions, type StudyData } from "./study-data.js";
export { generateGravityPanel, GRAVITY_PLANTED, type GravityPanelOptions } from "./gravity-panel.js";
export { generateStudyPanel, STUDY_DEFAULT_SEED, type StudyPanel, type StudyPanelOptions } from "./study-panel.js";
export { STUDY_DGP } from "./study-dgp.js";
export { STUDY_PLANTED, STUDY_CONTROLS, STUDY_FIXED_EFFECTS, STUDY_CLUSTER, plantedEffects, totalEffect, type PlantedEffect, type StudyPlanted } from "./planted.js";
export { reproduceStudy, formatPlantedCheck, type ReproduceOptions, type ReproduceResult, type ReproduceTable, type PlantedCheck } from "./reproduce.js";
export { REPRODUCE_PANEL_COLUMNS, type ReproduceData, type ReproduceInput } from "./reproduce-inputs.js";
