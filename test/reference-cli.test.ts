import { describe, expect, test } from "vitest";
import { olsCases, referencePanel, expectMatchesReference, type ReferenceCase } from "./helpers/reference.js";
import { absorbJson } from "./helpers/cli.js";

function cliArgs(c: ReferenceCase): string[] {
  const args = ["fit", "--data", referencePanel, "--formula", c.formula, "--fixef-rm", c.fixef_rm, "--quiet"];
  if (typeof c.vcov === "object") args.push("--vcov", `cluster:${[c.vcov.cluster].flat().join("+")}`);
  else args.push("--vcov", c.vcov);
  if (c.weights) args.push("--weights", c.weights);
  if (c.subset) args.push("--where", `${c.subset.column} = ${c.subset.equals}`);
  return args;
}

describe("fixest reference (panel_small), through absorb fit --json", () => {
  test.each(olsCases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const { status, json } = absorbJson(cliArgs(c));
    expect(status).toBe(0);
    expectMatchesReference(json, c);
    expect(json.vcov.type).toBe(typeof c.vcov === "object" ? "cluster" : c.vcov);
    for (const key of ["version", "formula", "fixef_sizes", "dropped_rows", "iterations", "converged", "threads", "timing_ms"]) {
      expect(json, `JSON has ${key}`).toHaveProperty(key);
    }
    expect(Object.keys(json.timing_ms).sort()).toEqual(["estimate", "read", "total"]);
    expect(json.coefficients[0]).toHaveProperty("conf_low");
  });
});
