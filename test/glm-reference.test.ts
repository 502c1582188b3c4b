import { describe, expect, test, beforeAll } from "vitest";
import { feglm, readFrame, type Frame, type FeglmOptions } from "../src/index.js";
import { glmCases, referenceGravity, expectMatchesGlmReference, type GlmReferenceCase } from "./helpers/reference.js";
import { absorbJson } from "./helpers/cli.js";

function apiOptions(c: GlmReferenceCase, frame: Frame): FeglmOptions {
  const vcov = typeof c.vcov === "object" ? { cluster: c.vcov.cluster } : c.vcov;
  let subset: Uint8Array | undefined;
  if (c.subset) {
    const col = frame.columns.get(c.subset.column)!;
    if (col.kind !== "numeric") throw new Error("reference subsets are on numeric columns");
    subset = Uint8Array.from(col.values, (v) => (v === c.subset!.equals ? 1 : 0));
  }
  return { family: c.family, vcov, weights: c.weights, subset, fixefRm: "none" };
}

function cliArgs(c: GlmReferenceCase): string[] {
  const args = ["fit", "--data", referenceGravity, "--formula", c.formula, "--family", c.family, "--fixef-rm", "none", "--quiet"];
  if (typeof c.vcov === "object") args.push("--vcov", `cluster:${[c.vcov.cluster].flat().join("+")}`);
  else args.push("--vcov", c.vcov);
  if (c.weights) args.push("--weights", c.weights);
  if (c.subset) args.push("--where", `${c.subset.column} = ${c.subset.equals}`);
  return args;
}

describe("fixest feglm reference (gravity_small), through the API", () => {
  let frame: Frame;
  beforeAll(async () => {
    frame = await readFrame(referenceGravity);
  });
  test.each(glmCases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const fit = await feglm(frame, c.formula, apiOptions(c, frame));
    expect(fit.converged).toBe(true);
    expectMatchesGlmReference(fit.toJSON() as never, c);
  });
});

describe("fixest feglm reference (gravity_small), through absorb fit --json", () => {
  test.each(glmCases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const { status, json } = absorbJson(cliArgs(c));
    expect(status).toBe(0);
    expectMatchesGlmReference(json, c);
    for (const key of ["null_deviance", "iterations", "converged", "timing_ms", "version"]) expect(json, `JSON has ${key}`).toHaveProperty(key);
    expect(json.coefficients[0]).not.toHaveProperty("t");
  });
});
