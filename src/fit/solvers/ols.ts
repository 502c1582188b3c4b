import { EstimationError } from "../../core/errors.js";
import { computeVcov } from "../../vcov/compute.js";
import { countK } from "../../vcov/ssc.js";
import { coefficientTable } from "../../vcov/coefficients.js";
import { bindVcov, effectSizes } from "../../vcov/spec.js";
import { columnPtr, type ModelMatrix } from "../model-matrix.js";
import { absorbedRegressors, augmentedGram, CONDITION_WARNING, leastSquares } from "../least-squares.js";
import { FeolsResult } from "../result.js";
import { aggregateSunab, sunabTerm } from "../sunab.js";
import { slopeSizes } from "../absorb-slopes.js";
import { fittedModel } from "../postestimation.js";
import { linearFitFields, type DemeanedContext, type LinearSolver } from "./solver.js";

/** OLS: least squares on the demeaned dependent variable and regressors. */
export const olsSolver: LinearSolver<FeolsResult> = {
  extraColumns: () => [],
  rescalesTiny: true,
  solve: solveDemeaned,
};

/**
 * Solves one OLS model from an already-demeaned model matrix (column 0 the dependent variable,
 * columns 1..p the regressors, contiguous; moved in place as leastSquares keeps columns): the
 * absorbed-column check, least squares, vcov, post-estimation state and the result. The plan
 * (fit/plan.ts) calls it once per model: in place for a group of one (a single feols fit), on
 * columns copied from the group's shared demeaned block otherwise, so both give the same bytes.
 */
async function solveDemeaned(ctx: DemeanedContext, m: ModelMatrix, regressors: readonly string[]): Promise<FeolsResult> {
  const { k, arena, frame, spec, sample, vreq, ssc, tol, maxIter, threads, absorbed, depvarConstant, hook } = ctx;
  const hasFe = sample.fixedEffects.length > 0;
  const p = regressors.length;
  if (p === 0 && !hasFe) throw new EstimationError("singular", `the model has no regressors to estimate: "${spec.formula}"`);
  // One pass gives every cross-product: the regressors' within spreads on its diagonal, y'Wy first.
  const gram = await augmentedGram(k, arena, m.n, columnPtr(m, 0), p, m.weights, threads);
  const withinTss = gram[0];
  const absorbedCols = hasFe ? absorbedRegressors(gram, p, (c) => m.rawSpread[c + 1]) : new Set<number>();
  // y ~ 1 | fe: no coefficients; the residuals are the demeaned y.
  const ls = p === 0
    ? { kept: [], dropped: [], beta: new Float64Array(0), bread: new Float64Array(0), resid: columnPtr(m, 0), ssr: withinTss, condition: 0 }
    : await leastSquares(k, arena, { n: m.n, y: columnPtr(m, 0), p, w: m.weights, absorbed: absorbedCols, names: regressors, gram, threads });
  const keptNames = ls.kept.map((c) => regressors[c]);
  const droppedCollinear = ls.dropped.map((c) => regressors[c]);
  const vcov = bindVcov(vreq, sample);
  const effects = slopeSizes(effectSizes(vcov, sample.fixedEffects), spec.fixedEffects);
  const dfK = countK(ls.kept.length, effects, ssc);
  if (m.n - dfK <= 0) {
    throw new EstimationError("singular", `${m.n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
  }
  const vc = await computeVcov(k, arena, vcov, { n: m.n, k: ls.kept.length, x: columnPtr(m, 1), e: ls.resid, w: m.weights, bread: ls.bread, ssr: ls.ssr, dfK, ssc }, threads);
  // Coefficients of rescaled regressors (tiny values, see ModelMatrix.regressorScales) in the data's units.
  const scales = m.regressorScales ? ls.kept.map((c) => m.regressorScales![c]) : undefined;
  const beta = scales ? ls.beta.map((b, i) => b * scales[i]) : ls.beta;
  const kk = ls.kept.length;
  const vcovMatrix = scales ? vc.matrix.map((v, ij) => v * scales[Math.floor(ij / kk)] * scales[ij % kk]) : vc.matrix;
  const sunab = sunabTerm(spec.terms);
  // sunab(): the cells are estimated, their averages by relative period reported.
  const report = sunab ? aggregateSunab(frame, sunab, sample.rows, sample.weights, keptNames, beta, vcovMatrix, vc.dfT) : null;
  const warnings: string[] = [];
  if (!absorbed.converged) warnings.push(`demeaning did not converge within ${maxIter} iterations (tol ${tol}); estimates are approximate`);
  if (depvarConstant) {
    warnings.push(`the dependent variable ${spec.depvar} is constant over the ${m.n} rows of the sample: every coefficient is 0 and R² is undefined`);
  }
  if (ls.condition > CONDITION_WARNING) {
    warnings.push(
      `the regressors are nearly collinear (condition number ${ls.condition.toPrecision(2)} of X'X with unit-length columns, above ${CONDITION_WARNING}): ` +
        `the last digits of the estimates are unreliable; drop or combine regressors that nearly repeat each other`,
    );
  }
  if (droppedCollinear.length > 0) warnings.push(`dropped as collinear${hasFe ? " (or absorbed by the fixed effects)" : ""}: ${droppedCollinear.join(", ")}`);
  hook?.({ k, arena, n: m.n, x: columnPtr(m, 1), y: columnPtr(m, 0), w: m.weights, names: keptNames, beta: ls.beta, bread: ls.bread, resid: ls.resid, sample, vcov: vreq, ssc, dfK, vc });
  const model = fittedModel(k, {
    frame, sample, spec, regressors, keptNames, beta, method: absorbed.method, tol, maxIter,
  });
  return new FeolsResult({
    ...linearFitFields(ctx, m, { ssr: ls.ssr, withinTss, vc, dfK, warnings, model }),
    coefficients: report ? report.coefficients : coefficientTable(keptNames, beta, vc.matrix, vc.dfT, scales),
    vcovMatrix: report ? report.vcovMatrix : vcovMatrix,
    sunab: report ? { cells: report.cells, att: report.att } : undefined,
    droppedCollinear,
  });
}
