import type { Arena } from "../../engine/arena.js";
import { isAbsorbed } from "../absorbed.js";
import type { Kernels } from "../../engine/kernels.js";
import { EstimationError } from "../../core/errors.js";
import { choleskyDropping, inverseFactor, solveFactor } from "../../linalg/cholesky.js";
import { cholLower, eigenAscending, invSpd, lowerInverse, mat, mul, pick, quadInv, solveSpd, sub, transpose, type Mat } from "../../linalg/dense.js";
import { coefficientTable } from "../../vcov/coefficients.js";
import { computeVcov } from "../../vcov/compute.js";
import { countK } from "../../vcov/ssc.js";
import { chisqPValue, fPValue } from "../../core/distributions.js";
import { defaultLag, scoreMeat, type MeatRequest } from "../../vcov/meat.js";
import { columnPtr, type ModelMatrix } from "../model-matrix.js";
import type { DemeanedContext, LinearSolver } from "./solver.js";
import {COLLINEAR_TOL } from "../least-squares.js";
import { computeRequest, effectSizes, vcovInfo, type VcovSpec } from "../../vcov/spec.js";
import { fittedModel } from "../postestimation.js";
import { IvResult, type ChisqTest, type FirstStage, type FTest, type IvDiagnostics } from "../iv-result.js";

/** A block of contiguous columns in the arena. */
interface Block {
  readonly ptr: number;
  readonly cols: number;
}

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
  solve: (ctx, m, regressors) => solveIv(ctx, m, regressors),
};

async function solveIv(ctx: DemeanedContext, m: ModelMatrix, regressors: readonly string[]): Promise<IvResult> {
  const { k, arena, spec, frame, sample, ssc, tol, maxIter, threads, absorbed } = ctx;
  const endoNames = spec.endogenous;
  const instNames = spec.instruments;
  const n = m.n;
  const w = m.weights;
  const hasFe = sample.fixedEffects.length > 0;
  const p = regressors.length;
  const kEndo = endoNames.length;
  const width = m.names.length;
  // Column indices in the model matrix.
  const Y = 0;
  const exogCol = (j: number) => 1 + j;
  const endoCol = (j: number) => 1 + p + j;
  const instCol = (j: number) => 1 + p + kEndo + j;
  const feNames = sample.fixedEffects.map((fe) => fe.name).join(" + ");

  const absorbedColumn = (c: number): boolean => hasFe && isAbsorbed(k.dot(n, columnPtr(m, c), columnPtr(m, c), w), m.rawSpread[c]);

  // Cross-products of every column: C[a][b] = Σ w m_a m_b.
  const cPtr = arena.allocF64(width * width);
  k.crossprod(n, width, m.block, w, cPtr);
  const C = arena.f64(cPtr, width * width).slice();

  // Exogenous regressors: absorbed or collinear ones are dropped (the later of a collinear pair).
  const warnings: string[] = [];
  const dropped: string[] = [];
  const exogAbsorbed = new Set<number>();
  for (let j = 0; j < p; j++) if (absorbedColumn(exogCol(j))) exogAbsorbed.add(j);
  const keptExog = keptAmong(C, width, [], Array.from({ length: p }, (_, j) => exogCol(j)), (j) => exogAbsorbed.has(j - 1));
  for (let j = 0; j < p; j++) if (!keptExog.includes(exogCol(j))) dropped.push(regressors[j]);

  // Endogenous regressors must vary within the fixed effects and not be collinear with the exogenous ones.
  for (let j = 0; j < kEndo; j++) {
    if (absorbedColumn(endoCol(j))) {
      throw new EstimationError("singular", `the endogenous regressor "${endoNames[j]}" is absorbed by the fixed effects (${feNames}): nothing is left to instrument`);
    }
  }
  const keptEndoCheck = keptAmong(C, width, keptExog, Array.from({ length: kEndo }, (_, j) => endoCol(j)), () => false);
  if (keptEndoCheck.length < kEndo) {
    const bad = endoNames.filter((_, j) => !keptEndoCheck.includes(endoCol(j)));
    throw new EstimationError("singular", `the endogenous regressor${bad.length > 1 ? "s" : ""} ${bad.map((b) => `"${b}"`).join(", ")} ${bad.length > 1 ? "are" : "is"} collinear with the exogenous regressors`);
  }

  // Instruments: absorbed by the fixed effects, or collinear with the exogenous regressors (or each other).
  const instAbsorbed = instNames.filter((_, j) => absorbedColumn(instCol(j)));
  const keptInst = keptAmong(C, width, keptExog, Array.from({ length: instNames.length }, (_, j) => instCol(j)), (c) => instAbsorbed.includes(instNames[c - instCol(0)]));
  const droppedInst = instNames.filter((_, j) => !keptInst.includes(instCol(j)));
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

  const name = (c: number): string => (c === Y ? spec.depvar : c <= p ? regressors[c - 1] : c <= p + kEndo ? endoNames[c - 1 - p] : instNames[c - 1 - p - kEndo]);
  const intercept = keptExog.filter((c) => name(c) === "(Intercept)");
  const otherExog = keptExog.filter((c) => name(c) !== "(Intercept)");
  const endo = Array.from({ length: kEndo }, (_, j) => endoCol(j));
  const l = keptInst.length;

  // First-stage design A = [(Intercept), instruments, other exogenous] (fixest's order).
  const aIdx = [...intercept, ...keptInst, ...otherExog];
  const A = copyBlock(arena, m, aIdx);
  const AtA = pick(C, width, aIdx, aIdx);
  const aFactor = choleskyDropping(AtA.data, aIdx.length, 0);
  if (aFactor.kept.length < aIdx.length) throw new EstimationError("singular", "the first-stage design [instruments, exogenous regressors] is singular");
  const aBread = inverseFactor(aFactor);

  // First stages: π_j, residuals v_j = x_j − A π_j, fitted x̂_j = x_j − v_j.
  const V = arena.allocF64(n * kEndo, "first-stage residuals");
  const pis: Float64Array[] = [];
  const fsSsr: number[] = [];
  for (let j = 0; j < kEndo; j++) {
    const rhs = aIdx.map((c) => C[c * width + endo[j]]);
    const pi = solveFactor(aFactor, rhs);
    pis.push(pi);
    k.residuals(n, aIdx.length, A.ptr, arena.putF64(pi), columnPtr(m, endo[j]), V + j * n * 8);
    fsSsr.push(k.dot(n, V + j * n * 8, V + j * n * 8, w));
  }

  // Second stage on X2 = [(Intercept), x̂, other exogenous].
  const k2 = intercept.length + kEndo + otherExog.length;
  const X2 = arena.allocF64(n * k2, "second-stage regressors");
  {
    let j = 0;
    for (const c of intercept) arena.f64(X2 + j++ * n * 8, n).set(arena.f64(columnPtr(m, c), n));
    for (let e = 0; e < kEndo; e++) {
      const out = arena.f64(X2 + j++ * n * 8, n);
      const x = arena.f64(columnPtr(m, endo[e]), n);
      const v = arena.f64(V + e * n * 8, n);
      for (let i = 0; i < n; i++) out[i] = x[i] - v[i];
    }
    for (const c of otherExog) arena.f64(X2 + j++ * n * 8, n).set(arena.f64(columnPtr(m, c), n));
  }
  const secondNames = [...intercept.map(name), ...endoNames, ...otherExog.map(name)];
  const structIdx = [...intercept, ...endo, ...otherExog];
  const x2tx2Ptr = arena.allocF64(k2 * k2);
  k.crossprod(n, k2, X2, w, x2tx2Ptr);
  const x2tx2 = arena.f64(x2tx2Ptr, k2 * k2).slice();
  const x2tyPtr = arena.allocF64(k2);
  k.crossprod_vec(n, k2, X2, columnPtr(m, Y), w, x2tyPtr);
  const secondFactor = choleskyDropping(x2tx2, k2, COLLINEAR_TOL);
  if (secondFactor.kept.length < k2) {
    const bad = secondFactor.dropped.map((c) => secondNames[c]);
    throw new EstimationError("singular", `the second stage is singular: ${bad.join(", ")} collinear with the fitted endogenous regressors; drop ${bad.length > 1 ? "them" : "it"} or use other instruments`);
  }
  const beta = solveFactor(secondFactor, arena.f64(x2tyPtr, k2));
  const bread = inverseFactor(secondFactor);
  // Structural residuals: e = y − X2 β − Σ_j β_endo_j v_j (since x̂ = x − v).
  const e = arena.allocF64(n, "structural residuals");
  k.residuals(n, k2, X2, arena.putF64(beta), columnPtr(m, Y), e);
  {
    const ev = arena.f64(e, n);
    for (let j = 0; j < kEndo; j++) {
      const b = beta[intercept.length + j];
      const v = arena.f64(V + j * n * 8, n);
      for (let i = 0; i < n; i++) ev[i] -= b * v[i];
    }
  }
  const ssr = k.dot(n, e, e, w);
  const effects = effectSizes(ctx.vreq, sample);
  const dfK = countK(k2, effects, ssc);
  if (n - dfK <= 0) throw new EstimationError("singular", `${n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
  const vreq = computeRequest(ctx.vreq, sample);
  const vc = computeVcov(k, arena, vreq, { n, k: k2, x: X2, e, w, bread, ssr, dfK, ssc });

  // First stages' inference under the model's vcov.
  const dfKFirst = countK(aIdx.length, effects, ssc);
  const aNames = aIdx.map(name);
  const instPos = aIdx.map((c, i) => (keptInst.includes(c) ? i : -1)).filter((i) => i >= 0);
  const exogIdx = [...intercept, ...otherExog];
  const firstStages: FirstStage[] = endo.map((xc, j) => {
    const fv = computeVcov(k, arena, vreq, { n, k: aIdx.length, x: A.ptr, e: V + j * n * 8, w, bread: aBread, ssr: fsSsr[j], dfK: dfKFirst, ssc });
    const df2 = Math.max(n - dfKFirst, 1);
    const ssr0 = ssrOn(C, width, exogIdx, xc);
    const f = (ssr0 - fsSsr[j]) / l / (fsSsr[j] / df2);
    const piZ = instPos.map((i) => pis[j][i]);
    const vzz = pick(fv.matrix, aIdx.length, instPos, instPos);
    const wald = (quadInv(piZ, vzz) ?? Infinity) / l;
    return {
      endogenous: endoNames[j],
      coefficients: coefficientTable(aNames, pis[j], fv.matrix, fv.dfT),
      vcovMatrix: fv.matrix,
      dfT: fv.dfT,
      ssr: fsSsr[j],
      ivf1: { stat: f, p: fPValue(f, l, df2), df1: l, df2 },
      ivwald1: { stat: wald, p: fPValue(wald, l, df2), df1: l, df2 },
    };
  });

  // Reduced form: y on A.
  const gamma = solveFactor(aFactor, aIdx.map((c) => C[c * width + Y]));
  const rfResid = arena.allocF64(n, "reduced-form residuals");
  k.residuals(n, aIdx.length, A.ptr, arena.putF64(gamma), columnPtr(m, Y), rfResid);
  const rfVcov = computeVcov(k, arena, vreq, { n, k: aIdx.length, x: A.ptr, e: rfResid, w, bread: aBread, ssr: k.dot(n, rfResid, rfResid, w), dfK: dfKFirst, ssc });

  // Diagnostics.
  const meatReq = meatRequest(ctx.vreq, vreq);
  const clusterG = vreq.type === "cluster" ? Math.min(...sample.clusters.map((c) => c.size)) : null;
  const ones = arena.allocF64(n, "ones");
  arena.f64(ones, n).fill(1);
  const partial = partialledCrossProducts(C, width, exogIdx, endo, keptInst);
  const cd = craggDonald(partial, n, kEndo, l);
  const Zt = partialBlock(k, arena, m, C, width, exogIdx, keptInst);
  const Xt = partialBlock(k, arena, m, C, width, exogIdx, endo);
  const kpInputs = { k, arena, n, w, ones, meatReq, partial, Zt, kEndo, l };
  const rkWald = kleibergenPaap(kpInputs, { ptr: V, cols: kEndo });
  const rkLm = kleibergenPaap(kpInputs, Xt);
  const waldF = (rkWald * (n - kEndo - l - 1)) / (n * l) * (clusterG ? (clusterG - 1) / clusterG : 1);
  const lmDf = l - kEndo + 1;

  const whFull = countK(k2, effects, { ...ssc, fixefK: "full" });
  const wh = wuHausman(k, arena, m, { X2, k2, intercept: intercept.length, kEndo, endo, w, n, df2: n - (whFull + kEndo) });
  let sargan: ChisqTest | null = null;
  let hansenJ: ChisqTest | null = null;
  if (l > kEndo) {
    const gPtr = arena.allocF64(aIdx.length);
    k.crossprod_vec(n, aIdx.length, A.ptr, e, w, gPtr);
    const g = arena.f64(gPtr, aIdx.length).slice();
    let gq = 0;
    const z = solveFactor(aFactor, g);
    for (let i = 0; i < g.length; i++) gq += g[i] * z[i];
    // n·R² of e on A, written without cancellation: TSS − SSR_A = gq − Σw·ē² (ē the weighted mean).
    const { tss, meanSquares } = centredSquares(arena, n, e, w);
    const stat = (n * (gq - meanSquares)) / tss;
    sargan = { stat, p: chisqPValue(stat, l - kEndo), df: l - kEndo };
    const S =
      meatReq === null
        ? { rows: aIdx.length, cols: aIdx.length, data: AtA.data.map((v) => (v * ssr) / n) }
        : { rows: aIdx.length, cols: aIdx.length, data: scoreMeat(k, arena, meatReq, { n, k: aIdx.length, x: A.ptr, e, w }) };
    const j = hansenJStat(S, pick(C, width, aIdx, structIdx), pick(C, width, aIdx, [Y]));
    hansenJ = j === null ? null : { stat: j, p: chisqPValue(j, l - kEndo), df: l - kEndo };
  }

  const ivf1: Record<string, FTest> = {};
  const ivwald1: Record<string, FTest> = {};
  for (const f of firstStages) {
    ivf1[f.endogenous] = f.ivf1;
    ivwald1[f.endogenous] = f.ivwald1;
  }
  const diagnostics: IvDiagnostics = {
    ivf1,
    ivwald1,
    cd,
    kp: { waldF, rkWald, lm: { stat: rkLm, p: chisqPValue(rkLm, lmDf), df: lmDf } },
    wh,
    sargan,
    hansenJ,
  };

  const model = fittedModel(k, {
    frame, sample, spec, regressors: [...regressors, ...endoNames], keptNames: secondNames, beta, method: absorbed.method, tol, maxIter,
  });
  const withinTss = C[Y * width + Y];
  return new IvResult({
    formula: spec.formula,
    depvar: spec.depvar,
    nobs: n,
    coefficients: coefficientTable(secondNames, beta, vc.matrix, vc.dfT),
    vcov: vcovInfo(ctx.vreq, ssc, vc.lag),
    vcovMatrix: vc.matrix,
    r2: 1 - ssr / m.rawSpread[Y],
    withinR2: hasFe ? 1 - ssr / withinTss : null,
    dfT: vc.dfT,
    dfK,
    fixefSizes: Object.fromEntries(sample.fixedEffects.map((fe) => [fe.name, fe.size])),
    droppedCollinear: dropped,
    droppedRows: sample.dropped,
    iterations: absorbed.iterations,
    converged: absorbed.converged,
    method: absorbed.method,
    threads,
    ssr,
    warnings,
    timings: { estimate: performance.now() - ctx.started },
    model,
    endogenous: endoNames,
    instruments: keptInst.map(name),
    firstStages,
    reducedForm: { coefficients: coefficientTable(aNames, gamma, rfVcov.matrix, rfVcov.dfT), vcovMatrix: rfVcov.matrix, dfT: rfVcov.dfT },
    ivDiagnostics: diagnostics,
  });
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

/** Copies model-matrix columns into a fresh contiguous block. */
function copyBlock(arena: Arena, m: ModelMatrix, cols: readonly number[]): Block {
  const ptr = arena.allocF64(m.n * Math.max(cols.length, 1));
  cols.forEach((c, j) => arena.f64(ptr + j * m.n * 8, m.n).set(arena.f64(columnPtr(m, c), m.n)));
  return { ptr, cols: cols.length };
}

/** Σ w (x − Wb)² of column x regressed on the columns `on`, from the cross-products. */
function ssrOn(C: Float64Array, width: number, on: readonly number[], x: number): number {
  const xx = C[x * width + x];
  if (on.length === 0) return xx;
  const b = solveSpd(pick(C, width, on, on), pick(C, width, on, [x]));
  let fit = 0;
  on.forEach((c, i) => (fit += b.data[i] * C[c * width + x]));
  return xx - fit;
}

interface Partialled {
  /** X̃'X̃, Z̃'Z̃, Z̃'X̃: cross-products of the endogenous regressors and instruments net of the exogenous regressors. */
  readonly xx: Mat;
  readonly zz: Mat;
  readonly zx: Mat;
}

function partialledCrossProducts(C: Float64Array, width: number, exog: readonly number[], endo: readonly number[], inst: readonly number[]): Partialled {
  const raw = (a: readonly number[], b: readonly number[]) => pick(C, width, a, b);
  if (exog.length === 0) return { xx: raw(endo, endo), zz: raw(inst, inst), zx: raw(inst, endo) };
  const ww = raw(exog, exog);
  const net = (a: readonly number[], b: readonly number[]) => sub(raw(a, b), mul(raw(a, exog), solveSpd(ww, raw(exog, b))));
  return { xx: net(endo, endo), zz: net(inst, inst), zx: net(inst, endo) };
}

/**
 * fixest's Cragg–Donald: ((n − k − l − 1)/l) · ρ²/(1 − ρ²) with ρ² the smallest eigenvalue of
 * (X̃'X̃)⁻¹ X̃'Z̃ (Z̃'Z̃)⁻¹ Z̃'X̃ (squared canonical correlations).
 */
function craggDonald(pc: Partialled, n: number, kEndo: number, l: number): number {
  const lx = cholLower(pc.xx);
  if (!lx) return NaN;
  const lxInv = lowerInverse(lx);
  const proj = mul(transpose(pc.zx), solveSpd(pc.zz, pc.zx));
  const s = mul(mul(lxInv, proj), transpose(lxInv));
  const rho2 = eigenAscending(s).values[0];
  return ((n - kEndo - l - 1) / l) * (rho2 / (1 - rho2));
}

/** Endogenous or instrument columns net of the exogenous regressors (after the fixed effects), as a block. */
function partialBlock(k: Kernels, arena: Arena, m: ModelMatrix, C: Float64Array, width: number, exog: readonly number[], cols: readonly number[]): Block {
  const n = m.n;
  const out = arena.allocF64(n * cols.length, "partialled columns");
  const W = copyBlock(arena, m, exog);
  cols.forEach((c, j) => {
    const b = exog.length === 0 ? new Float64Array(0) : solveSpd(pick(C, width, exog, exog), pick(C, width, exog, [c])).data;
    k.residuals(n, exog.length, W.ptr, arena.putF64(b.length ? b : [0]), columnPtr(m, c), out + j * n * 8);
  });
  return { ptr: out, cols: cols.length };
}

function meatRequest(spec: VcovSpec, req: ReturnType<typeof computeRequest>): MeatRequest | null {
  if (spec.type === "iid") return null;
  if (spec.type === "hetero") return { type: "hetero" };
  if (spec.type === "cluster") return { type: "cluster", clusters: req.clusters };
  const panel = req.panel!;
  return { type: spec.type, panel, lag: panel.lag ?? defaultLag(panel.time.size) };
}

interface KpInputs {
  readonly k: Kernels;
  readonly arena: Arena;
  readonly n: number;
  readonly w: number;
  readonly ones: number;
  readonly meatReq: MeatRequest | null;
  readonly partial: Partialled;
  readonly Zt: Block;
  readonly kEndo: number;
  readonly l: number;
}

/**
 * Kleibergen–Paap rk statistic for H0: rank(Π) = k − 1, Π the l×k first-stage coefficients of
 * the excluded instruments (after partialling out the exogenous regressors and fixed effects).
 * Θ = F Π G⁻¹ with F'F = Z̃'Z̃, G'G = X̃'X̃ (ranktest's normalisation); with Θ's smallest singular
 * value s_k, right vector v_k and U⊥ an orthonormal basis of the complement of its first k − 1
 * left vectors, λ = U⊥'Θ v_k and rk = λ'[(v_k'G'⁻¹ ⊗ U⊥'F'⁻¹) M (·)']⁻¹λ, where M is the meat of
 * the scores z̃_i ⊗ r_i (r = first-stage residuals for the Wald form, X̃ itself for the LM form)
 * under the model's vcov type, with no small-sample factor. Under iid errors
 * M = (R'R/n) ⊗ Z̃'Z̃ and the Wald form is n·ρ²/(1 − ρ²) (Cragg–Donald), the LM form n·ρ² (Anderson).
 */
function kleibergenPaap(q: KpInputs, R: Block): number {
  const { k, arena, n, w, kEndo, l } = q;
  const lx = cholLower(q.partial.xx);
  const lz = cholLower(q.partial.zz);
  if (!lx || !lz) return NaN;
  const pi = solveSpd(q.partial.zz, q.partial.zx); // l×k
  const lxInv = lowerInverse(lx);
  const lzInv = lowerInverse(lz);
  // Θ = L_Z' Π L_X'⁻¹ (F = L_Z', G = L_X').
  const theta = mul(mul(transpose(lz), pi), transpose(lxInv));
  const right = eigenAscending(mul(transpose(theta), theta));
  const vk = mat(kEndo, 1, Array.from({ length: kEndo }, (_, r) => right.vectors.data[r * kEndo]));
  const left = eigenAscending(mul(theta, transpose(theta)));
  const dim = l - kEndo + 1;
  // Eigenvectors of ΘΘ' by ascending eigenvalue: the first l − k + 1 span the complement of u_1..u_{k−1}.
  const uPerp = mat(l, dim);
  for (let r = 0; r < l; r++) for (let c = 0; c < dim; c++) uPerp.data[r * dim + c] = left.vectors.data[r * l + c];
  const lambda = mul(mul(transpose(uPerp), theta), vk).data;
  // D = (v_k' L_X⁻¹) ⊗ (U⊥' L_Z⁻¹), index of column (j, a) = j·l + a.
  const a = mul(transpose(vk), lxInv).data; // 1×k
  const b = mul(transpose(uPerp), lzInv); // dim×l
  const lk = l * kEndo;
  const D = mat(dim, lk);
  for (let r = 0; r < dim; r++) for (let j = 0; j < kEndo; j++) for (let c = 0; c < l; c++) D.data[r * lk + j * l + c] = a[j] * b.data[r * l + c];
  let M: Mat;
  const mark = arena.mark();
  try {
    if (q.meatReq === null) {
      const rr = mat(kEndo, kEndo);
      for (let i = 0; i < kEndo; i++) for (let j = 0; j < kEndo; j++) rr.data[i * kEndo + j] = k.dot(n, R.ptr + i * n * 8, R.ptr + j * n * 8, w) / n;
      M = kron(rr, q.partial.zz);
    } else {
      const scores = arena.allocF64(n * lk, "rank-test scores");
      for (let j = 0; j < kEndo; j++) {
        const r = arena.f64(R.ptr + j * n * 8, n);
        for (let c = 0; c < l; c++) {
          const z = arena.f64(q.Zt.ptr + c * n * 8, n);
          const out = arena.f64(scores + (j * l + c) * n * 8, n);
          for (let i = 0; i < n; i++) out[i] = z[i] * r[i];
        }
      }
      M = mat(lk, lk, scoreMeat(k, arena, q.meatReq, { n, k: lk, x: scores, e: q.ones, w }));
    }
  } finally {
    arena.release(mark);
  }
  const vl = mul(mul(D, M), transpose(D));
  return quadInv(lambda, vl) ?? NaN;
}

function kron(a: Mat, b: Mat): Mat {
  const out = mat(a.rows * b.rows, a.cols * b.cols);
  const cols = a.cols * b.cols;
  for (let i = 0; i < a.rows; i++)
    for (let j = 0; j < a.cols; j++)
      for (let r = 0; r < b.rows; r++)
        for (let c = 0; c < b.cols; c++) out.data[(i * b.rows + r) * cols + j * b.cols + c] = a.data[i * a.cols + j] * b.data[r * b.cols + c];
  return out;
}

/**
 * Wu–Hausman as fixest: y on [endogenous, X2] (X2 = [(Intercept), x̂, exogenous]); F test of the
 * x̂ coefficients with the iid variance SSR/df2 · (R'R)⁻¹, df2 = n − (K_full + k), K_full
 * counting every fixed-effect coefficient. Null when the augmented regression is collinear.
 */
function wuHausman(
  k: Kernels,
  arena: Arena,
  m: ModelMatrix,
  q: { X2: number; k2: number; intercept: number; kEndo: number; endo: readonly number[]; w: number; n: number; df2: number },
): FTest | null {
  const { n, kEndo, k2 } = q;
  const width = kEndo + k2;
  const R = arena.allocF64(n * width, "Wu-Hausman regressors");
  q.endo.forEach((c, j) => arena.f64(R + j * n * 8, n).set(arena.f64(columnPtr(m, c), n)));
  arena.f64(R + kEndo * n * 8, n * k2).set(arena.f64(q.X2, n * k2));
  const rr = arena.allocF64(width * width);
  k.crossprod(n, width, R, q.w, rr);
  const RtR = arena.f64(rr, width * width).slice();
  const ry = arena.allocF64(width);
  k.crossprod_vec(n, width, R, columnPtr(m, 0), q.w, ry);
  const Rty = arena.f64(ry, width).slice();
  const f = choleskyDropping(RtR, width, COLLINEAR_TOL);
  if (f.kept.length < width || q.df2 <= 0) return null;
  const b = solveFactor(f, Rty);
  const inv = inverseFactor(f);
  let fit = 0;
  for (let i = 0; i < width; i++) fit += b[i] * Rty[i];
  const ssr = k.dot(n, columnPtr(m, 0), columnPtr(m, 0), q.w) - fit;
  const idx = Array.from({ length: kEndo }, (_, j) => kEndo + q.intercept + j);
  const v = pick(inv, width, idx, idx);
  for (let i = 0; i < v.data.length; i++) v.data[i] *= ssr / q.df2;
  const stat = (quadInv(idx.map((i) => b[i]), v) ?? NaN) / kEndo;
  return { stat, p: fPValue(stat, kEndo, q.df2), df1: kEndo, df2: q.df2 };
}

/**
 * Hansen's J: the efficient two-step GMM criterion with weight S⁻¹, S the meat of the instrument
 * scores a_i e_i (e the 2SLS residuals) under the model's vcov type: β = (X'A S⁻¹ A'X)⁻¹ X'A S⁻¹ A'y,
 * J = g'S⁻¹g with g = A'(y − Xβ). Under iid errors S = σ² A'A and J is the Sargan statistic.
 */
function hansenJStat(S: Mat, AtX: Mat, Aty: Mat): number | null {
  const sInv = invSpd(S, 1e-12);
  if (!sInv) return null;
  const xtAS = mul(transpose(AtX), sInv);
  const b = solveSpd(mul(xtAS, AtX), mul(xtAS, Aty));
  const g = sub(Aty, mul(AtX, b));
  return mul(mul(transpose(g), sInv), g).data[0];
}

function centredSquares(arena: Arena, n: number, x: number, w: number): { tss: number; meanSquares: number } {
  const v = arena.f64(x, n);
  const wv = w ? arena.f64(w, n) : null;
  let sw = 0;
  let sx = 0;
  for (let i = 0; i < n; i++) {
    const wi = wv ? wv[i] : 1;
    sw += wi;
    sx += wi * v[i];
  }
  const mean = sx / sw;
  let s = 0;
  for (let i = 0; i < n; i++) {
    const d = v[i] - mean;
    s += (wv ? wv[i] : 1) * d * d;
  }
  return { tss: s, meanSquares: sw * mean * mean };
}
