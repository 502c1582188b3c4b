import { isAbsorbed } from "../absorbed.js";
import { EstimationError } from "../../core/errors.js";
import { choleskyDropping, inverseFactor, solveFactor } from "../../linalg/cholesky.js";
import { pick } from "../../linalg/dense.js";
import { coefficientTable } from "../../vcov/coefficients.js";
import { computeVcov, type Vcov } from "../../vcov/compute.js";
import { countK } from "../../vcov/ssc.js";
import { bindVcov, effectSizes, type BoundVcov } from "../../vcov/spec.js";
import { columnAt, copyColumns, type ColumnBlock, type CrossProducts } from "../../diagnostics/column-block.js";
import { firstStageTests, ivStatistics, type FirstStageDesign, type FTest, type IvData } from "../../diagnostics/iv-statistics.js";
import { columnPtr, type ModelMatrix } from "../model-matrix.js";
import { COLLINEAR_TOL } from "../least-squares.js";
import { fittedModel } from "../postestimation.js";
import { IvResult, type FirstStage, type ReducedForm } from "../iv-result.js";
import { linearFitFields, type DemeanedContext, type LinearSolver } from "./solver.js";
import { crossprodInto } from "../../engine/cross-products.js";

/**
 * Two-stage least squares with fixed effects, `y ~ exog | fe | endo ~ inst`, as fixest:
 *
 * - the endogenous regressors and the instruments are extra columns of the one model matrix
 *   (LinearSolver.extraColumns), projected off the fixed effects with the others in one pass;
 *   the cross-products C = M'WM of all of them are formed once and the first stages, second
 *   stage and most diagnostics are solved from C;
 * - first stage j: endogenous_j on [instruments, exogenous]; second stage: y on [fitted
 *   endogenous, exogenous]; the endogenous coefficients are named by the variables themselves
 *   and listed first (after the intercept when there is one);
 * - residuals come from the structural equation, e = y − [endogenous, exogenous]β, for every
 *   vcov type (the bread is the second stage's ([X̂, W]'[X̂, W])⁻¹) and for R²;
 * - the first stages and the reduced form carry the model's vcov and small-sample corrections.
 */
export const ivSolver: LinearSolver<IvResult> = {
  extraColumns: (spec) => [...spec.endogenous, ...spec.instruments],
  rescalesTiny: false,
  solve: solveIv,
};

/** Where the model's columns sit in the model matrix: y at 0, the p regressors, the endogenous regressors, the instruments. */
interface IvLayout {
  readonly p: number;
  readonly kEndo: number;
  readonly exog: (j: number) => number;
  readonly endo: (j: number) => number;
  readonly inst: (j: number) => number;
  readonly name: (c: number) => string;
}

/** The kept columns, split as the stages order them: [(Intercept)], instruments, other exogenous, endogenous. */
interface IvColumns {
  readonly intercept: readonly number[];
  readonly otherExog: readonly number[];
  readonly endo: readonly number[];
  readonly inst: readonly number[];
  /** Regressors and instruments dropped (collinear or absorbed), for the result. */
  readonly dropped: readonly string[];
}

async function solveIv(ctx: DemeanedContext, m: ModelMatrix, regressors: readonly string[]): Promise<IvResult> {
  const { k, arena, spec, frame, sample, ssc, tol, maxIter } = ctx;
  const n = m.n;
  const w = m.weights;
  const p = regressors.length;
  const kEndo = spec.endogenous.length;
  const names = [spec.depvar, ...regressors, ...spec.endogenous, ...spec.instruments];
  const layout: IvLayout = { p, kEndo, exog: (j) => 1 + j, endo: (j) => 1 + p + j, inst: (j) => 1 + p + kEndo + j, name: (c) => names[c] };
  const cPtr = arena.allocF64(m.names.length * m.names.length);
  crossprodInto(k, arena, n, m.names.length, m.block, w, cPtr);
  const gram: CrossProducts = { data: arena.f64(cPtr, m.names.length * m.names.length).slice(), width: m.names.length };
  const warnings: string[] = [];
  const cols = selectColumns(ctx, m, gram, layout, warnings);
  const columns: ColumnBlock = { ptr: m.block, cols: gram.width };
  const data: IvData = { k, arena, n, w, columns, gram };
  const structural = [...cols.intercept, ...cols.endo, ...cols.otherExog];
  const secondNames = structural.map(layout.name);

  const fs = firstStages(data, cols);
  const second = secondStage(data, fs, cols, secondNames);
  const vcov = bindVcov(ctx.vreq, sample);
  const effects = effectSizes(vcov, sample.fixedEffects);
  const dfK = countK(second.design.cols, effects, ssc);
  if (n - dfK <= 0) throw new EstimationError("singular", `${n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
  const vc = await computeVcov(k, arena, vcov, { n, k: second.design.cols, x: second.design.ptr, e: second.residuals, w, bread: second.bread, ssr: second.ssr, dfK, ssc }, ctx.threads);
  const inference = await firstStageInference(ctx, data, fs, cols, vcov, countK(fs.columns.length, effects, ssc), layout);

  const whFull = countK(second.design.cols, effects, { ...ssc, fixefK: "full" });
  const statistics = ivStatistics({
    ...data, vcov, firstStage: fs,
    roles: { exog: [...cols.intercept, ...cols.otherExog], endo: cols.endo, inst: cols.inst },
    secondStage: { design: second.design, intercept: cols.intercept.length },
    structural: { residuals: second.residuals, ssr: second.ssr, columns: structural },
    wuHausmanDf2: n - (whFull + kEndo),
    collinearTol: COLLINEAR_TOL,
  });
  const ivf1: Record<string, FTest> = {};
  const ivwald1: Record<string, FTest> = {};
  for (const f of inference.firstStages) {
    ivf1[f.endogenous] = f.ivf1;
    ivwald1[f.endogenous] = f.ivwald1;
  }

  const model = fittedModel(k, {
    frame, sample, spec, regressors: [...regressors, ...spec.endogenous], keptNames: secondNames, beta: second.beta, method: ctx.absorbed.method, tol, maxIter,
  });
  return new IvResult({
    ...linearFitFields(ctx, m, { ssr: second.ssr, withinTss: gram.data[0], vc, dfK, warnings, model }),
    coefficients: coefficientTable(secondNames, second.beta, vc.matrix, vc.dfT),
    vcovMatrix: vc.matrix,
    droppedCollinear: cols.dropped,
    endogenous: spec.endogenous,
    instruments: cols.inst.map(layout.name),
    firstStages: inference.firstStages,
    reducedForm: inference.reducedForm,
    ivDiagnostics: { ivf1, ivwald1, ...statistics },
  });
}

/**
 * Exogenous regressors absorbed by the fixed effects or collinear are dropped (the later of a
 * collinear pair), as are such instruments; an endogenous regressor that is absorbed or collinear
 * with the exogenous ones, or fewer usable instruments than endogenous regressors, is an error.
 */
function selectColumns(ctx: DemeanedContext, m: ModelMatrix, gram: CrossProducts, layout: IvLayout, warnings: string[]): IvColumns {
  const { k, spec, sample, absorbed, tol, maxIter } = ctx;
  const { p, kEndo } = layout;
  const { data: C, width } = gram;
  const instNames = spec.instruments;
  const hasFe = sample.fixedEffects.length > 0;
  const feNames = sample.fixedEffects.map((fe) => fe.name).join(" + ");
  const absorbedColumn = (c: number): boolean => hasFe && isAbsorbed(k.dot(m.n, columnPtr(m, c), columnPtr(m, c), m.weights), m.rawSpread[c]);

  const dropped: string[] = [];
  const exogAbsorbed = new Set<number>();
  for (let j = 0; j < p; j++) if (absorbedColumn(layout.exog(j))) exogAbsorbed.add(j);
  const keptExog = keptAmong(C, width, [], Array.from({ length: p }, (_, j) => layout.exog(j)), (j) => exogAbsorbed.has(j - 1));
  for (let j = 0; j < p; j++) if (!keptExog.includes(layout.exog(j))) dropped.push(layout.name(layout.exog(j)));

  // Endogenous regressors must vary within the fixed effects and not be collinear with the exogenous ones.
  for (let j = 0; j < kEndo; j++) {
    if (absorbedColumn(layout.endo(j))) {
      throw new EstimationError("singular", `the endogenous regressor "${spec.endogenous[j]}" is absorbed by the fixed effects (${feNames}): nothing is left to instrument`);
    }
  }
  const endo = Array.from({ length: kEndo }, (_, j) => layout.endo(j));
  const keptEndoCheck = keptAmong(C, width, keptExog, endo, () => false);
  if (keptEndoCheck.length < kEndo) {
    const bad = spec.endogenous.filter((_, j) => !keptEndoCheck.includes(layout.endo(j)));
    throw new EstimationError("singular", `the endogenous regressor${bad.length > 1 ? "s" : ""} ${bad.map((b) => `"${b}"`).join(", ")} ${bad.length > 1 ? "are" : "is"} collinear with the exogenous regressors`);
  }

  // Instruments: absorbed by the fixed effects, or collinear with the exogenous regressors (or each other).
  const instAbsorbed = instNames.filter((_, j) => absorbedColumn(layout.inst(j)));
  const keptInst = keptAmong(C, width, keptExog, Array.from({ length: instNames.length }, (_, j) => layout.inst(j)), (c) => instAbsorbed.includes(instNames[c - layout.inst(0)]));
  const droppedInst = instNames.filter((_, j) => !keptInst.includes(layout.inst(j)));
  if (keptInst.length < kEndo) {
    const why = droppedInst
      .map((name) => (instAbsorbed.includes(name) ? `"${name}" is collinear with the fixed effects (${feNames})` : `"${name}" is collinear with the exogenous regressors or the other instruments`))
      .join("; ");
    throw new EstimationError(
      "singular",
      `the model is not identified: instrument ${why}, which leaves ${keptInst.length} usable instrument${keptInst.length === 1 ? "" : "s"} ` +
        `for ${kEndo} endogenous regressor${kEndo === 1 ? "" : "s"}; use instruments that vary within the fixed effects`,
    );
  }
  if (droppedInst.length > 0) {
    warnings.push(`instrument${droppedInst.length > 1 ? "s" : ""} dropped as collinear (with the fixed effects, the exogenous regressors or each other): ${droppedInst.join(", ")}`);
    dropped.push(...droppedInst);
  }
  if (dropped.length > droppedInst.length) {
    warnings.push(`dropped as collinear${hasFe ? " (or absorbed by the fixed effects)" : ""}: ${dropped.filter((d) => !droppedInst.includes(d)).join(", ")}`);
  }
  if (!absorbed.converged) warnings.push(`demeaning did not converge within ${maxIter} iterations (tol ${tol}); estimates are approximate`);
  const isIntercept = (c: number) => layout.name(c) === "(Intercept)";
  return { intercept: keptExog.filter(isIntercept), otherExog: keptExog.filter((c) => !isIntercept(c)), endo, inst: keptInst, dropped };
}

/**
 * Which of `candidates` are kept after `base` (already kept): a candidate goes when it is flagged
 * (absorbed) or its pivot given the earlier columns is relatively zero. Returns the kept
 * candidates (column indices), or for an empty candidate list, [].
 */
function keptAmong(C: Float64Array, width: number, base: readonly number[], candidates: readonly number[], flagged: (c: number) => boolean): number[] {
  const idx = [...base, ...candidates];
  const s = pick(C, width, idx, idx).data;
  const size = idx.length;
  idx.forEach((c, i) => {
    if (i >= base.length && flagged(c)) for (let j = 0; j < size; j++) s[i * size + j] = s[j * size + i] = 0;
  });
  const f = choleskyDropping(s, size, COLLINEAR_TOL);
  return f.kept.filter((i) => i >= base.length).map((i) => idx[i]);
}

interface FirstStages extends FirstStageDesign {
  /** (A'WA)⁻¹. */
  readonly bread: Float64Array;
  /** π_j, the coefficients of endogenous regressor j on A. */
  readonly pis: readonly Float64Array[];
  readonly ssr: readonly number[];
}

/** First stages on A = [(Intercept), instruments, other exogenous]: π_j and the residuals v_j = x_j − A π_j. */
function firstStages(data: IvData, cols: IvColumns): FirstStages {
  const { k, arena, n, w, columns, gram } = data;
  const aIdx = [...cols.intercept, ...cols.inst, ...cols.otherExog];
  const design = copyColumns(arena, columns, n, aIdx);
  const factor = choleskyDropping(pick(gram.data, gram.width, aIdx, aIdx).data, aIdx.length, 0);
  if (factor.kept.length < aIdx.length) throw new EstimationError("singular", "the first-stage design [instruments, exogenous regressors] is singular");
  const bread = inverseFactor(factor);
  const V = arena.allocF64(n * cols.endo.length, "first-stage residuals");
  const pis: Float64Array[] = [];
  const ssr: number[] = [];
  cols.endo.forEach((xc, j) => {
    const pi = solveFactor(factor, aIdx.map((c) => gram.data[c * gram.width + xc]));
    pis.push(pi);
    k.residuals(n, aIdx.length, design.ptr, arena.putF64(pi), columnAt(columns, n, xc), V + j * n * 8);
    ssr.push(k.dot(n, V + j * n * 8, V + j * n * 8, w));
  });
  return { design, columns: aIdx, factor, bread, residuals: { ptr: V, cols: cols.endo.length }, pis, ssr };
}

interface SecondStage {
  /** X2 = [(Intercept), x̂, other exogenous]. */
  readonly design: ColumnBlock;
  readonly beta: Float64Array;
  readonly bread: Float64Array;
  /** Structural residuals e = y − [(Intercept), x, other exogenous]β. */
  readonly residuals: number;
  readonly ssr: number;
}

/** y on X2 = [(Intercept), x̂ = x − v, other exogenous]; the residuals are the structural ones. */
function secondStage(data: IvData, fs: FirstStages, cols: IvColumns, names: readonly string[]): SecondStage {
  const { k, arena, n, w, columns } = data;
  const { intercept, otherExog, endo } = cols;
  const V = fs.residuals.ptr;
  const k2 = intercept.length + endo.length + otherExog.length;
  const X2 = arena.allocF64(n * k2, "second-stage regressors");
  let at = 0;
  for (const c of intercept) arena.f64(X2 + at++ * n * 8, n).set(arena.f64(columnAt(columns, n, c), n));
  endo.forEach((xc, e) => {
    const out = arena.f64(X2 + at++ * n * 8, n);
    const x = arena.f64(columnAt(columns, n, xc), n);
    const v = arena.f64(V + e * n * 8, n);
    for (let i = 0; i < n; i++) out[i] = x[i] - v[i];
  });
  for (const c of otherExog) arena.f64(X2 + at++ * n * 8, n).set(arena.f64(columnAt(columns, n, c), n));
  const x2tx2Ptr = arena.allocF64(k2 * k2);
  crossprodInto(k, arena, n, k2, X2, w, x2tx2Ptr);
  const x2tx2 = arena.f64(x2tx2Ptr, k2 * k2).slice();
  const x2tyPtr = arena.allocF64(k2);
  const y = columnAt(columns, n, 0);
  k.crossprod_vec(n, k2, X2, y, w, x2tyPtr);
  const factor = choleskyDropping(x2tx2, k2, COLLINEAR_TOL);
  if (factor.kept.length < k2) {
    const bad = factor.dropped.map((c) => names[c]);
    throw new EstimationError("singular", `the second stage is singular: ${bad.join(", ")} collinear with the fitted endogenous regressors; drop ${bad.length > 1 ? "them" : "it"} or use other instruments`);
  }
  const beta = solveFactor(factor, arena.f64(x2tyPtr, k2));
  const bread = inverseFactor(factor);
  // Structural residuals: e = y − X2 β − Σ_j β_endo_j v_j (since x̂ = x − v).
  const e = arena.allocF64(n, "structural residuals");
  k.residuals(n, k2, X2, arena.putF64(beta), y, e);
  const ev = arena.f64(e, n);
  endo.forEach((_, j) => {
    const b = beta[intercept.length + j];
    const v = arena.f64(V + j * n * 8, n);
    for (let i = 0; i < n; i++) ev[i] -= b * v[i];
  });
  return { design: { ptr: X2, cols: k2 }, beta, bread, residuals: e, ssr: k.dot(n, e, e, w) };
}

/** The first stages' and the reduced form's coefficients under the model's vcov, and the first-stage F tests. */
async function firstStageInference(
  ctx: DemeanedContext,
  data: IvData,
  fs: FirstStages,
  cols: IvColumns,
  vcov: BoundVcov,
  dfK: number,
  layout: IvLayout,
): Promise<{ firstStages: FirstStage[]; reducedForm: ReducedForm }> {
  const { k, arena, n, w, columns, gram } = data;
  const { ssc } = ctx;
  const aIdx = fs.columns;
  const aNames = aIdx.map(layout.name);
  const instPos = aIdx.map((c, i) => (cols.inst.includes(c) ? i : -1)).filter((i) => i >= 0);
  const exog = [...cols.intercept, ...cols.otherExog];
  const onDesign = (e: number, ssr: number): Promise<Vcov> => computeVcov(k, arena, vcov, { n, k: aIdx.length, x: fs.design.ptr, e, w, bread: fs.bread, ssr, dfK, ssc }, ctx.threads);
  const firstStages: FirstStage[] = [];
  for (const [j, xc] of cols.endo.entries()) {
    const fv = await onDesign(fs.residuals.ptr + j * n * 8, fs.ssr[j]);
    const tests = firstStageTests(gram, {
      exog, endogenous: xc, ssr: fs.ssr[j], df2: Math.max(n - dfK, 1), pi: instPos.map((i) => fs.pis[j][i]), v: pick(fv.matrix, aIdx.length, instPos, instPos),
    });
    firstStages.push({ endogenous: ctx.spec.endogenous[j], coefficients: coefficientTable(aNames, fs.pis[j], fv.matrix, fv.dfT), vcovMatrix: fv.matrix, dfT: fv.dfT, ssr: fs.ssr[j], ...tests });
  }
  // Reduced form: y on A.
  const gamma = solveFactor(fs.factor, aIdx.map((c) => gram.data[c * gram.width]));
  const rfResid = arena.allocF64(n, "reduced-form residuals");
  k.residuals(n, aIdx.length, fs.design.ptr, arena.putF64(gamma), columnAt(columns, n, 0), rfResid);
  const rf = await onDesign(rfResid, k.dot(n, rfResid, rfResid, w));
  return { firstStages, reducedForm: { coefficients: coefficientTable(aNames, gamma, rf.matrix, rf.dfT), vcovMatrix: rf.matrix, dfT: rf.dfT } };
}
