import { describe, expect, test, beforeAll } from "vitest";
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

describe("age, exactly collinear with firm + year effects", () => {
  test("dvar ~ robot + age | firm_id + year drops age and equals dvar ~ robot | firm_id + year", async () => {
    const frame = await readFrame(referencePanel, ["dvar", "robot", "age", "firm_id", "year"]);
    for (const method of ["auto", "map"] as const) {
      const withAge = await feols(frame, "dvar ~ robot + age | firm_id + year", { vcov: { cluster: "firm_id" }, method });
      const without = await feols(frame, "dvar ~ robot | firm_id + year", { vcov: { cluster: "firm_id" }, method });
      expect(withAge.droppedCollinear).toEqual(["age"]);
      expect(withAge.warnings.join(" ")).toMatch(/age/);
      expect(withAge.coefficients.map((c) => c.name)).toEqual(["robot"]);
      expect(withAge.coef("robot")!.estimate).toBeCloseTo(without.coef("robot")!.estimate, 12);
      expect(withAge.coef("robot")!.se).toBeCloseTo(without.coef("robot")!.se, 12);
    }
  });
});
