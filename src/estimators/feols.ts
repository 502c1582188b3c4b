import type { Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { selectColumns } from "../data/arrow.js";
import { parseFormula, type ModelSpec } from "../formula/parse.js";
import { EstimationError, InputError } from "../errors.js";
import { Arena } from "../engine/arena.js";
import { instantiateKernels, type Kernels } from "../engine/kernels.js";
import { allocScratch, chooseMethod, demeanColumn, exactFactor, type DemeanMethod, type DemeanPlan } from "../engine/demean.js";
import { choleskyDropping, inverseFactor, solveFactor } from "../linalg/cholesky.js";
import { submatrix } from "../linalg/matrix.js";
import { computeVcov } from "../inference/vcov.js";
import { countK, FIXEST_SSC, type SmallSample } from "../inference/ssc.js";
import { tCritical, tPValue } from "../inference/distributions.js";
import { buildSample, type EncodedEffect, type Sample } from "./sample.js";
import { designColumns } from "./design.js";
import { DEFAULTS, type FeolsOptions, type VcovOption } from "./options.js";
import { FeolsResult, type Coefficient, type VcovInfo } from "./result.js";

/** A regressor whose demeaned spread is below this share of its raw spread is absorbed by the fixed effects. */
const ABSORBED_TOL = 1e-9;
/** Pivot tolerance for collinearity among the (demeaned) regressors, relative to each one's own norm. */
const COLLINEAR_TOL = 1e-10;

let engine: { arena: Arena; kernels: Kernels } | undefined;

/** The process's one shared memory and its kernel instance (worker pools share the same memory). */
export function sharedEngine(): { arena: Arena; kernels: Kernels } {
  if (!engine) {
    const arena = new Arena();
    engine = { arena, kernels: instantiateKernels(arena.memory) };
  }
  return engine;
}

function vcovRequest(v: VcovOption | undefined): { type: "iid" | "hetero" | "cluster"; clusters: string[] } {
  if (v === undefined || v === "iid") return { type: "iid", clusters: [] };
  if (v === "hetero") return { type: "hetero", clusters: [] };
  if (typeof v === "object" && v !== null && "cluster" in v) {
    const clusters = typeof v.cluster === "string" ? [v.cluster] : [...v.cluster];
    if (clusters.length === 0) throw new InputError("option", "vcov cluster needs at least one column, e.g. { cluster: \"firm_id\" }");
    return { type: "cluster", clusters };
  }
  throw new InputError("option", `unknown vcov ${JSON.stringify(v)}: use "iid", "hetero" or { cluster: "col" | ["col1", "col2"] }`);
}

function checkOptions(o: FeolsOptions): void {
  if (o.tol !== undefined && !(o.tol > 0 && o.tol < 1)) throw new InputError("option", `tol must be between 0 and 1 (got ${o.tol})`);
  if (o.maxIter !== undefined && !(Number.isInteger(o.maxIter) && o.maxIter >= 1))
    throw new InputError("option", `maxIter must be a positive integer (got ${o.maxIter})`);
  if (o.fixefRm !== undefined && o.fixefRm !== "singleton" && o.fixefRm !== "none")
    throw new InputError("option", `fixefRm must be "singleton" or "none" (got ${JSON.stringify(o.fixefRm)})`);
  if (o.method !== undefined && !["auto", "map", "exact"].includes(o.method))
    throw new InputError("option", `method must be "auto", "map" or "exact" (got ${JSON.stringify(o.method)})`);
}

/**
 * OLS with any number of high-dimensional fixed effects, in fixest's formula syntax:
 * `feols(data, "y ~ x1 + x2 | fe1 + fe2", { vcov: { cluster: "fe1" } })`.
 */
export function feols(data: DataInput, formula: string, options: FeolsOptions = {}): FeolsResult {
  const started = performance.now();
  const spec = parseFormula(formula);
  checkOptions(options);
  if (spec.endogenous.length > 0) throw new InputError("formula", `instrumental-variable formulas are not supported yet: "${formula}"`);
  const frame = toFrame(data);
  const vreq = vcovRequest(options.vcov);
  const used = [...spec.variables, ...vreq.clusters, ...(options.weights ? [options.weights] : [])];
  selectColumns(frame, [...new Set(used)], "the data");
  const subset = options.subset ? normaliseSubset(options.subset, frame.nrows) : null;
  const sample = buildSample({
    frame,
    numeric: numericColumns(spec),
    categorical: spec.terms.flatMap((t) => (t.kind === "factor" ? [t.variable] : [])),
    fixedEffects: spec.fixedEffects,
    clusters: vreq.clusters,
    weights: options.weights ?? null,
    subset,
    dropSingletons: (options.fixefRm ?? "singleton") === "singleton",
  });
  const { arena } = sharedEngine();
  const mark = arena.mark();
  try {
    return estimate(frame, spec, sample, vreq, options, started);
  } finally {
    arena.release(mark);
  }
}

function numericColumns(spec: ModelSpec): string[] {
  const cols = [spec.depvar];
  for (const t of spec.terms) {
    if (t.kind === "variable") cols.push(t.name);
    else if (t.kind === "interaction") cols.push(...t.variables);
    else if (t.by) cols.push(t.by);
  }
  return [...new Set(cols)];
}

function normaliseSubset(s: Uint8Array | readonly boolean[], nrows: number): Uint8Array {
  if (s.length !== nrows) throw new InputError("option", `subset has ${s.length} entries but the data has ${nrows} rows`);
  return s instanceof Uint8Array ? s : Uint8Array.from(s, (b) => (b ? 1 : 0));
}

function estimate(
  frame: Frame,
  spec: ModelSpec,
  sample: Sample,
  vreq: { type: "iid" | "hetero" | "cluster"; clusters: string[] },
  options: FeolsOptions,
  started: number,
): FeolsResult {
  const { arena, kernels: k } = sharedEngine();
  const n = sample.rows.length;
  const design = designColumns(frame, spec.terms, sample.rows);
  const names = [...(spec.intercept ? ["(Intercept)"] : []), ...design.map((d) => d.name)];
  const p = names.length;
  const hasFe = sample.fixedEffects.length > 0;

  // One block: y then the p regressors, contiguous columns of n.
  const block = arena.allocF64((p + 1) * n, `${p + 1} columns of ${n} rows`);
  const col = (j: number) => block + j * n * 8;
  const yv = arena.f64(col(0), n);
  const yRaw = (frame.columns.get(spec.depvar) as { values: Float64Array }).values;
  for (let i = 0; i < n; i++) yv[i] = yRaw[sample.rows[i]];
  let j = 1;
  if (spec.intercept) arena.f64(col(j++), n).fill(1);
  for (const d of design) d.fill(arena.f64(col(j++), n));
  const w = sample.weights ? arena.putF64(sample.weights, "weights") : 0;

  const rawSpread = Array.from({ length: p + 1 }, (_, c) => centredSquares(k, n, col(c), w));
  const tssY = rawSpread[0];

  // Demean every column against the fixed effects.
  const tol = options.tol ?? DEFAULTS.tol;
  const maxIter = options.maxIter ?? DEFAULTS.maxIter;
  let iterations = 0;
  let converged = true;
  let method: DemeanMethod | "none" = "none";
  if (hasFe) {
    const order = sample.fixedEffects.map((_, q) => q).sort((a, b) => sample.fixedEffects[b].size - sample.fixedEffects[a].size);
    const fes = order.map((q) => sample.fixedEffects[q]);
    method = chooseMethod(options.method ?? "auto", fes.map((fe) => fe.size));
    const plan: DemeanPlan = {
      n,
      rowWeights: w,
      fes: fes.map((fe) => {
        const codes = arena.putI32(fe.codes, `codes of ${fe.name}`);
        const weights = arena.allocF64(fe.size);
        arena.f64(weights, fe.size).fill(0);
        k.group_weights(n, w, codes, weights);
        return { codes, size: fe.size, weights };
      }),
      method,
      tol,
      maxIter,
      factor: method === "exact" && fes.length > 1 ? exactFactor(n, fes.map((fe) => fe.codes), fes.map((fe) => fe.size), sample.weights) : null,
    };
    const scratch = allocScratch(arena, plan);
    for (let c = 0; c <= p; c++) {
      const outcome = demeanColumn(k, arena, plan, scratch, col(c), col(c));
      iterations = Math.max(iterations, outcome.iterations);
      converged &&= outcome.converged;
    }
    if (!converged && !options.allowNonConvergence) {
      throw new EstimationError(
        "convergence",
        `demeaning did not converge within ${maxIter} iterations (tol ${tol}); raise maxIter (--max-iter), ` +
          `loosen tol (--tol), try method "exact", or pass allowNonConvergence (--allow-nonconvergence) to get the result anyway`,
      );
    }
  }

  // Regressors the fixed effects absorb, then collinearity among the rest.
  const absorbed = new Set<number>();
  if (hasFe) {
    for (let c = 1; c <= p; c++) {
      const within = k.dot(n, col(c), col(c), w);
      if (!(within > ABSORBED_TOL * rawSpread[c])) absorbed.add(c - 1);
    }
  }
  const xtxPtr = arena.allocF64(p * p);
  k.crossprod(n, p, col(1), w, xtxPtr);
  const xtx = arena.f64(xtxPtr, p * p).slice();
  for (const a of absorbed) for (let c = 0; c < p; c++) { xtx[a * p + c] = 0; xtx[c * p + a] = 0; }
  const factor = choleskyDropping(xtx, p, COLLINEAR_TOL);
  const kept = factor.kept;
  const droppedCollinear = factor.dropped.map((c) => names[c]);
  if (kept.length === 0 && p > 0) {
    throw new EstimationError(
      "singular",
      `every regressor is collinear (${names.join(", ")})${hasFe ? " or absorbed by the fixed effects" : ""}; nothing can be estimated`,
    );
  }
  // Move kept columns together so the kernels see a contiguous matrix.
  kept.forEach((c, idx) => {
    if (c !== idx) arena.f64(col(1 + idx), n).set(arena.f64(col(1 + c), n));
  });
  const kk = kept.length;
  const xtyPtr = arena.allocF64(Math.max(kk, 1));
  k.crossprod_vec(n, kk, col(1), col(0), w, xtyPtr);
  const xty = arena.f64(xtyPtr, kk).slice();
  const xtxKept = submatrix(xtx, p, kept);
  const keptFactor = choleskyDropping(xtxKept, kk, 0);
  const beta = solveFactor(keptFactor, xty);
  const bread = inverseFactor(keptFactor);
  const betaPtr = arena.putF64(beta);
  const resid = arena.allocF64(n, "residuals");
  k.residuals(n, kk, col(1), betaPtr, col(0), resid);
  const ssr = k.dot(n, resid, resid, w);
  const withinTss = k.dot(n, col(0), col(0), w);

  const ssc: SmallSample = { ...FIXEST_SSC, ...options.ssc };
  const clusters = sample.clusters;
  const effects = sample.fixedEffects.map((fe) => ({ size: fe.size, nestedInCluster: vreq.type === "cluster" && clusters.some((c) => nestedIn(fe, c)) }));
  const dfK = countK(kk, effects, ssc);
  const vc = computeVcov(k, arena, { type: vreq.type, clusters }, { n, k: kk, x: col(1), e: resid, w, bread, ssr, dfK, ssc });
  if (n - dfK <= 0) {
    throw new EstimationError("singular", `${n} observations cannot identify ${dfK} parameters (regressors and fixed effects): no residual degrees of freedom`);
  }

  const crit = tCritical(0.95, vc.dfT);
  const coefficients: Coefficient[] = kept.map((c, idx) => {
    const estimate = beta[idx];
    const se = Math.sqrt(vc.matrix[idx * kk + idx]);
    const t = estimate / se;
    return { name: names[c], estimate, se, t, p: tPValue(t, vc.dfT), confLow: estimate - crit * se, confHigh: estimate + crit * se };
  });
  const vcovInfo: VcovInfo = vreq.type === "cluster" ? { type: "cluster", cluster: vreq.clusters } : { type: vreq.type };
  const fixefSizes: Record<string, number> = {};
  for (const fe of sample.fixedEffects) fixefSizes[fe.name] = fe.size;
  const warnings: string[] = [];
  if (!converged) warnings.push(`demeaning did not converge within ${maxIter} iterations (tol ${tol}); estimates are approximate`);
  if (droppedCollinear.length > 0) warnings.push(`dropped as collinear${hasFe ? " (or absorbed by the fixed effects)" : ""}: ${droppedCollinear.join(", ")}`);
  return new FeolsResult({
    formula: spec.formula,
    depvar: spec.depvar,
    nobs: n,
    coefficients,
    vcov: vcovInfo,
    vcovMatrix: vc.matrix,
    r2: 1 - ssr / tssY,
    withinR2: hasFe ? 1 - ssr / withinTss : null,
    dfT: vc.dfT,
    dfK,
    fixefSizes,
    droppedCollinear,
    droppedRows: sample.dropped,
    iterations,
    converged,
    method,
    ssr,
    warnings,
    timings: { estimate: performance.now() - started },
  });
}

/** Σ w (x − x̄_w)²: the raw spread a demeaned column is compared with. */
function centredSquares(k: Kernels, n: number, x: number, w: number): number {
  const { arena } = sharedEngine();
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
  return k.dot(n, x, x, w) - sw * mean * mean;
}

/** Whether each level of the fixed effect falls within a single cluster. */
function nestedIn(fe: EncodedEffect, cluster: EncodedEffect): boolean {
  const seen = new Int32Array(fe.size).fill(-1);
  for (let i = 0; i < fe.codes.length; i++) {
    const g = fe.codes[i];
    const c = cluster.codes[i];
    if (seen[g] === -1) seen[g] = c;
    else if (seen[g] !== c) return false;
  }
  return true;
}
