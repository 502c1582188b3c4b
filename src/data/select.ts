import { InputError } from "../core/errors.js";
import type { Column, Frame } from "./frame.js";

/** The error for columns asked for but absent; `source` names where they were looked for. */
export function missingColumnsError(
  missing: readonly string[],
  available: readonly string[],
  source: string,
): InputError {
  const names = [...new Set(missing)].map((n) => `"${n}"`);
  const what = names.length === 1 ? `column ${names[0]}` : `columns ${names.join(", ")}`;
  const list = available.length > 0 ? available.join(", ") : "(none)";
  return new InputError("column", `${what} not found in ${source}; available columns: ${list}`);
}

/** The named columns of `frame`, in the order given. */
export function selectColumns(frame: Frame, names: readonly string[], source: string): Frame {
  const missing = names.filter((n) => !frame.columns.has(n));
  if (missing.length > 0) throw missingColumnsError(missing, [...frame.columns.keys()], source);
  const columns = new Map<string, Column>();
  for (const name of names) columns.set(name, frame.columns.get(name)!);
  return { nrows: frame.nrows, columns };
}
