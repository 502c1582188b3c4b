import type { Column, Frame } from "../data/frame.js";
import { termKey, type ModelSpec, type Term } from "../formula/parse.js";
import { AbsorbError, InputError } from "../core/errors.js";
import { withArena } from "../engine/shared.js";
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { buildSample, type Sample } from "./sample.js";
import { buildModelMatrix, copyColumns, type BuiltModelMatrix, type ModelMatrix } from "./model-matrix.js";
import { absorbOptions, startAbsorption, type AbsorbOptions, type AbsorbOutcome } from "./absorb-effects.js";
import { absorbModel, hasSlopes } from "./absorb-slopes.js";
import { factorColumns, numericColumns, sampleRequest, type FitRequest } from "./request.js";
import { olsSolver } from "./solvers/ols.js";
import { ivSolver } from "./solvers/iv.js";
import type { LinearSolver } from "./solvers/solver.js";
import type { FeolsResult } from "./result.js";
import type { FitHook } from "./fit-hook.js";

/**
 * How the linear models of a request are estimated. They are grouped by estimation sample (the
 * rows left after the subset and the missing values of the columns each model uses) and fixed
 * effects; each group runs the steps of a fit once — its sample, one model matrix with every
 * dependent variable and each distinct term once, one absorption — and then each model's solver
 * on its own columns. So every model of a group gets the bytes feols gives for it alone. IV models
 * form groups of their own (their extra columns are theirs); a single fit is a plan of one.
 *
 * Groups run IV models first, then by first appearance; results come back in the models' order.
 */
export interface FitGroup {
  /** Indices of the group's models, in order. */
  readonly members: readonly number[];
}

export interface PlanScope {
  /** The models to fit (default: the request's), over columns of the request's frame. */
  readonly specs?: readonly ModelSpec[];
  /** The rows to start from (null: all; default: the request's subset). */
  readonly subset?: Uint8Array | null;
  /** A name for model i in errors; without it errors are left as they are. */
  readonly label?: (i: number) => string;
  /** @internal See fit-hook.ts (a plan of one OLS model). */
  readonly hook?: FitHook;
  /** performance.now() the first group's timings count from (default: when it starts). */
  readonly started?: number;
}

/** Fits every model of the scope; the results are in the models' order. */
export async function runPlan(request: FitRequest, scope: PlanScope = {}): Promise<FeolsResult[]> {
  const specs = scope.specs ?? request.specs;
  const subset = scope.subset === undefined ? request.subset : scope.subset;
  const results: FeolsResult[] = new Array(specs.length);
  let started = scope.started ?? performance.now();
  for (const { members } of planFits(request.frame, specs, subset)) {
    const models = members.map((i) => specs[i]);
    const label = scope.label && ((j: number) => scope.label!(members[j]));
    // Only the one model of a one-model plan may compact the frame's columns: no other fit reads
    // them after it. Varying slopes read theirs during the absorption, so they keep the frame.
    const consume = request.options.consumeFrame === true && specs.length === 1 && scope.hook === undefined && !hasSlopes(specs[0].fixedEffects);
    const run = (solveLabel?: (j: number) => string) => fitGroup(request, models, { subset, started, hook: scope.hook, label: solveLabel, consume });
    // A group of one is its model's whole fit: an error anywhere in it names the model. In a
    // larger group the sample and the absorption are shared, and each model's solve is named.
    const fits = models.length === 1 && label ? await relabel(label(0), () => run()) : await run(label);
    members.forEach((i, j) => (results[i] = fits[j]));
    started = performance.now();
  }
  return results;
}

/** The models grouped by estimation sample and fixed effects (IV models alone, first). */
function planFits(frame: Frame, specs: readonly ModelSpec[], subset: Uint8Array | null): FitGroup[] {
  if (specs.length === 1) return [{ members: [0] }];
  const maskOf = sampleMasks(frame, subset);
  const ivs: FitGroup[] = [];
  const groups: { fixef: string; mask: Uint8Array; members: number[] }[] = [];
  specs.forEach((spec, i) => {
    if (spec.endogenous.length > 0) return void ivs.push({ members: [i] });
    const mask = maskOf(sampleColumns(spec));
    const fixef = spec.fixedEffects.map((fe) => fe.name).join(" + ");
    const group = groups.find((g) => g.fixef === fixef && (g.mask === mask || sameMask(g.mask, mask)));
    if (group) group.members.push(i);
    else groups.push({ fixef, mask, members: [i] });
  });
  return [...ivs, ...groups.map(({ members }) => ({ members }))];
}

/** How one group runs: its rows, when its timings start, the bootstrap's hook, and its models' names for errors. */
interface GroupRun {
  readonly subset: Uint8Array | null;
  readonly started: number;
  readonly hook?: FitHook;
  readonly label?: (j: number) => string;
  /** The model matrix may be made in the frame's own columns (FeolsOptions.consumeFrame). */
  readonly consume: boolean;
}

/**
 * One group's fit, top to bottom: the solver, the sample, the model matrix, the absorption, then
 * each model solved from its columns.
 */
async function fitGroup(
  request: FitRequest,
  specs: readonly ModelSpec[],
  run: GroupRun,
): Promise<FeolsResult[]> {
  const { frame } = request;
  const first = specs[0];
  const solver = linearSolver(first);
  const demeaning = absorbOptions(request.options);
  const sample = await buildSample(sampleRequest(request, specs, { subset: run.subset, singleUse: run.consume }));
  const terms = distinctTerms(specs);
  return withArena(async (arena, k) => {
    // The demeaning plan's one-off work (the exact method's Schur complement) runs on a worker while the model matrix is built here.
    const weights = sample.weights ? arena.putF64(sample.weights, "weights") : 0;
    const prepared = hasSlopes(first.fixedEffects) ? null : startAbsorption(k, arena, sample.rows.length, weights, sample.fixedEffects, demeaning);
    try {
      const built = await buildModelMatrix(k, arena, {
        frame,
        rows: sample.rows,
        weights: sample.weights,
        placedWeights: weights,
        depvar: [...new Set(specs.map((s) => s.depvar))],
        intercept: specs.some((s) => s.intercept),
        terms,
        extra: solver.extraColumns(first),
        // The wild bootstrap's hook works on the columns as they are: no rescaling under it.
        rescaleTiny: solver.rescalesTiny && run.hook === undefined,
        consumeFrame: run.consume,
        threads: demeaning.threads,
      });
      const absorbed = await absorbModel(k, arena, built.matrix, frame, sample, first.fixedEffects, demeaning, prepared);
      return await solveModels(k, arena, { request, specs, solver, demeaning, built, terms, sample, absorbed, run });
    } finally {
      // The worker writes into this arena: it must be done before the arena closes.
      await prepared?.plan.catch(() => undefined);
    }
  });
}

/** A group's demeaned block, and what its models are solved with. */
interface DemeanedGroup {
  readonly request: FitRequest;
  readonly specs: readonly ModelSpec[];
  readonly solver: LinearSolver<FeolsResult>;
  readonly demeaning: AbsorbOptions;
  readonly built: BuiltModelMatrix;
  readonly terms: readonly Term[];
  readonly sample: Sample;
  readonly absorbed: AbsorbOutcome;
  readonly run: GroupRun;
}

/** Each model of a group solved from the group's demeaned block, in order. */
async function solveModels(k: Kernels, arena: Arena, group: DemeanedGroup): Promise<FeolsResult[]> {
  const { request, specs, solver, built, terms, sample, absorbed, run } = group;
  const { frame, vreq, ssc } = request;
  const { tol, maxIter, threads } = group.demeaning;
  const termColumns = new Map(terms.map((t, i) => [termKey(t), built.layout.terms[i]]));
  const out: FeolsResult[] = [];
  for (const [j, spec] of specs.entries()) {
    const mark = arena.mark();
    try {
      // The solver moves columns in place: a group of one solves on its block, a larger group's models on copies.
      const own = specs.length === 1 ? { matrix: built.matrix, regressors: built.regressors, absorbed } : modelColumns(arena, built, termColumns, spec, absorbed);
      const depvarConstant = built.constantDepvars.has(spec.depvar);
      const ctx = { k, arena, frame, spec, sample, vreq, ssc, tol, maxIter, threads, absorbed: own.absorbed, depvarConstant, started: run.started, hook: run.hook };
      const solve = () => solver.solve(ctx, own.matrix, own.regressors);
      out.push(await (run.label ? relabel(run.label(j), solve) : solve()));
    } finally {
      arena.release(mark);
    }
  }
  return out;
}

function linearSolver(spec: ModelSpec): LinearSolver<FeolsResult> {
  if (spec.endogenous.length === 0) return olsSolver;
  if (hasSlopes(spec.fixedEffects)) {
    throw new InputError("formula", `varying slopes (${spec.fixedEffects.map((fe) => fe.name).join(" + ")}) are supported for OLS, not IV`);
  }
  return ivSolver;
}

/** The terms of a group's models, each once, in order of first appearance. */
function distinctTerms(specs: readonly ModelSpec[]): Term[] {
  const seen = new Map<string, Term>();
  for (const t of specs.flatMap((s) => s.terms)) if (!seen.has(termKey(t))) seen.set(termKey(t), t);
  return [...seen.values()];
}

/** One model's columns of a group's block, copied (its dependent variable, intercept and terms' columns), and its share of the absorption. */
function modelColumns(
  arena: Arena,
  built: BuiltModelMatrix,
  termColumns: ReadonlyMap<string, readonly number[]>,
  spec: ModelSpec,
  absorbed: AbsorbOutcome,
): { matrix: ModelMatrix; regressors: string[]; absorbed: AbsorbOutcome } {
  const { layout, matrix } = built;
  // The dependent variables lead the block, so the first column of this name is the model's.
  const cols = [matrix.names.indexOf(spec.depvar)];
  if (spec.intercept) cols.push(layout.intercept);
  for (const t of spec.terms) cols.push(...termColumns.get(termKey(t))!);
  const regressors = cols.slice(1).map((c) => matrix.names[c]);
  // The iterations and convergence of this model's columns alone, as its own fit reports them.
  const outcomes = absorbed.columns ? cols.map((c) => absorbed.columns![c]) : null;
  const own = outcomes ? { ...absorbed, iterations: Math.max(...outcomes.map((o) => o.iterations)), converged: outcomes.every((o) => o.converged) } : absorbed;
  return { matrix: copyColumns(arena, built, cols), regressors, absorbed: own };
}

/** Runs `f`, prefixing the message of an absorb error with the model it concerns. */
async function relabel<T>(label: string, f: () => Promise<T>): Promise<T> {
  try {
    return await f();
  } catch (err) {
    if (err instanceof AbsorbError) {
      const Ctor = err.constructor as new (kind: never, message: string) => AbsorbError;
      throw new Ctor(err.kind as never, `model "${label}": ${err.message}`);
    }
    throw err;
  }
}

/**
 * The sample mask of a model from the columns it uses: the subset less the rows where any of them
 * is missing. Masks are shared between models whose columns with missing values are the same.
 */
function sampleMasks(frame: Frame, subset: Uint8Array | null): (columns: readonly string[]) => Uint8Array {
  const n = frame.nrows;
  const base = subset ?? new Uint8Array(n).fill(1);
  const hasMissing = new Map<string, boolean>();
  const missingIn = (name: string): boolean => {
    let m = hasMissing.get(name);
    if (m === undefined) {
      const col = frame.columns.get(name)!;
      m = false;
      for (let r = 0; r < n && !m; r++) if (base[r] && isMissing(col, r)) m = true;
      hasMissing.set(name, m);
    }
    return m;
  };
  const masks = new Map<string, Uint8Array>();
  return (columns) => {
    const withMissing = columns.filter(missingIn).sort();
    const key = withMissing.join("\u0000");
    let mask = masks.get(key);
    if (!mask) {
      mask = Uint8Array.from(base);
      for (const name of withMissing) {
        const col = frame.columns.get(name)!;
        for (let r = 0; r < n; r++) if (mask[r] && isMissing(col, r)) mask[r] = 0;
      }
      masks.set(key, mask);
    }
    return mask;
  };
}

function isMissing(col: Column, r: number): boolean {
  if (col.kind === "numeric") {
    // A transform's infinite value (log 0) removes the row as a missing one does.
    return !Number.isFinite(col.values[r]);
  }
  return col.codes[r] < 0;
}

/** Columns whose missing values remove rows from a model's sample (the weights and clusters are common to all). */
function sampleColumns(spec: ModelSpec): string[] {
  return [...new Set([...numericColumns(spec), ...factorColumns(spec), ...spec.fixedEffects.flatMap((fe) => fe.variables)])];
}

function sameMask(a: Uint8Array, b: Uint8Array): boolean {
  if (a.length !== b.length) return false;
  for (let i = 0; i < a.length; i++) if (a[i] !== b[i]) return false;
  return true;
}
