import type { Frame, NumericColumn } from "../data/frame.js";
import { encodeColumn } from "../data/encode.js";
import type { Term } from "../formula/parse.js";

/**
 * The regressors a formula's terms expand to, over the sample rows: a plain variable is one
 * column, x:z the product of numeric columns, i(var, ref = r) one dummy per level of var but
 * the reference (times `by` when given). Names follow fixest: "x:z", "var::level",
 * "var::level:by".
 */
export interface DesignColumn {
  readonly name: string;
  /** Writes the column's n values (one per sample row) into out. */
  readonly fill: (out: Float64Array) => void;
}

export function designColumns(frame: Frame, terms: readonly Term[], rows: Int32Array): DesignColumn[] {
  const numeric = (name: string): Float64Array => (frame.columns.get(name) as NumericColumn).values;
  const out: DesignColumn[] = [];
  for (const term of terms) {
    if (term.kind === "variable") {
      const v = numeric(term.name);
      out.push({ name: term.name, fill: (o) => { for (let i = 0; i < rows.length; i++) o[i] = v[rows[i]]; } });
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
    } else {
      const enc = encodeColumn(frame.columns.get(term.variable)!, rows);
      const by = term.by === null ? null : numeric(term.by);
      for (let level = 0; level < enc.size; level++) {
        const label = enc.levels[level];
        if (term.ref !== null && String(label) === String(term.ref)) continue;
        out.push({
          name: `${term.variable}::${label}${term.by === null ? "" : ":" + term.by}`,
          fill: (o) => {
            for (let i = 0; i < rows.length; i++) o[i] = enc.codes[i] === level ? (by ? by[rows[i]] : 1) : 0;
          },
        });
      }
    }
  }
  return out;
}
