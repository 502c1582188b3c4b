/**
 * Parser for fixest formulas:
 *
 *   depvar ~ regressors [| fixed effects] [| endogenous ~ instruments]
 *
 * with interactions (x:z, x*z), factors i(var, [x], ref, keep, drop, bin) and factor(var),
 * sunab(cohort, period), transforms wherever a variable may stand (read by TransformParser in
 * transforms.ts), interacted fixed effects (fe1^fe2), varying slopes (fe[x], fe[[x]]) and
 * fixest's multiple estimation: c(y1, y2) on the left, one sw/csw/sw0/csw0 among the regressors
 * and one among the fixed effects. Products are expanded only after the columns they name are
 * checked, and never past MAX_TERMS. Every mistake is an InputError("formula") pointing at the
 * offending position.
 */
import type { Column } from "../data/frame.js";
import type { Level } from "../data/encode.js";
import { missingColumnsError } from "../data/select.js";
import { InputError } from "../core/errors.js";
import type { DerivedColumn } from "./evaluate.js";
import { expressionColumns, usesPanel } from "./expression.js";
import { formatName, formulaError, type Token } from "./lexer.js";
import { formatEffect, formatTerm, isLogical, productTerm, termKey, termVariables, type FactorBin, type FixedEffect, type Term } from "./terms.js";
import { describe, isOp, MULTI_OPS, TransformParser, type LocatedName, type MultiOp } from "./transforms.js";

export type { Level } from "../data/encode.js";
export type { DerivedColumn } from "./evaluate.js";
export type { FactorBin, FixedEffect, Term } from "./terms.js";
export { termKey, termName, termVariables } from "./terms.js";

export interface ModelSpec {
  /** This single model's formula, normalised. */
  formula: string;
  /** The dependent variable's column (a derived column's name, e.g. "log(assets)", for a transform). */
  depvar: string;
  /** Exogenous regressors, in order. */
  terms: Term[];
  /** True only without fixed effects and without "- 1" / "+ 0". */
  intercept: boolean;
  fixedEffects: FixedEffect[];
  endogenous: string[];
  instruments: string[];
  /** Every data column the model reads, deduplicated, in first-use order (the sources of transforms, not the transforms). */
  variables: string[];
  /** Columns the model computes from the data (transforms, lags), in first-use order. */
  derived: DerivedColumn[];
}

/** Most regressors one model may expand to (x0*x1*…*x13 alone is 16,383): beyond, the formula is refused before anything is built. */
export const MAX_TERMS = 10_000;

interface LocatedTerm {
  term: Term;
  pos: number;
}
/** a*b*c before expansion: each factor a group of terms (l(x, 0:2) is three). */
interface Product {
  groups: LocatedTerm[][];
  pos: number;
}
/** sw/csw/sw0/csw0 in the regressors (options: products) or in the fixed effects (options: fixed effects). */
interface MultiOf<T> {
  op: MultiOp;
  pos: number;
  /** One sum per argument. */
  options: T[][];
}
type Multi = MultiOf<Product>;
interface LocatedEffect {
  fe: FixedEffect;
  pos: number;
}
type FeItem = LocatedEffect | MultiOf<LocatedEffect>;
type RhsItem = Product | Multi;

interface ParsedFormula {
  depvars: LocatedName[];
  /** Regressors in written order; the Multi item, if any, is replaced by each alternative. */
  rhs: RhsItem[];
  multi: Multi | null;
  noIntercept: boolean;
  tildePos: number;
  /** Fixed effects in written order; a Multi item, if any, is replaced by each alternative. */
  fixedEffects: FeItem[];
  endogenous: LocatedName[];
  instruments: LocatedName[];
  /** Every data column named anywhere, for the check made before anything is expanded. */
  columns: LocatedName[];
  derived: ReadonlyMap<string, DerivedColumn>;
}

/** The data's columns, when known: names are checked against them before products are expanded. */
export type KnownColumns = ReadonlyMap<string, Column>;

/** Parses a formula that describes exactly one model. */
export function parseFormula(text: string, columns?: KnownColumns): ModelSpec {
  const specs = parseMultiFormula(text, columns);
  if (specs.length > 1) {
    throw new InputError(
      "formula",
      `formula "${text}" expands to ${specs.length} models (through c(), sw(), csw(), sw0() or csw0()); ` +
        "use parseMultiFormula to estimate several models",
    );
  }
  return specs[0]!;
}

/**
 * Parses a formula and expands multiple estimation in fixest's order: per set of fixed effects
 * (sw/csw in the fixed-effect part), then per dependent variable, then per sw/csw step of the regressors.
 */
export function parseMultiFormula(text: string, columns?: KnownColumns): ModelSpec[] {
  const parsed = new Parser(text).parse();
  if (columns) {
    const missing = parsed.columns.filter((c) => !columns.has(c.name)).map((c) => c.name);
    if (missing.length > 0) throw missingColumnsError(missing, [...columns.keys()], "the data");
  }
  const fixed = parsed.rhs.filter((item): item is Product => !("options" in item)).map((p) => ({ p, count: productSize(p) }));
  const feMulti = parsed.fixedEffects.find((item): item is MultiOf<LocatedEffect> => "options" in item) ?? null;
  return alternatives(feMulti).flatMap((feAlternative) => {
    const effects = parsed.fixedEffects.flatMap((item) => ("options" in item ? feAlternative : [item]));
    return parsed.depvars.flatMap((depvar) => alternatives(parsed.multi).map((alternative) => {
      const count = fixed.reduce((s, f) => s + f.count, 0) + alternative.reduce((s, p) => s + productSize(p), 0);
      if (count > MAX_TERMS) {
        const largest = [...fixed.map((f) => f.p), ...alternative].reduce((a, b) => (productSize(b) > productSize(a) ? b : a));
        throw formulaError(
          text,
          largest.pos,
          `the regressors expand to more than the ${MAX_TERMS} terms allowed (a product a*b*… of k factors has 2^k − 1 terms; ` +
            `this one, of ${largest.groups.length} factors, has ${sizeText(largest)}): write the interactions you need with ':' instead of '*'`,
        );
      }
      const terms = parsed.rhs.flatMap((item) => ("options" in item ? alternative : [item]).flatMap(expandProduct));
      return buildSpec(text, parsed, depvar, terms, effects);
    }));
  });
}

/** The data columns a formula reads, without expanding it (what a reader must load). */
export function formulaColumns(text: string): string[] {
  return [...new Set(new Parser(text).parse().columns.map((c) => c.name))];
}

/** Terms of a product: every non-empty choice of its factors, main effects first (R's order). */
function productSize(p: Product): number {
  return p.groups.reduce((s, g) => s * (1 + g.length), 1) - 1;
}

function sizeText(p: Product): string {
  const size = productSize(p);
  if (size <= Number.MAX_SAFE_INTEGER) return String(size);
  return p.groups.every((g) => g.length === 1) ? `2^${p.groups.length} − 1` : "more than 2^53";
}

function expandProduct(p: Product): LocatedTerm[] {
  if (p.groups.length === 1) return p.groups[0]!;
  const masks = Array.from({ length: 2 ** p.groups.length - 1 }, (_, k) => k + 1);
  masks.sort((a, b) => bitCount(a) - bitCount(b)); // stable: same-order terms stay in written order
  return masks.flatMap((mask) => crossTerms(p.groups.filter((_, j) => (mask >> j) & 1)));
}

/** x:l(z, 0:1) is x:z + x:l(z, 1): one term per choice of one term from each group. */
function crossTerms(groups: LocatedTerm[][]): LocatedTerm[] {
  let out: { vars: string[]; pos: number }[] = [{ vars: [], pos: groups[0]![0]!.pos }];
  for (const g of groups) out = out.flatMap((o) => g.map((t) => ({ vars: [...o.vars, ...termVariables(t.term)], pos: o.pos })));
  return out.map((o) => ({ term: productTerm(o.vars), pos: o.pos }));
}

/** The sets a multiple-estimation operator stands for, in fixest's order. */
function alternatives<T>(multi: MultiOf<T> | null): T[][] {
  if (multi === null) return [[]];
  const { op, options } = multi;
  const steps = op === "csw" || op === "csw0" ? options.map((_, k) => options.slice(0, k + 1).flat()) : options;
  return op === "sw0" || op === "csw0" ? [[], ...steps] : steps;
}

function buildSpec(text: string, parsed: ParsedFormula, depvar: LocatedName, located: LocatedTerm[], effects: LocatedEffect[]): ModelSpec {
  const fail = (pos: number, message: string): never => {
    throw formulaError(text, pos, message);
  };
  const ivNames = [...parsed.endogenous, ...parsed.instruments];
  const fixedEffects = effects.map((f) => f.fe);
  const intercept = fixedEffects.length === 0 && !parsed.noIntercept;
  const terms: Term[] = [];
  const seen = new Set<string>();
  let factorCalls = 0;
  for (const { term: written, pos } of located) {
    const vars = termVariables(written);
    const clash = ivNames.find((n) => vars.includes(n.name));
    if (clash) {
      const role = parsed.endogenous.includes(clash) ? "endogenous" : "an instrument";
      fail(clash.pos, `'${clash.name}' is ${role} but also an exogenous regressor (column ${pos + 1}): list it in one place only`);
    }
    let term = written;
    if (term.kind === "factor") {
      // R keeps every level of the first factor() of a model without intercept; fixest's i() keeps them all then.
      const absorbing = intercept || fixedEffects.length > 0;
      const collinear = term.style === "i" ? absorbing : absorbing || factorCalls > 0;
      if (term.style !== "i") factorCalls++;
      term = { ...term, dropFirst: term.ref === null && term.by === null && term.keep === null && collinear };
    }
    // Repeated terms (e.g. "x*z + x") are dropped, as R's terms() does.
    const key = termKey(term);
    if (!seen.has(key)) terms.push(term);
    seen.add(key);
  }

  const sunabs = located.filter((t) => t.term.kind === "sunab");
  if (sunabs.length > 1) fail(sunabs[1]!.pos, "only one sunab() is allowed per model");
  const uses: LocatedName[] = [
    ...located.flatMap(({ term, pos }) => termVariables(term).map((name) => ({ name, pos }))),
    ...effects.flatMap(({ fe, pos }) => [...fe.variables, ...(fe.slopes ?? [])].map((name) => ({ name, pos }))),
    ...ivNames,
  ];
  const selfUse = uses.find((u) => u.name === depvar.name);
  if (selfUse) fail(selfUse.pos, `the dependent variable '${depvar.name}' also appears on the right of '~'`);

  const endogenous = parsed.endogenous.map((n) => n.name);
  const instruments = parsed.instruments.map((n) => n.name);
  if (terms.length === 0 && !intercept && fixedEffects.length === 0 && endogenous.length === 0) {
    fail(parsed.tildePos, "the model has nothing to estimate: expected a regressor, the intercept, fixed effects or an IV part");
  }

  const ref = (name: string) => parsed.derived.get(name)?.source ?? formatName(name);
  // poly()'s columns share one source, written once.
  let rhs = [...new Set(terms.map((t) => formatTerm(t, ref)))].join(" + ");
  if (rhs === "") rhs = intercept || fixedEffects.length > 0 ? "1" : "0";
  else if (!intercept && fixedEffects.length === 0) rhs += " - 1";
  const parts = [`${ref(depvar.name)} ~ ${rhs}`];
  if (fixedEffects.length > 0) {
    parts.push(fixedEffects.map(formatEffect).join(" + "));
  }
  if (endogenous.length > 0) {
    parts.push(`${[...new Set(endogenous.map(ref))].join(" + ")} ~ ${[...new Set(instruments.map(ref))].join(" + ")}`);
  }

  const names = [...new Set([depvar.name, ...uses.map((u) => u.name)])];
  const derived = names.flatMap((n) => parsed.derived.get(n) ?? []);
  const sources = (n: string) => {
    const d = parsed.derived.get(n);
    return d ? expressionColumns(d.expr) : [n];
  };
  return {
    formula: parts.join(" | "),
    depvar: depvar.name,
    terms,
    intercept,
    fixedEffects,
    endogenous,
    instruments,
    variables: [...new Set(names.flatMap(sources))],
    derived,
  };
}

/** Whether any of the model's computed columns is a lag, lead or difference (and so needs a panel). */
export function needsPanel(spec: ModelSpec): boolean {
  return spec.derived.some((d) => usesPanel(d.expr));
}

/** Recursive-descent parser over the token list; it only builds ParsedFormula, checks needing a whole model come later. */
class Parser extends TransformParser {
  protected override multi: Multi | null = null;

  parse(): ParsedFormula {
    this.checkStructure();
    const depvars = this.parseLhs();
    const tilde = this.expectOp("~", "'~' after the dependent variable");
    const { rhs, noIntercept } = this.parseRhs();
    const parsed: ParsedFormula = {
      depvars,
      rhs,
      multi: this.multi,
      noIntercept,
      tildePos: tilde.pos,
      fixedEffects: [],
      endogenous: [],
      instruments: [],
      columns: this.columns,
      derived: this.derived,
    };
    for (let part = 2; this.isOp("|"); part++) {
      const bar = this.next();
      if (parsed.endogenous.length > 0) {
        this.fail(bar.pos, "the IV part 'endogenous ~ instruments' must be the last part of the formula");
      }
      if (this.segmentHasTilde()) {
        this.parseIv(parsed);
      } else if (part === 3) {
        this.fail(this.peek().pos, "the third part must be the IV part, but it has no '~': expected 'endogenous ~ instruments'");
      } else {
        parsed.fixedEffects = this.parseFixedEffects();
      }
    }
    const rest = this.peek();
    if (rest.kind !== "end") this.fail(rest.pos, `unexpected ${describe(rest)}: expected '+', '|' or the end of the formula`);
    return parsed;
  }

  /** Whole-formula checks first, so that e.g. a missing ')' is reported as such, not as whatever follows. */
  private checkStructure(): void {
    if (this.tokens[0]!.kind === "end") this.fail(0, "empty formula: expected something like 'y ~ x1 + x2'");
    const open: Token[] = [];
    let bars = 0;
    for (const tok of this.tokens) {
      if (tok.kind !== "op") continue;
      if (tok.value === "(") open.push(tok);
      if (tok.value === ")" && open.pop() === undefined) {
        this.fail(tok.pos, "unbalanced parentheses: this ')' has no matching '('");
      }
      if (tok.value === "|" && ++bars > 2) {
        this.fail(tok.pos, "too many '|': a formula has at most three parts, 'y ~ x | fixed effects | endogenous ~ instruments'");
      }
    }
    if (open.length > 0) this.fail(open[open.length - 1]!.pos, "unbalanced parentheses: this '(' is never closed, expected ')'");
    if (!this.tokens.some((t) => t.kind === "op" && t.value === "~")) {
      this.fail(this.text.length, "missing '~': expected 'dependent variable ~ regressors', e.g. 'y ~ x1 + x2'");
    }
  }

  private parseLhs(): LocatedName[] {
    const tok = this.peek();
    if (this.isOp("~")) this.fail(tok.pos, "missing dependent variable: expected a column name before '~'");
    if (tok.kind === "name" && tok.value === "c" && this.isOp("(", 1)) {
      this.i += 2;
      const depvars = [this.parseSingleColumn("a dependent variable")];
      while (this.acceptSeparator(",")) depvars.push(this.parseSingleColumn("a dependent variable"));
      this.expectOp(")", "')' closing c(");
      this.rejectRepeats(depvars, "dependent variable");
      return depvars;
    }
    return [this.parseSingleColumn("the dependent variable")];
  }

  /** Regressors, with 0/1/-1 controlling the intercept. */
  private parseRhs(): { rhs: RhsItem[]; noIntercept: boolean } {
    const rhs: RhsItem[] = [];
    let noIntercept = false;
    let sign = this.acceptOp("-"); // "y ~ -1 + x"
    for (;;) {
      const tok = this.peek();
      if (tok.kind === "number") {
        this.next();
        const minus = sign?.value === "-";
        if (tok.value === "1") noIntercept = minus;
        else if (tok.value === "0" && !minus) noIntercept = true;
        else this.fail(tok.pos, "the only numbers allowed among the regressors are '1', '- 1' and '+ 0' (to keep or drop the intercept)");
      } else {
        if (sign?.value === "-") this.fail(sign.pos, "only the intercept can be removed: expected '- 1'");
        rhs.push(this.parseSummand());
      }
      sign = this.acceptSeparator("+") ?? this.acceptSeparator("-");
      if (sign === null) return { rhs, noIntercept };
    }
  }

  private parseSummand(): RhsItem {
    const tok = this.peek();
    if (!(tok.kind === "name" && MULTI_OPS.includes(tok.value) && this.isOp("(", 1))) return this.parseProduct();
    const multi = this.parseMulti();
    if (this.isOp(":") || this.isOp("*")) this.fail(this.peek().pos, `${multi.op}() cannot be interacted: expected '+', '|' or the end of the formula after it`);
    return multi;
  }

  private parseMulti(): Multi {
    const tok = this.next();
    this.next(); // "("
    if (this.multi !== null) this.rejectCall(tok);
    const multi: Multi = { op: tok.value as MultiOp, pos: tok.pos, options: [] };
    this.multi = multi;
    do {
      const option = [this.parseProduct()];
      while (this.acceptSeparator("+")) option.push(this.parseProduct());
      multi.options.push(option);
    } while (this.acceptSeparator(","));
    this.expectOp(")", `',' or ')' closing ${multi.op}(`);
    return multi;
  }

  /** a*b*c, kept unexpanded until the columns are checked and its size is known to be reasonable. */
  private parseProduct(): Product {
    const pos = this.peek().pos;
    const groups = [this.parseInteraction()];
    while (this.acceptSeparator("*")) groups.push(this.parseInteraction());
    if (groups.length > 1) this.rejectFactorIn(groups.flat(), "*");
    return { groups, pos };
  }

  private parseInteraction(): LocatedTerm[] {
    const parts = [this.parseAtom()];
    while (this.acceptSeparator(":")) parts.push(this.parseAtom());
    if (parts.length === 1) return parts[0]!;
    this.rejectFactorIn(parts.flat(), ":");
    if (parts.reduce((s, g) => s * g.length, 1) > MAX_TERMS) this.fail(parts[0]![0]!.pos, `this interaction expands to more than ${MAX_TERMS} terms`);
    return crossTerms(parts);
  }

  /** One factor of an interaction: i(), factor(), or the columns of a variable or transform. */
  private parseAtom(): LocatedTerm[] {
    const tok = this.peek();
    if (tok.kind === "name" && this.isOp("(", 1) && tok.value === "i") return [this.parseI()];
    if (tok.kind === "name" && this.isOp("(", 1) && tok.value === "factor") return [this.parseFactorCall()];
    if (tok.kind === "name" && this.isOp("(", 1) && tok.value === "sunab") return [this.parseSunab()];
    return this.parseColumns("a variable, i(...) or sw(...)").map(({ name, pos }) => {
      const expr = this.derived.get(name)?.expr;
      if (expr && isLogical(expr)) {
        return { term: { kind: "factor", style: "logical", variable: name, by: null, ref: null, keep: null, drop: null, bin: null, dropFirst: true }, pos };
      }
      return { term: { kind: "variable", name }, pos };
    });
  }

  /** factor(var): dummies for the levels, the first one the reference. */
  private parseFactorCall(): LocatedTerm {
    const tok = this.next();
    this.next(); // "("
    const variable = this.parseSingleColumn("a variable in factor()");
    this.expectOp(")", "')' closing factor(): factor() takes one variable (use i() for references, keep or bin)");
    return { term: { kind: "factor", style: "factor", variable: variable.name, by: null, ref: null, keep: null, drop: null, bin: null, dropFirst: true }, pos: tok.pos };
  }

  /** sunab(cohort, period [, ref.p = periods]) */
  private parseSunab(): LocatedTerm {
    const tok = this.next();
    this.next(); // "("
    const cohort = this.parseSingleColumn("the cohort variable in sunab()");
    this.expectOp(",", "',' and the period variable in sunab(cohort, period)");
    const period = this.parseSingleColumn("the period variable in sunab()");
    let refPeriods = [-1];
    while (this.acceptSeparator(",")) {
      const arg = this.expectName("ref.p = value");
      if (arg.name !== "ref.p") this.fail(arg.pos, `sunab() has no argument '${arg.name}' here: the only one supported is ref.p (the reference relative periods, default -1)`);
      this.expectOp("=", "'=' after ref.p");
      const levels = this.parseLevels("ref.p");
      if (!levels.every((l) => typeof l === "number" && Number.isInteger(l))) this.fail(arg.pos, "ref.p takes integer relative periods, e.g. ref.p = c(-1, -5)");
      refPeriods = levels as number[];
    }
    this.expectOp(")", "')' closing sunab(");
    return { term: { kind: "sunab", cohort: cohort.name, period: period.name, refPeriods }, pos: tok.pos };
  }

  /** i(var), i(var, x), i(var, x, ref); named ref, keep, drop, bin. */
  private parseI(): LocatedTerm {
    const tok = this.next();
    this.next(); // "("
    const vars: LocatedName[] = [];
    const named: Record<"ref" | "keep" | "drop", Level[] | null> = { ref: null, keep: null, drop: null };
    let bin: FactorBin[] | null = null;
    const seen = new Set<string>();
    do {
      const arg = this.peek();
      if (arg.kind === "name" && this.isOp("=", 1)) {
        if (!["ref", "keep", "drop", "bin"].includes(arg.value)) {
          this.fail(arg.pos, `i() has no argument '${arg.value}': the named arguments supported are ref, keep, drop and bin`);
        }
        if (seen.has(arg.value)) this.fail(arg.pos, `${arg.value} is given twice in i()`);
        seen.add(arg.value);
        this.i += 2;
        if (arg.value === "bin") bin = this.parseBins();
        else named[arg.value as "ref" | "keep" | "drop"] = this.parseLevels(arg.value);
      } else if (vars.length === 2) {
        if (seen.has("ref")) this.fail(arg.pos, "ref is given twice in i()");
        seen.add("ref");
        named.ref = this.parseLevels("ref");
      } else {
        vars.push(this.parseSingleColumn("a variable in i()"));
      }
    } while (this.acceptSeparator(","));
    this.expectOp(")", "',' or ')' closing i(");
    const [variable, by] = vars;
    if (variable === undefined) this.fail(tok.pos, "i() needs the factor variable first: expected i(var) or i(var, ref = value)");
    if (by?.name === variable.name) this.fail(by.pos, `i() interacts '${variable.name}' with itself: expected a different numeric variable`);
    const term: Term = { kind: "factor", style: "i", variable: variable.name, by: by?.name ?? null, ...named, bin, dropFirst: false };
    return { term, pos: tok.pos };
  }

  /** bin = list("label" = c(values), …) */
  private parseBins(): FactorBin[] {
    const tok = this.peek();
    if (!(tok.value === "list" && this.isOp("(", 1))) {
      this.fail(tok.pos, 'bin must be written bin = list("label" = c(value, …), …): other forms of fixest\'s bin are not supported');
    }
    this.i += 2;
    const bins: FactorBin[] = [];
    do {
      const label = this.next();
      if (label.kind !== "string" && label.kind !== "name" && label.kind !== "number") this.fail(label.pos, `expected a bin's label but found ${describe(label)}`);
      this.expectOp("=", "'=' after the bin's label");
      bins.push({ label: label.kind === "number" ? Number(label.value) : label.value, values: this.parseLevels("bin") });
    } while (this.acceptSeparator(","));
    this.expectOp(")", "')' closing bin = list(");
    return bins;
  }

  /** fe1 + fe2^fe3 + ..., with at most one sw/csw/sw0/csw0 of fixed effects. */
  private parseFixedEffects(): FeItem[] {
    const list: FeItem[] = [];
    const seen = new Map<string, LocatedEffect>();
    let multi: MultiOf<LocatedEffect> | null = null;
    do {
      const tok = this.peek();
      if (!(tok.kind === "name" && MULTI_OPS.includes(tok.value) && this.isOp("(", 1))) {
        list.push(this.parseFixedEffect(seen));
        continue;
      }
      if (multi !== null) {
        this.fail(tok.pos, `only one sw(), csw(), sw0() or csw0() is allowed in the fixed-effect part; there is already ${multi.op}() at column ${multi.pos + 1}`);
      }
      this.i += 2;
      multi = { op: tok.value as MultiOp, pos: tok.pos, options: [] };
      do {
        // Alternatives may repeat one another's effects, not the effects outside them.
        const inOption = new Map(seen);
        const option = [this.parseFixedEffect(inOption)];
        while (this.acceptSeparator("+")) option.push(this.parseFixedEffect(inOption));
        multi.options.push(option);
      } while (this.acceptSeparator(","));
      this.expectOp(")", `',' or ')' closing ${multi.op}(`);
      list.push(multi);
    } while (this.acceptSeparator("+"));
    return list;
  }

  /** fe or fe1^fe2, checked against those already listed. */
  private parseFixedEffect(seen: Map<string, LocatedEffect>): LocatedEffect {
    const vars = [this.expectName("a fixed-effect variable")];
    while (this.acceptSeparator("^")) vars.push(this.expectName("a fixed-effect variable"));
    this.columns.push(...vars);
    const names = vars.map((v) => v.name);
    const effect: FixedEffect = { variables: names, name: names.join("^") };
    if (this.isOp("[")) {
      this.next();
      const only = this.acceptOp("[") !== null;
      const slopes = [this.expectName("a varying-slope variable")];
      while (this.acceptSeparator(",")) slopes.push(this.expectName("a varying-slope variable"));
      this.columns.push(...slopes);
      this.rejectRepeats(slopes, `varying slope of '${effect.name}'`);
      this.expectOp("]", only ? "']]' closing the varying slopes" : "']' closing the varying slopes");
      if (only) this.expectOp("]", "']]' closing the varying slopes");
      effect.slopes = slopes.map((v) => v.name);
      effect.slopesOnly = only;
      effect.name = formatEffect(effect);
    }
    const fe = { fe: effect, pos: vars[0]!.pos };
    this.rejectRepeats(vars, `variable in fixed effect '${fe.fe.name}'`);
    // fe1^fe2 and fe2^fe1 define the same groups.
    const key = [...names].sort().join("^") + (effect.slopes ? effect.name.slice(effect.name.indexOf("[")) : "");
    const earlier = seen.get(key);
    if (earlier) this.fail(fe.pos, `fixed effect '${fe.fe.name}' is listed twice (also at column ${earlier.pos + 1})`);
    seen.set(key, fe);
    return fe;
  }

  /** endo1 + endo2 ~ inst1 + inst2 */
  private parseIv(parsed: ParsedFormula): void {
    const endogenous = this.parseColumnList("an endogenous variable");
    const tilde = this.expectOp("~", "'~' between the endogenous variables and the instruments");
    const instruments = this.parseColumnList("an instrument");
    this.rejectRepeats([...endogenous, ...instruments], "variable in the IV part");
    if (instruments.length < endogenous.length) {
      const list = (names: LocatedName[]) => names.map((n) => n.name).join(", ");
      this.fail(
        tilde.pos,
        `the IV part has ${endogenous.length} endogenous variables (${list(endogenous)}) but only ` +
          `${instruments.length} instrument${instruments.length === 1 ? "" : "s"} (${list(instruments)}): ` +
          "expected at least as many instruments as endogenous variables",
      );
    }
    parsed.endogenous = endogenous;
    parsed.instruments = instruments;
  }

  private parseColumnList(what: string): LocatedName[] {
    const names = this.parseColumns(what);
    while (this.acceptSeparator("+")) names.push(...this.parseColumns(what));
    return names;
  }

  /** Whether the part starting here (up to the next '|') contains '~', i.e. is the IV part. */
  private segmentHasTilde(): boolean {
    for (let j = this.i; this.tokens[j]!.kind !== "end" && !isOp(this.tokens[j]!, "|"); j++) {
      if (isOp(this.tokens[j]!, "~")) return true;
    }
    return false;
  }

  private rejectRepeats(names: LocatedName[], what: string): void {
    const seen = new Set<string>();
    for (const n of names) {
      if (seen.has(n.name)) this.fail(n.pos, `'${n.name}' is listed twice as a ${what}`);
      seen.add(n.name);
    }
  }

  private rejectFactorIn(parts: LocatedTerm[], op: string): void {
    const factor = parts.find((p) => p.term.kind === "factor" || p.term.kind === "sunab");
    if (factor?.term.kind === "sunab") this.fail(factor.pos, `sunab() cannot be combined with '${op}': it must be a term of its own`);
    if (factor) {
      this.fail(factor.pos, `i(), factor() and logical terms such as I(x > 0) cannot be combined with '${op}': write i(var, x) to interact a factor with a numeric variable x`);
    }
  }

}

function bitCount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m >>= 1) count += m & 1;
  return count;
}
