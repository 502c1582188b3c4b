/**
 * absorb's public API. Estimation: feols. Data: readFrame (CSV, gzip CSV, Parquet, Arrow IPC),
 * or pass an Arrow Table / a record of columns directly.
 */
export { feols } from "./estimators/feols.js";
export type { FeolsOptions, VcovOption } from "./estimators/options.js";
export { FeolsResult, type Coefficient, type VcovInfo } from "./estimators/result.js";
export type { DroppedRows } from "./estimators/sample.js";
export { readFrame } from "./data/read.js";
export type { Frame, Column, NumericColumn, CategoricalColumn } from "./data/frame.js";
export type { DataInput } from "./data/input.js";
export { parseFormula, parseMultiFormula, type ModelSpec, type Term } from "./formula/parse.js";
export { parsePredicate, evaluatePredicate, type Predicate } from "./data/predicate.js";
export { AbsorbError, InputError, EstimationError, type ErrorKind } from "./errors.js";
export type { SmallSample } from "./inference/ssc.js";
export type { DemeanMethodOption } from "./engine/demean.js";
export { shutdownPool as shutdown } from "./engine/pool.js";
