/**
 * Parser for fixest formulas:
 *
 *   depvar ~ regressors [| fixed effects] [| endogenous ~ instruments]
 *
 * with interactions (x:z, x*z), factor expansion i(var, [x], ref = v), interacted fixed effects
 * (fe1^fe2) and fixest's multiple estimation: c(y1, y2) on the left, one of sw/csw/sw0/csw0 on
 * the right. Every mistake is an InputError("formula") pointing at the offending position.
 */
import { InputError } from "../errors.js";
import { formatName, formulaError, tokenize, type Token } from "./lexer.js";

export type Term =
  | { kind: "variable"; name: string }
  | { kind: "interaction"; variables: string[] }
  | { kind: "factor"; variable: string; ref: string | number | null; by: string | null };

export interface FixedEffect {
  variables: string[];
  /** "fe1^fe2", as fixest prints it. */
  name: string;
}

export interface ModelSpec {
  /** This single model's formula, normalised. */
  formula: string;
  depvar: string;
  /** Exogenous regressors, in order. */
  terms: Term[];
  /** True only without fixed effects and without "- 1" / "+ 0". */
  intercept: boolean;
  fixedEffects: FixedEffect[];
  endogenous: string[];
  instruments: string[];
  /** Every data column the model uses, deduplicated, in first-use order. */
  variables: string[];
}

type MultiOp = "sw" | "csw" | "sw0" | "csw0";
const MULTI_OPS: readonly string[] = ["sw", "csw", "sw0", "csw0"];

/** Where each supported function may appear, for the message when it is used elsewhere. */
const FUNCTION_PLACES: ReadonlyMap<string, string> = new Map([
  ["i", "i() is only allowed among the regressors, left of the first '|'"],
  ["c", "c() is only allowed around the dependent variables, left of '~'"],
  ...MULTI_OPS.map((op) => [op, `${op}() must be a term of its own among the regressors, left of the first '|'`] as const),
]);

// Positions travel with parsed pieces so that checks made after parsing can still point at them.
interface LocatedName {
  name: string;
  pos: number;
}
interface LocatedTerm {
  term: Term;
  pos: number;
}
interface Multi {
  op: MultiOp;
  pos: number;
  /** One sum of terms per argument. */
  options: LocatedTerm[][];
}
type RhsItem = LocatedTerm | Multi;

interface ParsedFormula {
  depvars: LocatedName[];
  /** Regressors in written order; the Multi item, if any, is replaced by each alternative. */
  rhs: RhsItem[];
  multi: Multi | null;
  noIntercept: boolean;
  tildePos: number;
  fixedEffects: { fe: FixedEffect; pos: number }[];
  endogenous: LocatedName[];
  instruments: LocatedName[];
}

/** Parses a formula that describes exactly one model. */
export function parseFormula(text: string): ModelSpec {
  const specs = parseMultiFormula(text);
  if (specs.length > 1) {
    throw new InputError(
      "formula",
      `formula "${text}" expands to ${specs.length} models (through c(), sw(), csw(), sw0() or csw0()); ` +
        "use parseMultiFormula to estimate several models",
    );
  }
  return specs[0]!;
}

/** Parses a formula and expands multiple estimation: one spec per dependent variable, then per sw/csw step. */
export function parseMultiFormula(text: string): ModelSpec[] {
  const parsed = new Parser(text).parse();
  return parsed.depvars.flatMap((depvar) =>
    alternatives(parsed.multi).map((alternative) => {
      const terms = parsed.rhs.flatMap((item) => ("options" in item ? alternative : [item]));
      return buildSpec(text, parsed, depvar, terms);
    }),
  );
}

/** Name of a term's coefficient; for factors the prefix fixest puts before each level ("region::"). */
export function termName(t: Term): string {
  switch (t.kind) {
    case "variable":
      return t.name;
    case "interaction":
      return t.variables.join(":");
    case "factor":
      return `${t.variable}::`;
  }
}

function termVariables(t: Term): string[] {
  switch (t.kind) {
    case "variable":
      return [t.name];
    case "interaction":
      return t.variables;
    case "factor":
      return t.by === null ? [t.variable] : [t.variable, t.by];
  }
}

/** A product of variables; repeats collapse (x:x is x), as in R. */
function productTerm(variables: string[]): Term {
  const unique = [...new Set(variables)];
  return unique.length === 1 ? { kind: "variable", name: unique[0]! } : { kind: "interaction", variables: unique };
}

function formatTerm(t: Term): string {
  if (t.kind !== "factor") return termVariables(t).map(formatName).join(":");
  const args = [formatName(t.variable)];
  if (t.by !== null) args.push(formatName(t.by));
  if (typeof t.ref === "number") args.push(`ref = ${t.ref}`);
  if (typeof t.ref === "string") args.push(t.ref.includes('"') ? `ref = '${t.ref}'` : `ref = "${t.ref}"`);
  return `i(${args.join(", ")})`;
}

/** Identity of a term for deduplication: x:z and z:x are the same regressor. */
function termKey(t: Term): string {
  return t.kind === "interaction" ? [...t.variables].sort().join(":") : formatTerm(t);
}

/** The regressor sets a multiple-estimation operator stands for, in fixest's order. */
function alternatives(multi: Multi | null): LocatedTerm[][] {
  if (multi === null) return [[]];
  const { op, options } = multi;
  const steps = op === "csw" || op === "csw0" ? options.map((_, k) => options.slice(0, k + 1).flat()) : options;
  return op === "sw0" || op === "csw0" ? [[], ...steps] : steps;
}

function buildSpec(text: string, parsed: ParsedFormula, depvar: LocatedName, located: LocatedTerm[]): ModelSpec {
  const fail = (pos: number, message: string): never => {
    throw formulaError(text, pos, message);
  };
  const ivNames = [...parsed.endogenous, ...parsed.instruments];
  const terms: Term[] = [];
  const seen = new Set<string>();
  for (const { term, pos } of located) {
    const vars = termVariables(term);
    const clash = ivNames.find((n) => vars.includes(n.name));
    if (clash) {
      const role = parsed.endogenous.includes(clash) ? "endogenous" : "an instrument";
      fail(clash.pos, `'${clash.name}' is ${role} but also an exogenous regressor (column ${pos + 1}): list it in one place only`);
    }
    // Repeated terms (e.g. "x*z + x") are dropped, as R's terms() does.
    const key = termKey(term);
    if (!seen.has(key)) terms.push(term);
    seen.add(key);
  }

  const uses: LocatedName[] = [
    ...located.flatMap(({ term, pos }) => termVariables(term).map((name) => ({ name, pos }))),
    ...parsed.fixedEffects.flatMap(({ fe, pos }) => fe.variables.map((name) => ({ name, pos }))),
    ...ivNames,
  ];
  const selfUse = uses.find((u) => u.name === depvar.name);
  if (selfUse) fail(selfUse.pos, `the dependent variable '${depvar.name}' also appears on the right of '~'`);

  const fixedEffects = parsed.fixedEffects.map((f) => f.fe);
  const endogenous = parsed.endogenous.map((n) => n.name);
  const instruments = parsed.instruments.map((n) => n.name);
  const intercept = fixedEffects.length === 0 && !parsed.noIntercept;
  if (terms.length === 0 && !intercept && fixedEffects.length === 0 && endogenous.length === 0) {
    fail(parsed.tildePos, "the model has nothing to estimate: expected a regressor, the intercept, fixed effects or an IV part");
  }

  let rhs = terms.map(formatTerm).join(" + ");
  if (rhs === "") rhs = intercept || fixedEffects.length > 0 ? "1" : "0";
  else if (!intercept && fixedEffects.length === 0) rhs += " - 1";
  const parts = [`${formatName(depvar.name)} ~ ${rhs}`];
  if (fixedEffects.length > 0) {
    parts.push(fixedEffects.map((fe) => fe.variables.map(formatName).join("^")).join(" + "));
  }
  if (endogenous.length > 0) {
    parts.push(`${endogenous.map(formatName).join(" + ")} ~ ${instruments.map(formatName).join(" + ")}`);
  }

  return {
    formula: parts.join(" | "),
    depvar: depvar.name,
    terms,
    intercept,
    fixedEffects,
    endogenous,
    instruments,
    variables: [...new Set([depvar.name, ...uses.map((u) => u.name)])],
  };
}

/** Recursive-descent parser over the token list; it only builds ParsedFormula, checks needing a whole model come later. */
class Parser {
  private readonly tokens: Token[];
  private i = 0;
  private multi: Multi | null = null;

  constructor(private readonly text: string) {
    this.tokens = tokenize(text);
  }

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
      const depvars = this.parseNameList("a dependent variable", ",");
      this.expectOp(")", "')' closing c(");
      this.rejectRepeats(depvars, "dependent variable");
      return depvars;
    }
    return [this.expectName("the dependent variable")];
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
        rhs.push(...this.parseSummand());
      }
      sign = this.acceptSeparator("+") ?? this.acceptSeparator("-");
      if (sign === null) return { rhs, noIntercept };
    }
  }

  private parseSummand(): RhsItem[] {
    const tok = this.peek();
    if (!(tok.kind === "name" && MULTI_OPS.includes(tok.value) && this.isOp("(", 1))) return this.parseProduct();
    const multi = this.parseMulti();
    if (this.isOp(":") || this.isOp("*")) this.fail(this.peek().pos, `${multi.op}() cannot be interacted: expected '+', '|' or the end of the formula after it`);
    return [multi];
  }

  private parseMulti(): Multi {
    const tok = this.next();
    this.next(); // "("
    if (this.multi !== null) this.rejectCall(tok);
    const multi: Multi = { op: tok.value as MultiOp, pos: tok.pos, options: [] };
    this.multi = multi;
    do {
      const option = this.parseProduct();
      while (this.acceptSeparator("+")) option.push(...this.parseProduct());
      multi.options.push(option);
    } while (this.acceptSeparator(","));
    this.expectOp(")", `',' or ')' closing ${multi.op}(`);
    return multi;
  }

  /** a*b*c: every non-empty product of the factors, main effects first (R's order). */
  private parseProduct(): LocatedTerm[] {
    const factors = [this.parseInteraction()];
    while (this.acceptSeparator("*")) factors.push(this.parseInteraction());
    if (factors.length === 1) return factors;
    this.rejectFactorIn(factors, "*");
    const masks = Array.from({ length: 2 ** factors.length - 1 }, (_, k) => k + 1);
    masks.sort((a, b) => bitCount(a) - bitCount(b)); // stable: same-order terms stay in written order
    return masks.map((mask) => {
      const chosen = factors.filter((_, j) => (mask >> j) & 1);
      return { term: productTerm(chosen.flatMap((f) => termVariables(f.term))), pos: chosen[0]!.pos };
    });
  }

  private parseInteraction(): LocatedTerm {
    const parts = [this.parseAtom()];
    while (this.acceptSeparator(":")) parts.push(this.parseAtom());
    if (parts.length === 1) return parts[0]!;
    this.rejectFactorIn(parts, ":");
    return { term: productTerm(parts.flatMap((p) => termVariables(p.term))), pos: parts[0]!.pos };
  }

  private parseAtom(): LocatedTerm {
    const tok = this.peek();
    if (tok.kind === "name" && tok.value === "i" && this.isOp("(", 1)) return this.parseFactor();
    const { name, pos } = this.expectName("a variable, i(...) or sw(...)");
    return { term: { kind: "variable", name }, pos };
  }

  /** i(var), i(var, x), with optional ref = number | "string". */
  private parseFactor(): LocatedTerm {
    const tok = this.next();
    this.next(); // "("
    const vars: LocatedName[] = [];
    let ref: string | number | null = null;
    do {
      const arg = this.peek();
      if (arg.kind === "name" && this.isOp("=", 1)) {
        if (arg.value !== "ref") this.fail(arg.pos, `i() has no argument '${arg.value}': the only named argument supported is ref = value`);
        if (ref !== null) this.fail(arg.pos, "ref is given twice in i()");
        this.i += 2;
        ref = this.parseRefValue();
      } else if (vars.length === 2) {
        this.fail(arg.pos, "i() takes at most two variables, i(var, x): expected 'ref = value' or ')'");
      } else {
        vars.push(this.expectName("a variable in i()"));
      }
    } while (this.acceptSeparator(","));
    this.expectOp(")", "',' or ')' closing i(");
    const [variable, by] = vars;
    if (variable === undefined) this.fail(tok.pos, "i() needs the factor variable first: expected i(var) or i(var, ref = value)");
    if (by?.name === variable.name) this.fail(by.pos, `i() interacts '${variable.name}' with itself: expected a different numeric variable`);
    return { term: { kind: "factor", variable: variable.name, by: by?.name ?? null, ref }, pos: tok.pos };
  }

  private parseRefValue(): string | number {
    const minus = this.acceptOp("-");
    const tok = this.next();
    if (tok.kind === "number") return minus ? -Number(tok.value) : Number(tok.value);
    if (tok.kind === "string" && minus === null) return tok.value;
    return this.fail(minus?.pos ?? tok.pos, `expected a number or a quoted string after 'ref =' but found ${describe(tok)}`);
  }

  /** fe1 + fe2^fe3 + ... */
  private parseFixedEffects(): { fe: FixedEffect; pos: number }[] {
    const list: { fe: FixedEffect; pos: number }[] = [];
    const seen = new Map<string, { fe: FixedEffect; pos: number }>();
    do {
      const vars = [this.expectName("a fixed-effect variable")];
      while (this.acceptSeparator("^")) vars.push(this.expectName("a fixed-effect variable"));
      const names = vars.map((v) => v.name);
      const fe = { fe: { variables: names, name: names.join("^") }, pos: vars[0]!.pos };
      this.rejectRepeats(vars, `variable in fixed effect '${fe.fe.name}'`);
      // fe1^fe2 and fe2^fe1 define the same groups.
      const key = [...names].sort().join("^");
      const earlier = seen.get(key);
      if (earlier) this.fail(fe.pos, `fixed effect '${fe.fe.name}' is listed twice (also at column ${earlier.pos + 1})`);
      seen.set(key, fe);
      list.push(fe);
    } while (this.acceptSeparator("+"));
    return list;
  }

  /** endo1 + endo2 ~ inst1 + inst2 */
  private parseIv(parsed: ParsedFormula): void {
    const endogenous = this.parseNameList("an endogenous variable", "+");
    const tilde = this.expectOp("~", "'~' between the endogenous variables and the instruments");
    const instruments = this.parseNameList("an instrument", "+");
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

  private parseNameList(what: string, separator: "+" | ","): LocatedName[] {
    const names = [this.expectName(what)];
    while (this.acceptSeparator(separator)) names.push(this.expectName(what));
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
    const repeat = names.find((n, k) => names.findIndex((m) => m.name === n.name) < k);
    if (repeat) this.fail(repeat.pos, `'${repeat.name}' is listed twice as a ${what}`);
  }

  private rejectFactorIn(parts: LocatedTerm[], op: string): void {
    const factor = parts.find((p) => p.term.kind === "factor");
    if (factor) this.fail(factor.pos, `i() cannot be combined with '${op}': write i(var, x) to interact a factor with a numeric variable x`);
  }

  /** A function call where it is not allowed, or of a function that is not supported at all. */
  private rejectCall(tok: Token): never {
    const name = tok.value;
    if (MULTI_OPS.includes(name) && this.multi !== null) {
      this.fail(tok.pos, `only one sw(), csw(), sw0() or csw0() is allowed per formula; there is already ${this.multi.op}() at column ${this.multi.pos + 1}`);
    }
    const place = FUNCTION_PLACES.get(name);
    if (place !== undefined) this.fail(tok.pos, place);
    // "log(x)" suggests a column "log_x".
    const at = this.tokens.indexOf(tok);
    const arg = this.tokens[at + 2]!;
    const example = arg.kind === "name" && isOp(this.tokens[at + 3]!, ")") ? `${name}_${arg.value}` : `${name}_x`;
    return this.fail(
      tok.pos,
      `unknown function ${name}(): functions other than i(), sw(), csw(), sw0(), csw0() and c() are not supported; ` +
        `create the transformed variable as a column (e.g. ${example}) and use its name`,
    );
  }

  private expectName(what: string): LocatedName {
    const tok = this.peek();
    if (tok.kind !== "name") this.fail(tok.pos, `expected ${what} but found ${describe(tok)}`);
    if (this.isOp("(", 1)) this.rejectCall(tok);
    this.next();
    return { name: tok.value, pos: tok.pos };
  }

  private expectOp(value: string, what: string): Token {
    const tok = this.peek();
    if (!isOp(tok, value)) this.fail(tok.pos, `expected ${what} but found ${describe(tok)}`);
    return this.next();
  }

  /** Consumes a separator such as '+', failing if nothing follows it. */
  private acceptSeparator(value: string): Token | null {
    const tok = this.acceptOp(value);
    const after = this.peek();
    if (tok && (after.kind === "end" || [..."|)~,+"].some((v) => isOp(after, v)))) {
      this.fail(tok.pos, `dangling '${value}': expected a term after it but found ${describe(after)}`);
    }
    return tok;
  }

  private acceptOp(value: string): Token | null {
    return this.isOp(value) ? this.next() : null;
  }

  private isOp(value: string, offset = 0): boolean {
    return isOp(this.peek(offset), value);
  }

  private peek(offset = 0): Token {
    return this.tokens[Math.min(this.i + offset, this.tokens.length - 1)]!;
  }

  private next(): Token {
    const tok = this.peek();
    if (tok.kind !== "end") this.i++;
    return tok;
  }

  private fail(pos: number, message: string): never {
    throw formulaError(this.text, pos, message);
  }
}

function isOp(tok: Token, value: string): boolean {
  return tok.kind === "op" && tok.value === value;
}

function describe(tok: Token): string {
  if (tok.kind === "end") return "the end of the formula";
  if (tok.kind === "string") return `the string "${tok.value}"`;
  return `'${tok.value}'`;
}

function bitCount(n: number): number {
  let count = 0;
  for (let m = n; m > 0; m >>= 1) count += m & 1;
  return count;
}
