import type { Frame } from "../data/frame.js";
import type { ModelSpec } from "../formula/parse.js";
import { InputError } from "../core/errors.js";
import { checkThreads, defaultThreads } from "../engine/pool.js";
import { resolveSsc, type SmallSample } from "../vcov/ssc.js";
import { vcovPanelId, vcovRequest, type VcovSpec } from "../vcov/spec.js";
import { modelFrame } from "./model-frame.js";
import type { FeolsOptions } from "./options.js";
import { clusterVariables, type SampleRequest } from "./sample.js";

/**
 * What a fit reads and how, from the call's models and options: the options checked, the model
 * frame (the data's columns, every one named checked to exist, plus the formula's transforms and
 * lags), the small-sample corrections, the vcov's spec and the user's subset as 0/1. Every
 * estimator starts here; sampleRequest then says what the sample of some of its models is made of.
 */
export interface FitRequest {
  readonly frame: Frame;
  readonly specs: readonly ModelSpec[];
  readonly options: FeolsOptions;
  readonly vreq: VcovSpec;
  readonly ssc: SmallSample;
  readonly subset: Uint8Array | null;
}

/**
 * @param data the data as given (the models parsed against its columns)
 * @param columns more columns the call reads, checked with the models' (a GLM's offset, a
 *   resampling cluster, a grouping variable)
 */
export function fitRequest(
  data: Frame,
  specs: readonly ModelSpec[],
  options: FeolsOptions,
  { columns = [] }: { readonly columns?: readonly string[] } = {},
): FitRequest {
  checkOptions(options);
  const ssc = resolveSsc(options.ssc);
  const vreq = vcovRequest(options.vcov, options.panelId);
  const frame = modelFrame(data, specs, { columns: [...vreq.columns.flatMap(clusterVariables), ...columns], panel: vcovPanelId(vreq) }, options);
  const subset = options.subset ? normaliseSubset(options.subset, frame.nrows) : null;
  return { frame, specs, options, vreq, ssc, subset };
}

/** What a sample is made of besides the models' columns, where it differs from the request's. */
export interface SampleScope {
  /** The rows to start from (null: all); default the request's subset. */
  readonly subset?: Uint8Array | null;
  /** Columns encoded as the sample's clusters; default the vcov's. */
  readonly clusters?: readonly string[];
  /** More numeric columns the rows must have (a GLM's offset). */
  readonly numeric?: readonly string[];
  readonly separation?: SampleRequest["separation"];
  /** The frame serves this fit only (it consumes it): see SampleRequest.singleUse. */
  readonly singleUse?: boolean;
}

/** The sample of `specs` (models with the same fixed effects, the first's are used), as buildSample takes it. */
export function sampleRequest(request: FitRequest, specs: readonly ModelSpec[], scope: SampleScope = {}): SampleRequest {
  const { frame, options } = request;
  return {
    frame,
    numeric: [...new Set([...specs.flatMap(numericColumns), ...(scope.numeric ?? [])])],
    categorical: [...new Set(specs.flatMap(factorColumns))],
    fixedEffects: specs[0].fixedEffects,
    clusters: scope.clusters ?? vcovColumns(request),
    weights: options.weights ?? null,
    subset: scope.subset === undefined ? request.subset : scope.subset,
    dropSingletons: (options.fixefRm ?? "singleton") === "singleton",
    ...(scope.separation ? { separation: scope.separation } : {}),
    singleUse: scope.singleUse ?? false,
    threads: options.threads ?? defaultThreads(),
  };
}

/** Columns the vcov needs encoded over the sample: its cluster variables, or the panel id and time. */
export function vcovColumns(request: FitRequest): readonly string[] {
  return request.vreq.columns;
}

/** The vcov's first cluster variable, when it clusters (the default resampling unit). */
export function firstCluster(request: FitRequest): string | undefined {
  return request.vreq.type === "cluster" ? request.vreq.cluster[0] : undefined;
}

function checkOptions(o: FeolsOptions): void {
  if (o.tol !== undefined && !(o.tol > 0 && o.tol < 1)) throw new InputError("option", `tol must be between 0 and 1 (got ${o.tol})`);
  if (o.maxIter !== undefined && !(Number.isInteger(o.maxIter) && o.maxIter >= 1))
    throw new InputError("option", `maxIter must be a positive integer (got ${o.maxIter})`);
  if (o.fixefRm !== undefined && o.fixefRm !== "singleton" && o.fixefRm !== "none")
    throw new InputError("option", `fixefRm must be "singleton" or "none" (got ${JSON.stringify(o.fixefRm)})`);
  checkThreads(o.threads);
  if (o.method !== undefined && !["auto", "map", "exact", "cg"].includes(o.method))
    throw new InputError("option", `method must be "auto", "map", "exact" or "cg" (got ${JSON.stringify(o.method)})`);
}

/** Columns the model reads as numbers: the dependent variable, the regressors' variables, instruments, slope variables. */
export function numericColumns(spec: ModelSpec): string[] {
  const cols = [spec.depvar];
  for (const t of spec.terms) {
    if (t.kind === "variable") cols.push(t.name);
    else if (t.kind === "interaction") cols.push(...t.variables);
    else if (t.kind === "sunab") cols.push(t.cohort, t.period);
    else if (t.by) cols.push(t.by);
  }
  return [...new Set([...cols, ...spec.endogenous, ...spec.instruments, ...spec.fixedEffects.flatMap((fe) => fe.slopes ?? [])])];
}

/** Columns the model uses as categories (the variables of i() and factor()). */
export function factorColumns(spec: ModelSpec): string[] {
  return spec.terms.flatMap((t) => (t.kind === "factor" ? [t.variable] : []));
}

function normaliseSubset(s: Uint8Array | readonly boolean[], nrows: number): Uint8Array {
  if (s.length !== nrows) throw new InputError("option", `subset has ${s.length} entries but the data has ${nrows} rows`);
  return s instanceof Uint8Array ? s : Uint8Array.from(s, (b) => (b ? 1 : 0));
}
