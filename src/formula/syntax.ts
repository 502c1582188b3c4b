/**
 * The formula's syntax: a recursive-descent parser over the token list (lexer.ts) that builds the
 * written structure — dependent variables, regressors as unexpanded products, the multiple-
 * estimation operator, fixed effects, the IV part — and the columns it names. Checks that need a
 * whole model (clashes between parts, the dependent variable on the right) are parse.ts's.
 */
import type { Level } from "../data/encode.js";
import type { DerivedColumn } from "./evaluate.js";
import type { Token } from "./lexer.js";
import { formatEffect, isLogical, type FactorBin, type FixedEffect, type Term } from "./terms.js";
import { describe, isOp, MULTI_OPS, TransformParser, type LocatedName, type MultiOp } from "./transforms.js";
import { crossTerms, MAX_TERMS, type LocatedTerm, type Product } from "./products.js";

/** sw/csw/sw0/csw0 in the regressors (options: products) or in the fixed effects (options: fixed effects). */
export interface MultiOf<T> {
  op: MultiOp;
  pos: number;
  /** One sum per argument. */
  options: T[][];
}
export type Multi = MultiOf<Product>;
export interface LocatedEffect {
  fe: FixedEffect;
  pos: number;
}
export type FeItem = LocatedEffect | MultiOf<LocatedEffect>;
export type RhsItem = Product | Multi;

export interface ParsedFormula {
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

/** The written structure of a formula (module comment); every syntax error is an InputError("formula") at its position. */
export function parseSyntax(text: string): ParsedFormula {
  return new Parser(text).parse();
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
