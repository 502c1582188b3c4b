import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { missingColumnsError } from "../data/select.js";
import { encodeColumn, type Level } from "../data/encode.js";
import { parseMultiFormula, termKey, type ModelSpec } from "../formula/parse.js";
import { AbsorbError, InputError } from "../core/errors.js";
import { resolveSsc } from "../vcov/ssc.js";
import { withArena } from "../engine/shared.js";
import { checkOptions, factorColumns, feols, normaliseSubset, numericColumns } from "./feols.js";
import { solveDemeaned } from "./solvers/ols.js";
import { modelFrame } from "./model-frame.js";
import { absorbModel } from "./absorb-slopes.js";
import { buildSample, type Sample } from "./sample.js";
import { designColumns } from "./design.js";
import { centredSquares, columnPtr, type ModelMatrix } from "./model-matrix.js";
import { absorbOptions, type AbsorbOutcome } from "./absorb-effects.js";
import type { FeolsOptions } from "./options.js";
import type { FeolsResult } from "./result.js";
import { vcovRequest } from "../vcov/spec.js";

/**
 * Multiple estimation, as fixest's: one call estimates every model a formula expands to —
 * c(y1, y2) on the left, sw()/csw()/sw0()/csw0() on the right — on the whole sample and, with
 * `split = "col"`, on each level of a column (`fsplit`: the whole sample first, then each level).
 *
 * Work is shared where the sample is the same: the models are grouped by estimation sample
 * (the rows kept after the subset, missing values and singletons) and fixed effects; each group
 * copies the union of its columns (dependent variables and regressors) into the arena once,
 * demeans them once, and then each model is solved from copies of its own demeaned columns
 * (solveDemeaned, the same code feols runs after demeaning), so every fit is bit-for-bit the fit
 * feols gives for that model alone. Models whose regressors have different missing values get
 * different samples, exactly as when estimated one by one; IV models are estimated one by one.
 *
 * Order of the fits: by sample (full sample first with fsplit, then the split levels sorted),
 * then by dependent variable, then by sw/csw step — fixest's order.
 */
export interface MultiOptions extends FeolsOptions {
  /** Estimate on each level of this column (rows where it is missing are left out). */
  readonly split?: string;
  /** As split, plus the full sample first. */
  readonly fsplit?: string;
}

/** Which sample a fit used: the full sample (level null) or one level of the split column. */
export interface MultiSample {
  readonly variable: string;
  /** The level, or null for the full sample (fsplit). */
  readonly level: Level | null;
}

export interface MultiFit {
  /** Position in the list, from 0. */
  readonly index: number;
  /** "sample: region = east; fixef: firm_id; lhs: dvar; rhs: robot + ln_age" — only what varies across the fits. */
  readonly label: string;
  /** null without split/fsplit. */
  readonly sample: MultiSample | null;
  readonly depvar: string;
  /** The right-hand side as written in the normalised formula (regressors only). */
  readonly rhs: string;
  /** The fixed effects, "firm_id + year", or "1" without any. */
  readonly fixef: string;
  /** This model's own formula, normalised. */
  readonly formula: string;
  readonly result: FeolsResult;
}

/** The list of fits of one multiple estimation. */
export class FeolsMulti implements Iterable<MultiFit> {
  constructor(
    readonly formula: string,
    readonly fits: readonly MultiFit[],
    readonly split: string | null,
  ) {}

  get length(): number {
    return this.fits.length;
  }

  [Symbol.iterator](): Iterator<MultiFit> {
    return this.fits[Symbol.iterator]();
  }

  /** The results alone, in order. */
  get results(): FeolsResult[] {
    return this.fits.map((f) => f.result);
  }

  /** The fits matching every criterion given (a sample level, a dependent variable, a right-hand side). */
  select(q: { readonly level?: Level | null; readonly depvar?: string; readonly rhs?: string; readonly fixef?: string }): MultiFit[] {
    return this.fits.filter(
      (f) =>
        (q.level === undefined || (f.sample !== null && String(f.sample.level) === String(q.level))) &&
        (q.depvar === undefined || f.depvar === q.depvar) &&
        (q.rhs === undefined || f.rhs === q.rhs) &&
        (q.fixef === undefined || f.fixef === q.fixef),
    );
  }

  summary(): string {
    return this.fits.map((f) => `### ${f.index + 1}. ${f.label}\n${f.result.summary()}`).join("\n\n");
  }

  toString(): string {
    return this.summary();
  }

  toJSON(): Record<string, unknown> {
    return {
      formula: this.formula,
      split: this.split,
      fits: this.fits.map((f) => ({
        index: f.index,
        label: f.label,
        sample: f.sample,
        depvar: f.depvar,
        rhs: f.rhs,
        fixef: f.fixef,
        formula: f.formula,
        result: f.result.toJSON(),
      })),
    };
  }
}

/**
 * `await feolsMulti(data, "c(dvar, gap) ~ csw(robot, ln_age + finance) | firm_id + year", { split: "region" })`:
 * every model the formula expands to, on every sample asked for.
 */
export async function feolsMulti(data: DataInput, formula: string, options: MultiOptions = {}): Promise<FeolsMulti> {
  const frame = toFrame(data);
  const specs = parseMultiFormula(formula, frame.columns);
  checkOptions(options);
  if (options.split !== undefined && options.fsplit !== undefined) {
    throw new InputError("option", `give split or fsplit, not both (got split "${options.split}" and fsplit "${options.fsplit}")`);
  }
  const splitVar = options.split ?? options.fsplit ?? null;
  if (splitVar !== null) {
    if (typeof splitVar !== "string" || splitVar === "") throw new InputError("option", `split must name a column (got ${JSON.stringify(splitVar)})`);
    if (!frame.columns.has(splitVar)) {
      const e = missingColumnsError([splitVar], [...frame.columns.keys()], "the data");
      throw new InputError("column", `unknown split column: ${e.message}`);
    }
  }
  const { split: _s, fsplit: _f, ...fitOptions } = options;
  const base = options.subset ? normaliseSubset(options.subset, frame.nrows) : null;
  const samples: { sample: MultiSample | null; subset: Uint8Array | null }[] = [];
  if (splitVar === null) samples.push({ sample: null, subset: base });
  else {
    if (options.fsplit !== undefined) samples.push({ sample: { variable: splitVar, level: null }, subset: base });
    for (const { level, mask } of splitMasks(frame.columns.get(splitVar)!, base)) {
      samples.push({ sample: { variable: splitVar, level }, subset: mask });
    }
    if (samples.length === (options.fsplit !== undefined ? 1 : 0)) {
      throw new InputError("data", `split column "${splitVar}" has no non-missing value${base ? " in the subset" : ""}: nothing to split on`);
    }
  }
  const manyLhs = new Set(specs.map((s) => s.depvar)).size > 1;
  const manyRhs = new Set(specs.map(rhsOf)).size > 1;
  const manyFixef = new Set(specs.map(fixefOf)).size > 1;
  const label = (sample: MultiSample | null, spec: ModelSpec) => labelOf(sample, spec, manyFixef, manyLhs, manyRhs);
  const fits: MultiFit[] = [];
  for (const s of samples) {
    const results = await estimateSpecs(frame, specs, fitOptions, s.subset, (i) => label(s.sample, specs[i]));
    specs.forEach((spec, i) => {
      fits.push({
        index: fits.length,
        label: label(s.sample, spec),
        sample: s.sample,
        depvar: spec.depvar,
        rhs: rhsOf(spec),
        fixef: fixefOf(spec),
        formula: spec.formula,
        result: results[i],
      });
    });
  }
  return new FeolsMulti(formula, fits, splitVar);
}

/** One 0/1 mask per level of the split column (sorted as fixest sorts levels), within the base subset. */
export function splitMasks(col: Column, base: Uint8Array | null): { level: Level; mask: Uint8Array; rows: number }[] {
  const enc = encodeColumn(col, null);
  const n = enc.codes.length;
  const counts = new Int32Array(enc.size);
  for (let r = 0; r < n; r++) if (enc.codes[r] >= 0 && (!base || base[r])) counts[enc.codes[r]]++;
  const out: { level: Level; mask: Uint8Array; rows: number }[] = [];
  for (let g = 0; g < enc.size; g++) {
    if (counts[g] === 0) continue;
    const mask = new Uint8Array(n);
    for (let r = 0; r < n; r++) if (enc.codes[r] === g && (!base || base[r])) mask[r] = 1;
    out.push({ level: enc.levels[g], mask, rows: counts[g] });
  }
  return out;
}

function rhsOf(spec: ModelSpec): string {
  const f = spec.formula;
  const afterTilde = f.slice(f.indexOf(" ~ ") + 3);
  const bar = afterTilde.indexOf(" | ");
  return bar < 0 ? afterTilde : afterTilde.slice(0, bar);
}

function fixefOf(spec: ModelSpec): string {
  return spec.fixedEffects.length === 0 ? "1" : spec.fixedEffects.map((fe) => fe.name).join(" + ");
}

function labelOf(sample: MultiSample | null, spec: ModelSpec, manyFixef: boolean, manyLhs: boolean, manyRhs: boolean): string {
  const parts: string[] = [];
  if (sample) parts.push(sample.level === null ? "sample: Full sample" : `sample: ${sample.variable} = ${sample.level}`);
  if (manyFixef) parts.push(`fixef: ${fixefOf(spec)}`);
  if (manyLhs) parts.push(`lhs: ${spec.depvar}`);
  if (manyRhs) parts.push(`rhs: ${rhsOf(spec)}`);
  return parts.length > 0 ? parts.join("; ") : spec.formula;
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

/**
 * @internal Estimates each spec on `subset` (null: all rows), sharing the demeaning between
 * specs with the same sample and fixed effects. Results are in the order of `specs`.
 */
export async function estimateSpecs(
  frame: Frame,
  specs: readonly ModelSpec[],
  options: FeolsOptions,
  subset: Uint8Array | null,
  labelOfSpec: (i: number) => string = (i) => specs[i].formula,
): Promise<FeolsResult[]> {
  frame = modelFrame(frame, specs, vcovRequest(options.vcov, options.panelId), options);
  const results: FeolsResult[] = new Array(specs.length);
  const n = frame.nrows;
  const base = subset ?? new Uint8Array(n).fill(1);
  // Columns with a missing value inside the subset; a model's sample mask only depends on those it uses.
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
  interface Group {
    readonly feKey: string;
    readonly mask: Uint8Array;
    readonly members: number[];
  }
  const groups: Group[] = [];
  const maskCache = new Map<string, Uint8Array>();
  const ivs: number[] = [];
  specs.forEach((spec, i) => {
    if (spec.endogenous.length > 0) {
      ivs.push(i);
      return;
    }
    const withMissing = sampleColumns(spec).filter(missingIn).sort();
    const sig = withMissing.join("\u0000");
    let mask = maskCache.get(sig);
    if (!mask) {
      mask = Uint8Array.from(base);
      for (const name of withMissing) {
        const col = frame.columns.get(name)!;
        for (let r = 0; r < n; r++) if (mask[r] && isMissing(col, r)) mask[r] = 0;
      }
      maskCache.set(sig, mask);
    }
    const feKey = spec.fixedEffects.map((fe) => fe.name).join(" + ");
    const group = groups.find((g) => g.feKey === feKey && (g.mask === mask || sameMask(g.mask, mask!)));
    if (group) group.members.push(i);
    else groups.push({ feKey, mask, members: [i] });
  });
  for (const i of ivs) {
    results[i] = await relabel(labelOfSpec(i), () => feols(frame, specs[i].formula, { ...options, subset: subset ?? undefined }));
  }
  for (const g of groups) {
    const fits = await estimateGroup(frame, g.members.map((i) => specs[i]), options, subset, (j) => labelOfSpec(g.members[j]));
    g.members.forEach((i, j) => (results[i] = fits[j]));
  }
  return results;
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

/** Models with one sample and one set of fixed effects: one union block, demeaned once. */
async function estimateGroup(
  frame: Frame,
  specs: readonly ModelSpec[],
  options: FeolsOptions,
  subset: Uint8Array | null,
  labelOfSpec: (j: number) => string,
): Promise<FeolsResult[]> {
  const started = performance.now();
  const vreq = vcovRequest(options.vcov, options.panelId);
  const ssc = resolveSsc(options.ssc);
  const first = specs[0];
  const sample: Sample = buildSample({
    frame,
    numeric: [...new Set(specs.flatMap(numericColumns))],
    categorical: [...new Set(specs.flatMap(factorColumns))],
    fixedEffects: first.fixedEffects,
    clusters: vreq.columns,
    weights: options.weights ?? null,
    subset,
    dropSingletons: (options.fixefRm ?? "singleton") === "singleton",
  });
  const rows = sample.rows;
  const n = rows.length;
  // The union block: dependent variables, the intercept if any model has one, then each distinct term's columns.
  const depvars = [...new Set(specs.map((s) => s.depvar))];
  const intercept = specs.some((s) => s.intercept);
  const termIndex = new Map<string, { start: number; names: string[] }>();
  const fills: ((out: Float64Array) => void)[] = [];
  const names: string[] = [];
  for (const d of depvars) {
    const v = (frame.columns.get(d) as Extract<Column, { kind: "numeric" }>).values;
    names.push(d);
    fills.push((o) => {
      for (let i = 0; i < n; i++) o[i] = v[rows[i]];
    });
  }
  const interceptCol = intercept ? names.length : -1;
  if (intercept) {
    names.push("(Intercept)");
    fills.push((o) => o.fill(1));
  }
  for (const spec of specs) {
    for (const t of spec.terms) {
      const key = termKey(t);
      if (termIndex.has(key)) continue;
      const cols = designColumns(frame, [t], rows);
      termIndex.set(key, { start: names.length, names: cols.map((c) => c.name) });
      for (const c of cols) {
        names.push(c.name);
        fills.push(c.fill);
      }
    }
  }
  return withArena(async (arena, k) => {
    const width = names.length;
    const block = arena.allocF64(width * n, `${width} columns of ${n} rows`);
    fills.forEach((fill, j) => fill(arena.f64(block + j * n * 8, n)));
    const weights = sample.weights ? arena.putF64(sample.weights, "weights") : 0;
    const union: ModelMatrix = { n, block, names, weights, rawSpread: [] };
    const sw = weights ? k.sum(n, weights, 0) : n;
    const rawSpread = names.map((_, c) => centredSquares(k, n, columnPtr(union, c), weights, sw));
    const demeaning = absorbOptions(options);
    const { tol, maxIter, threads } = demeaning;
    const absorbed = await absorbModel(k, arena, { ...union, rawSpread }, frame, sample, first.fixedEffects, demeaning);
    const out: FeolsResult[] = [];
    for (let j = 0; j < specs.length; j++) {
      const spec = specs[j];
      const cols = [depvars.indexOf(spec.depvar)];
      if (spec.intercept) cols.push(interceptCol);
      const regressors: string[] = spec.intercept ? ["(Intercept)"] : [];
      for (const t of spec.terms) {
        const r = termIndex.get(termKey(t))!;
        r.names.forEach((name, c) => {
          cols.push(r.start + c);
          regressors.push(name);
        });
      }
      const inner = arena.mark();
      try {
        const own = arena.allocF64(cols.length * n, `${cols.length} columns of ${n} rows`);
        cols.forEach((c, i) => arena.f64(own + i * n * 8, n).set(arena.f64(columnPtr(union, c), n)));
        const m: ModelMatrix = { n, block: own, names: [spec.depvar, ...regressors], weights, rawSpread: cols.map((c) => rawSpread[c]) };
        const outcomes = absorbed.columns ? cols.map((c) => absorbed.columns![c]) : null;
        const modelAbsorbed: AbsorbOutcome = outcomes
          ? { ...absorbed, iterations: Math.max(...outcomes.map((o) => o.iterations)), converged: outcomes.every((o) => o.converged) }
          : absorbed;
        const ctx = { k, arena, frame, spec, sample, vreq, ssc, tol, maxIter, threads, absorbed: modelAbsorbed, started };
        out.push(await relabel(labelOfSpec(j), () => solveDemeaned(ctx, m, regressors)));
      } finally {
        arena.release(inner);
      }
    }
    return out;
  });
}
