/**
 * absorb's public API. Estimation: feols. Data: readFrame (CSV, gzip CSV, Parquet, Arrow IPC),
 * or pass an Arrow Table / a record of columns directly. The trade study absorb was built for (its
 * builders, synthetic panels and reproduceStudy) is the subpath entry `absorb/study` (study/index.ts).
 */
export { feols } from "./fit/feols.js";
export { feglm, fepois } from "./fit/glm.js";
export { FeglmResult, type GlmSampleFit } from "./fit/glm-result.js";
export { glmFitted, glmResiduals, glmPredict, type GlmScale, type GlmResidualType } from "./fit/glm-postestimation.js";
export type { FamilyName } from "./fit/glm-family.js";
export { feolsOutOfCore, type OutOfCoreSource, type OutOfCoreOptions, type OutOfCoreResult, type ScanStats, type DuckDBSettings } from "./outofcore/entry.js";
export { feolsClickHouse, type ClickHouseSource } from "./outofcore/clickhouse-fit.js";
export { type ScriptOptions, type SufficientStatsResult, type StatsResults, parseStats, formatStats } from "./outofcore/sufficient-stats.js";
export { printPlan, feolsFromSufficientStats, DIALECTS, type DialectName } from "./outofcore/printed.js";
export { feolsMulti, FeolsMulti, type MultiOptions, type MultiFit, type MultiSample } from "./fit/multi.js";
export { mediation, sobelTest, MediationResult, type MediationOptions, type MediationBootstrap, type SobelTest } from "./resampling/mediation.js";
export {
  heterogeneity,
  HeterogeneityResult,
  type HeterogeneityOptions,
  type GroupEstimate,
  type GroupDifference,
  type PermutationTest,
} from "./resampling/heterogeneity.js";
export type { FeolsOptions, FeglmOptions } from "./fit/options.js";
export type { VcovOption } from "./vcov/spec.js";
export type { VcovInfo } from "./vcov/info.js";
export { FeolsResult, type Coefficient } from "./fit/result.js";
export type { DroppedRows } from "./fit/sample.js";
export { readFrame, type DataSource } from "./data/read.js";
export type { Frame, Column, NumericColumn, CategoricalColumn } from "./data/frame.js";
export type { DataInput } from "./data/input.js";
export { parseFormula, parseMultiFormula, type ModelSpec, type Term } from "./formula/parse.js";
export { parsePredicate, evaluatePredicate, type Predicate } from "./data/predicate.js";
export { AbsorbError, InputError, EstimationError, InternalError, type ErrorKind } from "./core/errors.js";
export { FIXEST_SSC, REGHDFE_SSC, type SmallSample, type SscOption } from "./vcov/ssc.js";
export { IvResult, type FirstStage, type ReducedForm, type IvDiagnostics } from "./fit/iv-result.js";
export type { FTest, ChisqTest } from "./diagnostics/iv-statistics.js";
export { fixef, residuals, fitted, predict, sampleRows, type FixefTable, type Prediction, type AlignOption } from "./fit/postestimation.js";
export { wald, type Restrictions, type WaldTest } from "./diagnostics/wald.js";
export { wildBootstrap, type WildBootstrapOptions, type WildBootstrapResult } from "./resampling/wild-bootstrap.js";
export type { DemeanMethodOption } from "./engine/absorb/plan.js";
export { shutdownPool as shutdown } from "./engine/pool.js";
export { theil, type TheilOptions, type DecomposeOption } from "./inequality/theil.js";
export {
  TheilResult,
  type TheilGroup,
  type TheilDecomposition,
  type DecompositionGroup,
  type DecompositionPart,
  type StandardErrors,
} from "./inequality/result.js";
export type { Indices, NonpositiveMode } from "./inequality/indices.js";
export type { Split, Splits } from "./inequality/decompose.js";
export type { GroupKey } from "./inequality/grouping.js";
export { buildTable, type RegressionTable, type TableRow, type RowKind, type TableOptions } from "./report/table.js";
export { fromFeolsResult, fromFeglmResult, fromFitJson, toReportModel, type ReportModel, type ReportCoefficient, type ReportVcov, type ModelSource } from "./report/model.js";
export { renderTable, parseTableFormat, TABLE_FORMATS, type TableFormat } from "./report/render.js";
export { renderMarkdown } from "./report/markdown.js";
export { renderLatex } from "./report/latex.js";
export { renderHtml } from "./report/html.js";
export { renderJson } from "./report/json.js";
export { coefPlotSvg, type CoefPlotOptions } from "./report/coefplot.js";
export { writeTable, writeCoefPlot } from "./report/write.js";
export { formatFixed, formatCount, significanceStars, STAR_LEGEND } from "./core/format.js";
export { quantileSorted } from "./core/quantile.js";
