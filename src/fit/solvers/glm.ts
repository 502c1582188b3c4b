import type { Frame, NumericColumn } from "../../data/frame.js";
import type { ModelSpec } from "../../formula/parse.js";
import { EstimationError } from "../../core/errors.js";
import { computeVcov } from "../../vcov/compute.js";
import { countK, FIXEST_SSC, type SmallSample } from "../../vcov/ssc.js";
import { coefficientTable } from "../../vcov/coefficients.js";
import type { Arena } from "../../engine/arena.js";
import type { Kernels } from "../../engine/kernels.js";
import type { Sample } from "../sample.js";
import { buildModelMatrix, centredSquares, columnPtr, type ModelMatrix } from "../model-matrix.js";
import { absorbFixedEffects, type AbsorbOptions, type AbsorbOutcome, type AbsorbReuse } from "../absorb-effects.js";
import { absorbedRegressors, augmentedGram, leastSquares, type LeastSquares } from "../least-squares.js";
import type { FeglmOptions } from "../options.js";
import { bindVcov, effectSizes, type VcovSpec } from "../../vcov/spec.js";
import { vcovInfo } from "../../vcov/info.js";
import { fittedModel } from "../postestimation.js";
import { nullDeviance, nullLoglik, type Family } from "../glm-family.js";
import { FeglmResult } from "../glm-result.js";

/** One GLM by IRLS on an encoded sample (see feglm in ../glm.ts for the method). */
export interface GlmContext {
  readonly k: Kernels;
  readonly arena: Arena;
  readonly frame: Frame;
  readonly spec: ModelSpec;
  readonly sample: Sample;
  readonly family: Family;
  readonly options: FeglmOptions;
  readonly demeaning: AbsorbOptions;
  readonly glmTol: number;
  readonly glmIter: number;
  readonly started: number;
  readonly warnings: string[];
  readonly ssc: SmallSample;
  readonly vreq: VcovSpec;
}

/** One IRLS weighted least squares in wasm memory: what the next iteration and the vcov need. */
interface WeightedFit {
  readonly ls: LeastSquares;
  /** Raw-regressor indices (into the model matrix's regressors) of ls's columns, in order. */
  readonly columns: readonly number[];
  readonly absorbed: AbsorbOutcome;
}

export async function solveGlm(ctx: GlmContext): Promise<{ result: FeglmResult; suspect: boolean }> {
  const { k, arena, frame, spec, sample, family, options, demeaning, glmTol, glmIter } = ctx;
  const { matrix: raw, regressors } = await buildModelMatrix(k, arena, {
    frame, rows: sample.rows, weights: sample.weights, depvar: spec.depvar, intercept: spec.intercept, terms: spec.terms, extra: [], threads: demeaning.threads,
  });
  const n = raw.n;
  const p = regressors.length;
  if (p === 0) throw new EstimationError("singular", `the model has no regressors to estimate: "${spec.formula}"`);
  arena.ensureTable(n, p + 6);
  const y = arena.f64(columnPtr(raw, 0), n).slice();
  const pw = sample.weights;
  const offset = options.offset ? gather((frame.columns.get(options.offset) as NumericColumn).values, sample.rows) : null;
  const work = arena.allocF64((p + 1) * n, `${p + 1} working columns of ${n} rows`);
  const irlsWeights = arena.allocF64(n, "IRLS weights");
  // Arena: [raw, work, weights | fixed-effect codes and cg preconditioner (kept while reused) | one iteration's].
  const baseMark = arena.mark();
  let iterationMark = baseMark;
  let reuse: AbsorbReuse = {};

  const eta = new Float64Array(n);
  const mu = new Float64Array(n);
  for (let i = 0; i < n; i++) {
    eta[i] = family.linkfun(family.start(y[i], pw ? pw[i] : 1));
    mu[i] = family.linkinv(eta[i]);
  }
  // fixest's reference deviance before the first iteration: every η at 1e-5.
  let devOld = family.deviance(y, new Float64Array(n).fill(family.linkinv(1e-5)), pw);
  let linearOld = new Float64Array(n).fill(1e-5);
  const z = new Float64Array(n);
  const w = new Float64Array(n);
  let columns: readonly number[] = Array.from({ length: p }, (_, j) => j);
  const droppedCollinear: string[] = [];
  let fit: WeightedFit | null = null;
  let dev = NaN;
  let converged = false;
  let iterations = 0;
  let demeanIterations = 0;
  for (let iter = 1; iter <= glmIter; iter++) {
    iterations = iter;
    // A fresh preconditioner when the last one made CG work hard (the weights moved a lot).
    const rebuild = iter === 1 || (fit?.absorbed.method === "cg" && fit.absorbed.iterations > PRECONDITIONER_REUSE_MAX);
    if (rebuild) reuse = {};
    arena.release(rebuild ? baseMark : iterationMark);
    for (let i = 0; i < n; i++) {
      const d = family.muEta(eta[i], mu[i]);
      z[i] = eta[i] - (offset ? offset[i] : 0) + (y[i] - mu[i]) / d;
      w[i] = ((pw ? pw[i] : 1) * d * d) / family.variance(mu[i]);
    }
    fit = await weightedFit(k, arena, { raw, work, irlsWeights, z, w, columns, sample, demeaning, checkAbsorbed: iter === 1, regressors, reuse, keep: rebuild ? (mark) => (iterationMark = mark) : null });
    for (const c of fit.ls.dropped) droppedCollinear.push(regressors[columns[c]]);
    columns = fit.columns;
    demeanIterations = Math.max(demeanIterations, fit.absorbed.iterations);
    const resid = arena.f64(fit.ls.resid, n);
    const linear = new Float64Array(n);
    for (let i = 0; i < n; i++) linear[i] = z[i] - resid[i];
    dev = updateMean(family, y, pw, offset, linear, eta, mu);
    const change = dev - devOld;
    const small = Number.isFinite(dev) && (Math.abs(change) < glmTol || Math.abs(change) / (0.1 + Math.abs(dev)) < glmTol);
    let halved = false;
    if (!small && (!Number.isFinite(dev) || change > 0 || !validMeans(family, mu))) {
      // Step halving towards the previous iteration's linear predictor, as fixest.
      for (let h = 0; h < glmIter && (!Number.isFinite(dev) || dev - devOld > 0 || !validMeans(family, mu)); h++) {
        if (iter === 1 && Number.isFinite(dev) && validMeans(family, mu) && h >= 2) break;
        for (let i = 0; i < n; i++) linear[i] = (linear[i] + linearOld[i]) / 2;
        dev = updateMean(family, y, pw, offset, linear, eta, mu);
        halved = true;
      }
      if (!Number.isFinite(dev) || !validMeans(family, mu)) {
        throw new EstimationError(
          "convergence",
          `IRLS diverged at iteration ${iter} (${Number.isFinite(dev) ? "fitted means out of range" : "non-finite deviance"}) and step halving found no valid step; ` +
            `check for regressors that separate the outcome, or rescale the regressors`,
        );
      }
    }
    // A halved step is not a weighted least squares solution: fixest always iterates once more.
    if (!halved && Math.abs(dev - devOld) / (0.1 + Math.abs(dev)) < glmTol) {
      converged = true;
      break;
    }
    devOld = dev;
    linearOld = linear;
  }
  if (!converged) {
    const msg = `IRLS did not converge within ${glmIter} iterations (glmTol ${glmTol}; last deviance ${dev})`;
    if (!options.allowNonConvergence) {
      throw new EstimationError("convergence", `${msg}; raise glmIter (--glm-iter), loosen glmTol (--glm-tol), or pass allowNonConvergence (--allow-nonconvergence) to get the result anyway`);
    }
    ctx.warnings.push(`${msg}; estimates are approximate`);
  }
  return { result: await glmResult(ctx, { fit: fit!, y, mu, eta, offset, w, dev, converged, iterations, demeanIterations, droppedCollinear, regressors, irlsWeights, work }), suspect: collapsedZeros(y, mu) };
}

/** Poisson: a zero outcome whose fitted mean is below 1e-9 of the outcome's mean, the mark of separation. */
function collapsedZeros(y: Float64Array, mu: Float64Array): boolean {
  let mean = 0;
  for (let i = 0; i < y.length; i++) mean += y[i];
  const floor = (SEPARATION_SUSPECT * mean) / y.length;
  for (let i = 0; i < y.length; i++) if (y[i] === 0 && mu[i] < floor) return true;
  return false;
}

const SEPARATION_SUSPECT = 1e-9;

/** CG iterations past which the next IRLS iteration builds a fresh preconditioner. */
const PRECONDITIONER_REUSE_MAX = 30;

/** μ = g⁻¹(η) for η = linear + offset (written into eta and mu); returns the deviance. */
function updateMean(family: Family, y: Float64Array, pw: Float64Array | null, offset: Float64Array | null, linear: Float64Array, eta: Float64Array, mu: Float64Array): number {
  for (let i = 0; i < y.length; i++) {
    eta[i] = linear[i] + (offset ? offset[i] : 0);
    mu[i] = family.linkinv(eta[i]);
  }
  return family.deviance(y, mu, pw);
}

function gather(values: Float64Array, rows: Int32Array): Float64Array {
  const out = new Float64Array(rows.length);
  for (let i = 0; i < rows.length; i++) out[i] = values[rows[i]];
  return out;
}

function validMeans(family: Family, mu: Float64Array): boolean {
  for (let i = 0; i < mu.length; i++) if (!family.validMu(mu[i])) return false;
  return true;
}

interface WeightedFitRequest {
  readonly raw: ModelMatrix;
  readonly work: number;
  readonly irlsWeights: number;
  readonly z: Float64Array;
  readonly w: Float64Array;
  /** Raw-regressor indices still in the model. */
  readonly columns: readonly number[];
  readonly sample: Sample;
  readonly demeaning: AbsorbOptions;
  /** First iteration: regressors the fixed effects absorb are dropped (as feols drops them). */
  readonly checkAbsorbed: boolean;
  readonly regressors: readonly string[];
  readonly reuse: AbsorbReuse;
  /** Told the arena's top right after the projection when what it built is to be kept for the next iterations. */
  readonly keep: ((mark: number) => void) | null;
}

/** Demeans z and the regressors with the IRLS weights and solves the weighted least squares. */
async function weightedFit(k: Kernels, arena: Arena, q: WeightedFitRequest): Promise<WeightedFit> {
  const { raw, work, z, columns } = q;
  const n = raw.n;
  const width = columns.length + 1;
  arena.f64(q.irlsWeights, n).set(q.w);
  arena.f64(work, n).set(z);
  columns.forEach((c, j) => arena.f64(work + (j + 1) * n * 8, n).set(arena.f64(columnPtr(raw, c + 1), n)));
  const m: ModelMatrix = { n, block: work, names: ["z", ...columns.map((c) => q.regressors[c])], weights: q.irlsWeights, rawSpread: [] };
  const sw = k.sum(n, q.irlsWeights, 0);
  const spread = q.checkAbsorbed ? columns.map((_, j) => centredSquares(k, n, columnPtr(m, j + 1), q.irlsWeights, sw)) : [];
  const absorbed = await absorbFixedEffects(k, arena, m, q.sample.fixedEffects, q.demeaning, q.reuse);
  q.keep?.(arena.mark());
  // One pass gives the cross-products, with the regressors' within spreads on the diagonal.
  const gram = await augmentedGram(k, arena, n, work, columns.length, q.irlsWeights, q.demeaning.threads);
  const absorbedCols = q.checkAbsorbed && q.sample.fixedEffects.length > 0 ? absorbedRegressors(gram, columns.length, (j) => spread[j]) : new Set<number>();
  const ls = await leastSquares(k, arena, { n, y: work, p: width - 1, w: q.irlsWeights, absorbed: absorbedCols, names: m.names.slice(1), gram, threads: q.demeaning.threads });
  return { ls, columns: ls.kept.map((j) => columns[j]), absorbed };
}

interface GlmFinal {
  readonly fit: WeightedFit;
  readonly y: Float64Array;
  readonly mu: Float64Array;
  readonly eta: Float64Array;
  readonly offset: Float64Array | null;
  readonly w: Float64Array;
  readonly dev: number;
  readonly converged: boolean;
  readonly iterations: number;
  readonly demeanIterations: number;
  readonly droppedCollinear: readonly string[];
  readonly regressors: readonly string[];
  readonly irlsWeights: number;
  readonly work: number;
}

async function glmResult(ctx: GlmContext, f: GlmFinal): Promise<FeglmResult> {
  const { k, arena, frame, spec, sample, family, demeaning, ssc, vreq, warnings } = ctx;
  const n = f.y.length;
  const { ls } = f.fit;
  const keptNames = f.fit.columns.map((c) => f.regressors[c]);
  const kk = keptNames.length;
  const vcov = bindVcov(vreq, sample);
  const dfK = countK(kk, effectSizes(vcov, sample.fixedEffects), ssc);
  if (n - dfK <= 0) {
    throw new EstimationError("singular", `${n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
  }
  const resid = arena.f64(ls.resid, n);
  let wrr = 0;
  for (let i = 0; i < n; i++) wrr += f.w[i] * resid[i] * resid[i];
  // fixest's Gaussian dispersion: Σ w e² over n minus every coefficient (fixed effects counted in full).
  const allParams = countK(kk, sample.fixedEffects.map((fe) => ({ size: fe.size, nestedInCluster: false })), FIXEST_SSC);
  const dispersion = family.unitDispersion ? 1 : wrr / Math.max(n - allParams, 1);
  const vc = await computeVcov(k, arena, vcov, {
    n, k: kk, x: f.work + n * 8, e: ls.resid, w: f.irlsWeights, bread: ls.bread, ssr: wrr, dfK, ssc, dispersion,
  }, ctx.demeaning.threads);
  const dfT = family.unitDispersion ? Infinity : vc.dfT;
  const pw = sample.weights;
  const loglik = family.loglik(f.y, f.mu, pw);
  const llNull = nullLoglik(family, f.y, pw, loglik - family.loglikKernel(f.y, f.mu, pw));
  if (f.droppedCollinear.length > 0) warnings.push(`dropped as collinear${sample.fixedEffects.length > 0 ? " (or absorbed by the fixed effects)" : ""}: ${f.droppedCollinear.join(", ")}`);
  // The fixed effects are those of the linear predictor net of the offset: η − offset − Xβ.
  const linear = f.eta.slice();
  if (f.offset) for (let i = 0; i < n; i++) linear[i] -= f.offset[i];
  const model = fittedModel(k, {
    frame, sample, spec, regressors: f.regressors, keptNames, beta: ls.beta, method: f.fit.absorbed.method, tol: demeaning.tol, maxIter: demeaning.maxIter, target: linear,
  });
  return new FeglmResult({
    formula: spec.formula,
    depvar: spec.depvar,
    family: family.name,
    nobs: n,
    coefficients: coefficientTable(keptNames, ls.beta, vc.matrix, dfT),
    vcov: vcovInfo(vreq, ssc, vc.lag),
    vcovMatrix: vc.matrix,
    loglik,
    nullLoglik: llNull,
    deviance: f.dev,
    nullDeviance: nullDeviance(family, f.y, pw),
    pseudoR2: 1 - loglik / llNull,
    dispersion,
    dfT,
    dfK,
    fixefSizes: Object.fromEntries(sample.fixedEffects.map((fe) => [fe.name, fe.size])),
    droppedCollinear: f.droppedCollinear,
    droppedRows: sample.dropped,
    iterations: f.iterations,
    converged: f.converged,
    demeanIterations: f.demeanIterations,
    method: f.fit.absorbed.method,
    threads: demeaning.threads,
    offset: ctx.options.offset ?? null,
    warnings,
    timings: { estimate: performance.now() - ctx.started },
    model,
    fit: { y: f.y, eta: f.eta, mu: f.mu, weights: pw },
  });
}
