import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { choleskyDropping, inverseFactor, solveFactor, type Factor } from "../linalg/cholesky.js";
import { cholLower, eigenAscending, invSpd, lowerInverse, mat, mul, pick, quadInv, solveSpd, sub, transpose, type Mat } from "../linalg/dense.js";
import { chisqPValue, fPValue } from "../core/distributions.js";
import { scoreMeat } from "../vcov/meat.js";
import { smallestClusterCount, type BoundVcov } from "../vcov/spec.js";
import { columnAt, copyColumns, type ColumnBlock, type CrossProducts } from "./column-block.js";
import { crossprodInto } from "../engine/cross-products.js";

/**
 * The instrumental-variables statistics of a 2SLS fit, as fixest reports them, from the model's
 * demeaned columns (a ColumnBlock: y, regressors, endogenous regressors, instruments) and their
 * cross-products: first-stage F, Cragg–Donald, Kleibergen–Paap, Wu–Hausman, Sargan and Hansen J.
 * Columns are named by their index in the block.
 */

/** An F test: statistic, p-value and its two degrees of freedom. */
export interface FTest {
  readonly stat: number;
  readonly p: number;
  readonly df1: number;
  readonly df2: number;
}

/** A chi-square test. */
export interface ChisqTest {
  readonly stat: number;
  readonly p: number;
  readonly df: number;
}

export interface IvStatistics {
  /**
   * Cragg–Donald F as fixest computes it: ((n − k − l − 1)/l) · ρ²/(1 − ρ²), ρ the smallest
   * canonical correlation between the endogenous regressors and the excluded instruments, both
   * partialled on the exogenous regressors and the fixed effects (k endogenous, l instruments).
   */
  readonly cd: number;
  /**
   * Kleibergen–Paap rank test of the first-stage coefficient matrix (rank k − 1 against k), with
   * the covariance of the model's vcov type (no small-sample factor): `waldF` is the rk Wald
   * statistic scaled as the Cragg–Donald F, rk · (n − k − l − 1)/(n · l), times (G − 1)/G when
   * clustered (ivreg2's convention), so that it equals `cd` under iid errors; `lm` is the rk LM
   * underidentification test, chi-square with l − k + 1 df.
   */
  readonly kp: { readonly waldF: number; readonly rkWald: number; readonly lm: ChisqTest };
  /** Wu–Hausman endogeneity test (iid), df2 counting every fixed-effect coefficient; null if not computable. */
  readonly wh: FTest | null;
  /** Sargan overidentification test (homoskedastic, n·R²), overidentified models only. */
  readonly sargan: ChisqTest | null;
  /** Hansen J under the model's vcov (efficient two-step GMM criterion), overidentified models only. */
  readonly hansenJ: ChisqTest | null;
}

/** First stage j: A = [(Intercept), instruments, other exogenous] (fixest's order), its factor and residuals. */
export interface FirstStageDesign {
  readonly design: ColumnBlock;
  /** The block's columns that make up A, in A's order. */
  readonly columns: readonly number[];
  readonly factor: Factor;
  /** First-stage residuals v_j, one column per endogenous regressor. */
  readonly residuals: ColumnBlock;
}

/** The block's columns by role: kept exogenous regressors (the intercept first), endogenous regressors, kept instruments. */
export type IvRoles = { readonly exog: readonly number[]; readonly endo: readonly number[]; readonly inst: readonly number[] };

/** The model's demeaned columns in wasm memory (y first) and their cross-products. */
export interface IvData {
  readonly k: Kernels;
  readonly arena: Arena;
  readonly n: number;
  /** Row weights or 0. */
  readonly w: number;
  readonly columns: ColumnBlock;
  readonly gram: CrossProducts;
}

export interface IvStatisticsInputs extends IvData {
  readonly roles: IvRoles;
  readonly vcov: BoundVcov;
  readonly firstStage: FirstStageDesign;
  /** The second stage's regressors X2 = [(Intercept), x̂, other exogenous]; `intercept` is 1 with one. */
  readonly secondStage: { readonly design: ColumnBlock; readonly intercept: number };
  /** Structural residuals e = y − [endogenous, exogenous]β, their weighted SSR, and the structural columns in X2's order. */
  readonly structural: { readonly residuals: number; readonly ssr: number; readonly columns: readonly number[] };
  /** Wu–Hausman's df2: n − (K_full + k), K_full counting every fixed-effect coefficient. */
  readonly wuHausmanDf2: number;
  /** Relative pivot below which the Wu–Hausman regressors count as collinear. */
  readonly collinearTol: number;
}

export function ivStatistics(q: IvStatisticsInputs): IvStatistics {
  const { k, arena, n, w, gram } = q;
  const { exog, endo, inst } = q.roles;
  const kEndo = endo.length;
  const l = inst.length;
  const clusterG = smallestClusterCount(q.vcov);
  const ones = arena.allocF64(n, "ones");
  arena.f64(ones, n).fill(1);
  const partial = partialledCrossProducts(gram, exog, endo, inst);
  const cd = craggDonald(partial, n, kEndo, l);
  const Zt = partialBlock(k, arena, q.columns, n, gram, exog, inst);
  const Xt = partialBlock(k, arena, q.columns, n, gram, exog, endo);
  const kpInputs = { k, arena, n, w, ones, vcov: q.vcov, partial, Zt, kEndo, l };
  const rkWald = kleibergenPaap(kpInputs, q.firstStage.residuals);
  const rkLm = kleibergenPaap(kpInputs, Xt);
  const waldF = (rkWald * (n - kEndo - l - 1)) / (n * l) * (clusterG ? (clusterG - 1) / clusterG : 1);
  const lmDf = l - kEndo + 1;
  const wh = wuHausman(q);
  const over = l > kEndo ? overidentification(q) : { sargan: null, hansenJ: null };
  return { cd, kp: { waldF, rkWald, lm: { stat: rkLm, p: chisqPValue(rkLm, lmDf), df: lmDf } }, wh, ...over };
}

/** Σ w (x − Wb)² of column x regressed on the columns `on`, from the cross-products. */
function ssrOn(gram: CrossProducts, on: readonly number[], x: number): number {
  const { data: C, width } = gram;
  const xx = C[x * width + x];
  if (on.length === 0) return xx;
  const b = solveSpd(pick(C, width, on, on), pick(C, width, on, [x]));
  let fit = 0;
  on.forEach((c, i) => (fit += b.data[i] * C[c * width + x]));
  return xx - fit;
}

/**
 * fixest's ivf1 and ivwald1 for one first stage: the F test of the excluded instruments from
 * the SSRs with and without them (df2 = n − K of the first stage), and its Wald form from their
 * coefficients `pi` and covariance `v` under the model's vcov.
 */
export function firstStageTests(
  gram: CrossProducts,
  q: { readonly exog: readonly number[]; readonly endogenous: number; readonly ssr: number; readonly df2: number; readonly pi: readonly number[]; readonly v: Mat },
): { ivf1: FTest; ivwald1: FTest } {
  const l = q.pi.length;
  const ssr0 = ssrOn(gram, q.exog, q.endogenous);
  const f = (ssr0 - q.ssr) / l / (q.ssr / q.df2);
  const wald = (quadInv(q.pi, q.v) ?? Infinity) / l;
  return { ivf1: { stat: f, p: fPValue(f, l, q.df2), df1: l, df2: q.df2 }, ivwald1: { stat: wald, p: fPValue(wald, l, q.df2), df1: l, df2: q.df2 } };
}

interface Partialled {
  /** X̃'X̃, Z̃'Z̃, Z̃'X̃: cross-products of the endogenous regressors and instruments net of the exogenous regressors. */
  readonly xx: Mat;
  readonly zz: Mat;
  readonly zx: Mat;
}

function partialledCrossProducts(gram: CrossProducts, exog: readonly number[], endo: readonly number[], inst: readonly number[]): Partialled {
  const raw = (a: readonly number[], b: readonly number[]) => pick(gram.data, gram.width, a, b);
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

/** Columns `cols` net of the exogenous regressors (after the fixed effects), as a block. */
function partialBlock(k: Kernels, arena: Arena, columns: ColumnBlock, n: number, gram: CrossProducts, exog: readonly number[], cols: readonly number[]): ColumnBlock {
  const { data: C, width } = gram;
  const out = arena.allocF64(n * cols.length, "partialled columns");
  const W = copyColumns(arena, columns, n, exog);
  cols.forEach((c, j) => {
    const b = exog.length === 0 ? new Float64Array(0) : solveSpd(pick(C, width, exog, exog), pick(C, width, exog, [c])).data;
    k.residuals(n, exog.length, W.ptr, arena.putF64(b.length ? b : [0]), columnAt(columns, n, c), out + j * n * 8);
  });
  return { ptr: out, cols: cols.length };
}

interface KpInputs {
  readonly k: Kernels;
  readonly arena: Arena;
  readonly n: number;
  readonly w: number;
  readonly ones: number;
  readonly vcov: BoundVcov;
  readonly partial: Partialled;
  readonly Zt: ColumnBlock;
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
function kleibergenPaap(q: KpInputs, R: ColumnBlock): number {
  const { kEndo, l } = q;
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
  const M = rankTestMeat(q, R);
  const vl = mul(mul(D, M), transpose(D));
  return quadInv(lambda, vl) ?? NaN;
}

/** The meat of the rank test's scores z̃_i ⊗ r_i under the model's vcov type (no small-sample factor). */
function rankTestMeat(q: KpInputs, R: ColumnBlock): Mat {
  const { k, arena, n, w, kEndo, l } = q;
  const lk = l * kEndo;
  const mark = arena.mark();
  try {
    if (q.vcov.type === "iid") {
      const rr = mat(kEndo, kEndo);
      for (let i = 0; i < kEndo; i++) for (let j = 0; j < kEndo; j++) rr.data[i * kEndo + j] = k.dot(n, R.ptr + i * n * 8, R.ptr + j * n * 8, w) / n;
      return kron(rr, q.partial.zz);
    }
    const scores = arena.allocF64(n * lk, "rank-test scores");
    for (let j = 0; j < kEndo; j++) {
      const r = arena.f64(R.ptr + j * n * 8, n);
      for (let c = 0; c < l; c++) {
        const z = arena.f64(q.Zt.ptr + c * n * 8, n);
        const out = arena.f64(scores + (j * l + c) * n * 8, n);
        for (let i = 0; i < n; i++) out[i] = z[i] * r[i];
      }
    }
    return mat(lk, lk, scoreMeat(k, arena, q.vcov, { n, k: lk, x: scores, e: q.ones, w }));
  } finally {
    arena.release(mark);
  }
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
function wuHausman(q: IvStatisticsInputs): FTest | null {
  const { k, arena, n, w } = q;
  const kEndo = q.roles.endo.length;
  const k2 = q.secondStage.design.cols;
  const df2 = q.wuHausmanDf2;
  const y = columnAt(q.columns, n, 0);
  const width = kEndo + k2;
  const R = arena.allocF64(n * width, "Wu-Hausman regressors");
  q.roles.endo.forEach((c, j) => arena.f64(R + j * n * 8, n).set(arena.f64(columnAt(q.columns, n, c), n)));
  arena.f64(R + kEndo * n * 8, n * k2).set(arena.f64(q.secondStage.design.ptr, n * k2));
  const rr = arena.allocF64(width * width);
  crossprodInto(k, arena, n, width, R, w, rr);
  const RtR = arena.f64(rr, width * width).slice();
  const ry = arena.allocF64(width);
  k.crossprod_vec(n, width, R, y, w, ry);
  const Rty = arena.f64(ry, width).slice();
  const f = choleskyDropping(RtR, width, q.collinearTol);
  if (f.kept.length < width || df2 <= 0) return null;
  const b = solveFactor(f, Rty);
  const inv = inverseFactor(f);
  let fit = 0;
  for (let i = 0; i < width; i++) fit += b[i] * Rty[i];
  const ssr = k.dot(n, y, y, w) - fit;
  const idx = Array.from({ length: kEndo }, (_, j) => kEndo + q.secondStage.intercept + j);
  const v = pick(inv, width, idx, idx);
  for (let i = 0; i < v.data.length; i++) v.data[i] *= ssr / df2;
  const stat = (quadInv(idx.map((i) => b[i]), v) ?? NaN) / kEndo;
  return { stat, p: fPValue(stat, kEndo, df2), df1: kEndo, df2 };
}

/** Sargan's n·R² and Hansen's J of the structural residuals on the first-stage design (overidentified models). */
function overidentification(q: IvStatisticsInputs): { sargan: ChisqTest; hansenJ: ChisqTest | null } {
  const { k, arena, n, w, gram } = q;
  const { design: A, columns: aIdx, factor } = q.firstStage;
  const { residuals: e, ssr } = q.structural;
  const df = q.roles.inst.length - q.roles.endo.length;
  const gPtr = arena.allocF64(aIdx.length);
  k.crossprod_vec(n, aIdx.length, A.ptr, e, w, gPtr);
  const g = arena.f64(gPtr, aIdx.length).slice();
  let gq = 0;
  const z = solveFactor(factor, g);
  for (let i = 0; i < g.length; i++) gq += g[i] * z[i];
  // n·R² of e on A, written without cancellation: TSS − SSR_A = gq − Σw·ē² (ē the weighted mean).
  const { tss, meanSquares } = centredSquares(arena, n, e, w);
  const stat = (n * (gq - meanSquares)) / tss;
  const sargan = { stat, p: chisqPValue(stat, df), df };
  const S =
    q.vcov.type === "iid"
      ? { rows: aIdx.length, cols: aIdx.length, data: pick(gram.data, gram.width, aIdx, aIdx).data.map((v) => (v * ssr) / n) }
      : { rows: aIdx.length, cols: aIdx.length, data: scoreMeat(k, arena, q.vcov, { n, k: aIdx.length, x: A.ptr, e, w }) };
  const j = hansenJStat(S, pick(gram.data, gram.width, aIdx, q.structural.columns), pick(gram.data, gram.width, aIdx, [0]));
  return { sargan, hansenJ: j === null ? null : { stat: j, p: chisqPValue(j, df), df } };
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
