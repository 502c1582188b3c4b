/**
 * Tokens of the fixest formula language, and the one way formula syntax errors are reported:
 * the message echoes the formula with a caret under the offending position.
 */
import { InputError } from "../core/errors.js";

export type TokenKind = "name" | "number" | "string" | "op" | "end";

export interface Token {
  readonly kind: TokenKind;
  /** Identifier (backquotes removed), number literal, string contents or operator character. */
  readonly value: string;
  /** Offset of the token's first character in the formula text. */
  readonly pos: number;
}

const OPERATORS = "~+-*/:^|(),=<>!&[]";
/** Two-character operators, tried before the one-character ones. */
const PAIRS = [">=", "<=", "==", "!="];
const IDENT_START = /[A-Za-z_.]/;
const IDENT_PART = /[A-Za-z0-9_.]/;
const DIGIT = /[0-9]/;
const NUMBER = /^(?:[0-9]+(?:\.[0-9]*)?|\.[0-9]+)(?:[eE][+-]?[0-9]+)?/;

/** Builds InputError("formula"), showing where in `text` the problem is. */
export function formulaError(text: string, pos: number, message: string): InputError {
  // Tabs and newlines would misalign the caret, so every whitespace character is shown as a space.
  const shown = text.replace(/\s/g, " ");
  return new InputError(
    "formula",
    `Invalid formula (column ${pos + 1}): ${message}\n  ${shown}\n  ${" ".repeat(pos)}^`,
  );
}

/** A name as it must be written in a formula: backquoted unless it lexes as an identifier. */
export function formatName(name: string): string {
  const plain = IDENT_START.test(name[0] ?? "") && [...name].every((c) => IDENT_PART.test(c));
  // ".5" matches the identifier pattern but is read back as a number.
  return plain && !/^\.[0-9]/.test(name) ? name : `\`${name}\``;
}

export function tokenize(text: string): Token[] {
  const tokens: Token[] = [];
  let i = 0;
  while (i < text.length) {
    const c = text[i]!;
    if (/\s/.test(c)) {
      i++;
    } else if (PAIRS.includes(text.slice(i, i + 2))) {
      tokens.push({ kind: "op", value: text.slice(i, i + 2), pos: i });
      i += 2;
    } else if (OPERATORS.includes(c)) {
      tokens.push({ kind: "op", value: c, pos: i });
      i++;
    } else if (DIGIT.test(c) || (c === "." && DIGIT.test(text[i + 1] ?? ""))) {
      // A leading "." followed by a digit is a number, as in R, not an identifier.
      const literal = NUMBER.exec(text.slice(i))![0];
      tokens.push({ kind: "number", value: literal, pos: i });
      i += literal.length;
    } else if (IDENT_START.test(c)) {
      let j = i + 1;
      while (j < text.length && IDENT_PART.test(text[j]!)) j++;
      tokens.push({ kind: "name", value: text.slice(i, j), pos: i });
      i = j;
    } else if (c === "`" || c === '"' || c === "'") {
      const close = text.indexOf(c, i + 1);
      const what = c === "`" ? "backquoted name" : "string";
      if (close < 0) throw formulaError(text, i, `unterminated ${what}: expected a closing ${c}`);
      const value = text.slice(i + 1, close);
      if (c === "`" && value === "") throw formulaError(text, i, "empty backquoted name: expected a column name between the backquotes");
      tokens.push({ kind: c === "`" ? "name" : "string", value, pos: i });
      i = close + 1;
    } else {
      throw formulaError(
        text,
        i,
        `unexpected character '${c}': expected a variable name or one of ${[...OPERATORS].join(" ")}` +
          " (backquote column names that contain other characters)",
      );
    }
  }
  tokens.push({ kind: "end", value: "", pos: text.length });
  return tokens;
}
