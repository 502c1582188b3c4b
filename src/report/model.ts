import { FeolsResult } from "../fit/result.js";
import type { VcovInfo } from "../vcov/info.js";
import { FeglmResult } from "../fit/glm-result.js";
import { InputError } from "../core/errors.js";
import type { Coefficient } from "../vcov/coefficients.js";

/**
 * What the report layer needs from one fitted model. Both a FeolsResult (the library) and a
 * saved `absorb fit --json` output map to it, so tables and plots can be built from either.
 * Statistics that are not available (a standard error of NaN, a JSON null) are NaN.
 */
/** A coefficient as the estimators report it; from a fit JSON, statistics it lacks (a null) are NaN. */
export type ReportCoefficient = Coefficient;

export interface ReportVcov {
  readonly type: string;
  /** Cluster columns (type "cluster"). */
  readonly cluster?: readonly string[];
  /** Lag (Newey–West, Driscoll–Kraay). */
  readonly lag?: number;
}

export interface ReportModel {
  /** Column label; the table's modelLabels option overrides it. */
  readonly label?: string;
  readonly depvar: string;
  readonly formula: string;
  readonly nobs: number;
  readonly r2: number;
  /** null without fixed effects. */
  readonly withinR2: number | null;
  /** Fixed effects (interactions written `a^b`) with their number of levels. */
  readonly fixefSizes: Readonly<Record<string, number>>;
  readonly vcov: ReportVcov;
  readonly coefficients: readonly ReportCoefficient[];
  /** GLMs: the family ("poisson", "logit", …), log-likelihood and pseudo R² (r2 is then NaN, withinR2 null). */
  readonly family?: string;
  readonly loglik?: number;
  readonly pseudoR2?: number;
}

/** Anything a table or plot can be built from: a fit result, a parsed `absorb fit --json` object, or a ReportModel. */
export type ModelSource = FeolsResult | FeglmResult | ReportModel | Readonly<Record<string, unknown>>;

function reportVcov(v: VcovInfo): ReportVcov {
  return v.type === "cluster" ? { type: "cluster", cluster: [...v.cluster] } : v.type === "nw" || v.type === "dk" ? { type: v.type, lag: v.lag } : { type: v.type };
}

/** The report view of a GLM fit (z statistics sit in the coefficients' t). */
export function fromFeglmResult(result: FeglmResult, label?: string): ReportModel {
  return {
    ...(label === undefined ? {} : { label }),
    depvar: result.depvar,
    formula: result.formula,
    nobs: result.nobs,
    r2: Number.NaN,
    withinR2: null,
    fixefSizes: { ...result.fixefSizes },
    vcov: reportVcov(result.vcov),
    coefficients: result.coefficients.map((c) => ({ ...c })),
    family: result.family,
    loglik: result.loglik,
    pseudoR2: result.pseudoR2,
  };
}

/** The report view of a library fit. */
export function fromFeolsResult(result: FeolsResult, label?: string): ReportModel {
  const vcov = reportVcov(result.vcov);
  return {
    ...(label === undefined ? {} : { label }),
    depvar: result.depvar,
    formula: result.formula,
    nobs: result.nobs,
    r2: result.r2,
    withinR2: result.withinR2,
    fixefSizes: { ...result.fixefSizes },
    vcov,
    coefficients: result.coefficients.map((c) => ({ ...c })),
  };
}

const HOW_TO_MAKE = 'make one with: absorb fit --data FILE --formula "y ~ x | fe" --json > fit.json';

/**
 * The report view of a parsed `absorb fit --json` output. `source` names it in errors (a file
 * name). A field that is missing or of the wrong type is an InputError("file") naming the field.
 */
export function fromFitJson(json: unknown, source = "the input", label?: string): ReportModel {
  const bad = (what: string): never => {
    throw new InputError("file", `${source} is not an absorb fit JSON: ${what} (${HOW_TO_MAKE})`);
  };
  if (json === null || typeof json !== "object" || Array.isArray(json)) bad("it is not a JSON object");
  const o = json as Record<string, unknown>;
  if ("error" in o && !("coefficients" in o)) {
    const e = o.error as { message?: unknown } | null;
    bad(`it is the error output of a failed fit${e && typeof e.message === "string" ? ` ("${e.message}")` : ""}`);
  }
  const field = (name: string, ok: (x: unknown) => boolean, expected: string): unknown => {
    if (!(name in o)) bad(`field "${name}" is missing`);
    if (!ok(o[name])) bad(`field "${name}" should be ${expected}`);
    return o[name];
  };
  const isNum = (x: unknown) => typeof x === "number";
  const isNumOrNull = (x: unknown) => typeof x === "number" || x === null;
  const isObject = (x: unknown) => x !== null && typeof x === "object" && !Array.isArray(x);

  const formula = field("formula", (x) => typeof x === "string", "a string") as string;
  const nobs = field("nobs", isNum, "a number") as number;
  const coefs = field("coefficients", Array.isArray, "an array") as unknown[];
  const family = typeof o.family === "string" ? o.family : undefined;
  const r2 = family ? null : (field("r2", isNumOrNull, "a number") as number | null);
  const withinR2 = family ? null : (field("within_r2", isNumOrNull, "a number or null") as number | null);
  const fixef = field("fixef_sizes", isObject, "an object") as Record<string, unknown>;
  const vcovJson = field("vcov", (x) => isObject(x) && typeof (x as { type?: unknown }).type === "string", 'an object with a "type"') as Record<string, unknown>;

  const num = (x: unknown): number => (typeof x === "number" ? x : Number.NaN);
  const coefficients = coefs.map((c, i): ReportCoefficient => {
    if (!isObject(c)) bad(`coefficients[${i}] is not an object`);
    const r = c as Record<string, unknown>;
    // GLM fits with normal inference carry z in place of t.
    const stat = family && "z" in r ? "z" : "t";
    for (const k of ["name", "estimate", "se", stat, "p"]) if (!(k in r)) bad(`field "coefficients[${i}].${k}" is missing`);
    if (typeof r.name !== "string") bad(`field "coefficients[${i}].name" should be a string`);
    if (!isNumOrNull(r.estimate)) bad(`field "coefficients[${i}].estimate" should be a number`);
    return {
      name: r.name as string,
      estimate: num(r.estimate),
      se: num(r.se),
      t: num(r[stat]),
      p: num(r.p),
      confLow: num(r.conf_low),
      confHigh: num(r.conf_high),
    };
  });
  const fixefSizes: Record<string, number> = {};
  for (const [k, v] of Object.entries(fixef)) fixefSizes[k] = num(v);
  const cluster = Array.isArray(vcovJson.cluster) ? vcovJson.cluster.map(String) : undefined;
  const vcov: ReportVcov = {
    type: vcovJson.type as string,
    ...(cluster ? { cluster } : {}),
    ...(typeof vcovJson.lag === "number" ? { lag: vcovJson.lag } : {}),
  };
  return {
    ...(label === undefined ? {} : { label }),
    depvar: depvarOf(formula),
    formula,
    nobs,
    r2: r2 ?? Number.NaN,
    withinR2,
    fixefSizes,
    vcov,
    coefficients,
    ...(family ? { family, loglik: num(o.loglik), pseudoR2: num(o.pseudo_r2) } : {}),
  };
}

/** The dependent variable of a fixest formula: what stands left of `~`. */
function depvarOf(formula: string): string {
  const i = formula.indexOf("~");
  return i < 0 ? "" : formula.slice(0, i).trim();
}

function isReportModel(x: object): x is ReportModel {
  const o = x as Record<string, unknown>;
  return Array.isArray(o.coefficients) && "fixefSizes" in o && "withinR2" in o && typeof o.nobs === "number";
}

/** Maps any ModelSource to a ReportModel (a FeolsResult, a fit JSON object, or a ReportModel as is). */
export function toReportModel(source: ModelSource, name = "model"): ReportModel {
  if (source instanceof FeolsResult) return fromFeolsResult(source);
  if (source instanceof FeglmResult) return fromFeglmResult(source);
  if (source !== null && typeof source === "object" && isReportModel(source)) return source;
  return fromFitJson(source, name);
}
