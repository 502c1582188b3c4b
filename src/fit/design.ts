import type { Column, Frame, NumericColumn } from "../data/frame.js";
import { encodeColumn, type Encoding, type Level } from "../data/encode.js";
import { InputError } from "../core/errors.js";
import { termName, type Term } from "../formula/parse.js";
import { sunabCells } from "./sunab.js";

/**
 * The regressors a formula's terms expand to, over the sample rows: a plain variable (or a
 * derived column, already in the frame) is one column, x:z the product of numeric columns,
 * i(var) / factor(var) / a logical I(x > 0) one dummy per level of var but the references (times
 * `by` when given). Names follow fixest: "x:z", "var::level", "var::level:by", "factor(var)level",
 * "I(x > 0)TRUE".
 */
export interface DesignColumn {
  readonly name: string;
  /** Writes the column's n values (one per sample row) into out. */
  readonly fill: (out: Float64Array) => void;
  /** The frame column this one is at the sample rows, when it is one (a plain variable): gathered in wasm by the model matrix. */
  readonly source?: Float64Array;
}

/** A numeric column of the frame at the sample rows. */
export function plainColumn(frame: Frame, name: string, rows: Int32Array): DesignColumn {
  const v = (frame.columns.get(name) as NumericColumn).values;
  return { name, source: v, fill: (o) => { for (let i = 0; i < rows.length; i++) o[i] = v[rows[i]]; } };
}

export function designColumns(frame: Frame, terms: readonly Term[], rows: Int32Array): DesignColumn[] {
  const numeric = (name: string): Float64Array => (frame.columns.get(name) as NumericColumn).values;
  const out: DesignColumn[] = [];
  for (const term of terms) {
    if (term.kind === "variable") {
      out.push(plainColumn(frame, term.name, rows));
    } else if (term.kind === "interaction") {
      const vs = term.variables.map(numeric);
      out.push({
        name: term.variables.join(":"),
        fill: (o) => {
          for (let i = 0; i < rows.length; i++) {
            let p = 1;
            for (const v of vs) p *= v[rows[i]];
            o[i] = p;
          }
        },
      });
    } else if (term.kind === "sunab") {
      const cells = sunabCells(frame, term, rows);
      cells.names.forEach((name, j) => {
        out.push({ name, fill: (o) => { for (let i = 0; i < rows.length; i++) o[i] = cells.cellOf[i] === j ? 1 : 0; } });
      });
    } else {
      out.push(...factorColumns(frame, term, rows));
    }
  }
  return out;
}

type FactorTerm = Extract<Term, { kind: "factor" }>;

const sameLevel = (a: Level, b: Level) => String(a) === String(b);

/**
 * The terms with each implicit reference (the first level that i() / factor() drop) written out
 * as the level it is in the sample, so that new data builds the fit's columns whatever its own
 * first level.
 */
export function explicitReferences(frame: Frame, terms: readonly Term[], rows: Int32Array): Term[] {
  return terms.map((t) => {
    if (t.kind !== "factor" || !t.dropFirst) return t;
    const first = dummyGroups(t, encodeColumn(frame.columns.get(t.variable)!, rows))[0];
    return first ? { ...t, ref: [...(t.ref ?? []), first.label], dropFirst: false } : t;
  });
}

/** The level groups (levels after binning) that are not a reference, dropped or outside keep. */
function dummyGroups(term: FactorTerm, enc: Encoding): { label: Level; codes: number[] }[] {
  const groups: { label: Level; codes: number[] }[] = [];
  enc.levels.forEach((value, code) => {
    const level = term.style === "logical" ? (value === 1 ? "TRUE" : "FALSE") : value;
    const label = term.bin?.find((b) => b.values.some((v) => sameLevel(v, level)))?.label ?? level;
    const group = groups.find((g) => sameLevel(g.label, label));
    if (group) group.codes.push(code);
    else groups.push({ label, codes: [code] });
  });
  const listed = (vs: readonly Level[] | null, label: Level) => vs !== null && vs.some((v) => sameLevel(v, label));
  return groups.filter((g) => !listed(term.ref, g.label) && !listed(term.drop, g.label) && (term.keep === null || listed(term.keep, g.label)));
}

/** One dummy per level group, but the first when the term drops it. */
function factorColumns(frame: Frame, term: FactorTerm, rows: Int32Array): DesignColumn[] {
  const enc = encodeColumn(frame.columns.get(term.variable)!, rows);
  const groups = dummyGroups(term, enc);
  const kept = term.dropFirst ? groups.slice(1) : groups;
  const by = term.by === null ? null : (frame.columns.get(term.by) as NumericColumn).values;
  const prefix = termName(term);
  const suffix = term.by === null ? "" : `:${term.by}`;
  return kept.map((g) => {
    const inGroup = new Uint8Array(enc.size);
    for (const c of g.codes) inGroup[c] = 1;
    return {
      name: `${prefix}${g.label}${suffix}`,
      fill: (o: Float64Array) => {
        for (let i = 0; i < rows.length; i++) {
          const c = enc.codes[i];
          o[i] = c >= 0 && inGroup[c] ? (by ? by[rows[i]] : 1) : 0;
        }
      },
    };
  });
}

/** A reference that is not a level of the variable (in the whole data) is a typo, never silently ignored. */
export function checkReferences(frame: Frame, terms: readonly Term[]): void {
  for (const t of terms) if (t.kind === "factor") checkTermReferences(t, frame.columns.get(t.variable)!);
}

function checkTermReferences(term: FactorTerm, col: Column): void {
  if (term.ref === null) return;
  const levels = encodeColumn(col, null).levels;
  const labels = [...levels, ...(term.bin ?? []).map((b) => b.label)];
  const unknown = term.ref.filter((r) => !labels.some((l) => sameLevel(l, r)));
  if (unknown.length === 0) return;
  const shown = levels.length > 40 ? [...levels.slice(0, 40).map(String), `… (${levels.length} levels)`] : levels.map(String);
  throw new InputError(
    "formula",
    `i(${term.variable}, ref = …): ${unknown.map((u) => JSON.stringify(u)).join(", ")} ${unknown.length === 1 ? "is not a level" : "are not levels"} ` +
      `of ${term.variable}; its levels are ${shown.join(", ")}`,
  );
}
