import { toFrame, type DataInput } from "../data/input.js";
import type { Frame } from "../data/frame.js";
import { parseFormula, type ModelSpec } from "../formula/parse.js";
import { EstimationError, InputError } from "../core/errors.js";
import { withArena } from "../engine/shared.js";
import { chooseMethod } from "../engine/absorb/plan.js";
import { buildSample, type Sample } from "./sample.js";
import { absorbOptions, type AbsorbOptions } from "./absorb-effects.js";
import { GLM_DEFAULTS, type FeglmOptions } from "./options.js";
import { fitRequest, sampleRequest } from "./request.js";
import { sunabTerm } from "./sunab.js";
import { hasSlopes } from "./absorb-slopes.js";
import { FAMILIES, FAMILY_NAMES, type Family } from "./glm-family.js";
import { separatedByRegressors } from "./glm-separation.js";
import type { FeglmResult } from "./glm-result.js";
import { solveGlm } from "./solvers/glm.js";

/**
 * GLMs with high-dimensional fixed effects by iteratively reweighted least squares (IRLS), as
 * fixest's feglm: each iteration forms the working response z = η − offset + (y − μ)/μ'(η) and
 * weights w = w_prior · μ'(η)²/V(μ), projects z and the regressors off the fixed effects with
 * those weights (the same demeaning as feols: exact, cg or map, on the pool), solves the
 * weighted least squares and sets η = z − residual + offset. It stops when the deviance's
 * relative change |dev − dev_old| / (0.1 + |dev|) is below glmTol, halving the step (as fixest)
 * while the deviance is not finite, rises, or μ leaves the family's range.
 *
 * The demeaning is exact for the exact method; for cg and map its tolerance (tol, default 1e-8)
 * bounds the relative error of every projected column, so each weighted least squares is
 * solved to that accuracy and the coefficients carry an error of that order. The IRLS default
 * glmTol is 1e-12 (fixest's 1e-8) because the deviance moves with the square of the
 * coefficients' step: at 1e-8 the probit reference case stops 1.6e-5 (relative) short in its
 * coefficients, at 1e-12 within 1e-13, for one more iteration.
 */
export async function feglm(data: DataInput, formula: string, options: FeglmOptions = {}): Promise<FeglmResult> {
  const started = performance.now();
  const data0 = toFrame(data);
  // As feols: columns checked before the formula expands; transforms and lags become columns of the model frame.
  const spec = parseFormula(formula, data0.columns);
  const { family, glmTol, glmIter } = glmSettings(spec, formula, options);
  const offset = options.offset ? [options.offset] : [];
  const request = fitRequest(data0, [spec], options, { columns: offset });
  const { frame, ssc, vreq } = request;
  checkOutcome(frame, spec.depvar, family, request.subset);
  const rows = sampleRequest(request, [spec], {
    numeric: offset,
    separation: family.outcome === "real" ? undefined : { outcome: spec.depvar, kind: family.outcome },
  });
  let sample = await buildSample(rows);
  const demeaning = glmDemeaning(absorbOptions(options), sample);
  // One arena for the whole call (fits, the separation check, the refit): see engine/shared.ts.
  return withArena(async (arena, k) => {
    const fit = async (warnings: string[]): Promise<{ result: FeglmResult; suspect: boolean }> => {
      const mark = arena.mark();
      try {
        return await solveGlm({ k, arena, frame, spec, sample, family, options, demeaning, glmTol, glmIter, started, warnings, ssc, vreq });
      } finally {
        arena.release(mark);
      }
    };
    if (family.name !== "poisson") return (await fit([])).result;
    // Separation by the regressors shows as zeros whose fitted mean collapses towards 0 (or as an
    // IRLS that cannot settle): only then is the ReLU check run, and the model refitted without them.
    let first: { result: FeglmResult; suspect: boolean } | null = null;
    let failure: unknown = null;
    try {
      first = await fit([]);
      if (!first.suspect) return first.result;
    } catch (e) {
      if (!(e instanceof EstimationError && e.kind === "convergence")) throw e;
      failure = e;
    }
    const separated = await separatedByRegressors(k, arena, frame, spec, sample, demeaning);
    if (separated.length === 0) {
      if (failure) throw failure;
      return first!.result;
    }
    sample = await buildSample({ ...rows, separation: { ...rows.separation!, rows: separated } });
    const warning = `${separated.length} observation(s) separated by the regressors (outcome 0, perfectly predicted by a combination of regressors and fixed effects) were removed`;
    return (await fit([warning])).result;
  });
}

/** The family and the IRLS's settings, checked, and the models feglm refuses. */
function glmSettings(spec: ModelSpec, formula: string, options: FeglmOptions): { family: Family; glmTol: number; glmIter: number } {
  if (hasSlopes(spec.fixedEffects)) throw new InputError("formula", `varying slopes (${spec.fixedEffects.map((fe) => fe.name).join(" + ")}) are supported for OLS (feols), not GLMs`);
  if (sunabTerm(spec.terms)) throw new InputError("formula", "sunab() is supported for OLS (feols), not yet for GLMs");
  const family = resolveFamily(options.family);
  const glmTol = options.glmTol ?? GLM_DEFAULTS.glmTol;
  const glmIter = options.glmIter ?? GLM_DEFAULTS.glmIter;
  if (!(glmTol > 0 && glmTol < 1)) throw new InputError("option", `glmTol must be between 0 and 1 (got ${glmTol})`);
  if (!(Number.isInteger(glmIter) && glmIter >= 1)) throw new InputError("option", `glmIter must be a positive integer (got ${glmIter})`);
  if (spec.endogenous.length > 0) throw new InputError("formula", `feglm does not estimate IV models: "${formula}" has an IV part; use feols for 2SLS`);
  return { family, glmTol, glmIter };
}

/**
 * "auto" for a GLM: the exact solve while the small effects have few levels (as feols), else
 * map rather than cg: warm-started from the previous IRLS iteration's solution, alternating
 * projections need a handful of sweeps per iteration, and on the gravity panels (exporter-year +
 * importer-year [+ pair]) the whole fit took a third to a sixth of cg's time, whose
 * preconditioner follows the weights. Graphs that mix slowly (worker–firm panels with limited
 * mobility) are the exception: ask for method "cg" there.
 */
function glmDemeaning(o: AbsorbOptions, sample: Sample): AbsorbOptions {
  if (o.method !== "auto") return o;
  const sizes = sample.fixedEffects.map((fe) => fe.size).sort((a, b) => b - a);
  return { ...o, method: chooseMethod("auto", sizes) === "exact" ? "exact" : "map" };
}

/** Poisson regression with fixed effects (PPML): feglm with family "poisson". */
export function fepois(data: DataInput, formula: string, options: Omit<FeglmOptions, "family"> = {}): Promise<FeglmResult> {
  return feglm(data, formula, { ...options, family: "poisson" });
}

function resolveFamily(name: string | undefined): Family {
  if (name === undefined) return FAMILIES.gaussian;
  if (!(FAMILY_NAMES as readonly string[]).includes(name)) {
    throw new InputError("option", `unknown family ${JSON.stringify(name)}: use ${FAMILY_NAMES.map((f) => `"${f}"`).join(", ")}`);
  }
  return FAMILIES[name as Family["name"]];
}

/** Outcomes the family cannot take: negative counts, binary outcomes other than 0/1, all zero. */
function checkOutcome(frame: Frame, depvar: string, family: Family, subset: Uint8Array | null): void {
  const col = frame.columns.get(depvar)!;
  if (col.kind !== "numeric" || family.outcome === "real") return;
  let bad = 0;
  let first = -1;
  let nonzero = 0;
  let present = 0;
  const v = col.values;
  for (let r = 0; r < v.length; r++) {
    const y = v[r];
    if (y !== y || (subset && !subset[r])) continue;
    present++;
    if (y !== 0) nonzero++;
    const ok = family.outcome === "count" ? y >= 0 : y === 0 || y === 1;
    if (!ok && bad++ === 0) first = r;
  }
  if (bad > 0) {
    const need = family.outcome === "count" ? "non-negative (a count or a flow)" : "0 or 1";
    throw new InputError("data", `the outcome "${depvar}" must be ${need} for family ${family.name}, but ${bad} row(s) are not (first at row ${first + 1})`);
  }
  if (present > 0 && nonzero === 0) {
    throw new InputError("data", `the outcome "${depvar}" is 0 in all ${present} rows: a ${family.name} model cannot be estimated`);
  }
}
