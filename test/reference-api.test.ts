import { describe, test, beforeAll } from "vitest";
import { feols, readFrame, type Frame, type FeolsOptions } from "../src/index.js";
import { olsCases, referencePanel, expectMatchesReference, type ReferenceCase } from "./helpers/reference.js";

/** The API options that reproduce a reference case's fixest call. */
export function optionsFor(c: ReferenceCase, frame: Frame): FeolsOptions {
  const vcov = typeof c.vcov === "object" ? { cluster: c.vcov.cluster } : (c.vcov as "iid" | "hetero");
  let subset: Uint8Array | undefined;
  if (c.subset) {
    const col = frame.columns.get(c.subset.column)!;
    if (col.kind !== "numeric") throw new Error("reference subsets are on numeric columns");
    subset = Uint8Array.from(col.values, (v) => (v === c.subset!.equals ? 1 : 0));
  }
  return { vcov, weights: c.weights, subset, fixefRm: c.fixef_rm };
}

describe("fixest reference (panel_small), through the API", () => {
  let frame: Frame;
  beforeAll(async () => {
    frame = await readFrame(referencePanel);
  });
  test.each(olsCases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const fit = await feols(frame, c.formula, optionsFor(c, frame));
    expectMatchesReference(fit.toJSON() as never, c);
  });
  test.each(olsCases.map((c) => [c.id, c] as const))("%s with alternating projections", async (_id, c) => {
    const fit = await feols(frame, c.formula, { ...optionsFor(c, frame), method: "map", tol: 1e-10 });
    expectMatchesReference(fit.toJSON() as never, c);
  });
});
