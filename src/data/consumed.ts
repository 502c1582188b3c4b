import { InputError } from "../core/errors.js";
import type { Frame } from "./frame.js";

/**
 * Columns a fit was allowed to overwrite (FeolsOptions.consumeFrame) and did: their values are
 * gone, so a later fit or post-estimation step that reads them fails here, naming them, instead
 * of computing on what the fit left there.
 */
const consumed = new WeakSet<Float64Array>();

export function markConsumed(columns: readonly Float64Array[]): void {
  for (const c of columns) consumed.add(c);
}

/** Throws when a column of `frame` named in `names` (all when omitted) was consumed; `use` says what wanted it. */
export function assertNotConsumed(frame: Frame, use: string, names: Iterable<string> = frame.columns.keys()): void {
  const gone = [...names].filter((name) => {
    const column = frame.columns.get(name);
    return column?.kind === "numeric" && consumed.has(column.values);
  });
  if (gone.length > 0) {
    throw new InputError(
      "data",
      `column${gone.length > 1 ? "s" : ""} ${gone.map((n) => `"${n}"`).join(", ")} of this data ${gone.length > 1 ? "were" : "was"} overwritten by a fit run with consumeFrame: ` +
        `${use} cannot read them; read the data again, or fit without consumeFrame to keep them`,
    );
  }
}
