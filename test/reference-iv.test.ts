import { describe, expect, test, beforeAll } from "vitest";
import { feols, readFrame, IvResult, type Frame } from "../src/index.js";
import { ivCases, referencePanel, expectMatchesReference, expectIvMatchesReference, type IvJson } from "./helpers/reference.js";
import { absorbJson } from "./helpers/cli.js";

/** The reference IV cases: 2SLS with firm + year effects, clustered by firm, singletons kept (fixest 0.12). */
function clusterOf(c: (typeof ivCases)[number]): string[] {
  if (typeof c.vcov !== "object") throw new Error("the IV reference cases are clustered");
  return [c.vcov.cluster].flat();
}

describe("fixest reference IV cases, through the API", () => {
  let frame: Frame;
  beforeAll(async () => {
    frame = await readFrame(referencePanel);
  });
  test.each(ivCases.map((c) => [c.id, c] as const))("%s", async (_id, c) => {
    const fit = await feols(frame, c.formula, { vcov: { cluster: clusterOf(c) }, fixefRm: c.fixef_rm });
    expect(fit).toBeInstanceOf(IvResult);
    const json = fit.toJSON() as never;
    expectMatchesReference(json, c);
    expectIvMatchesReference(json, c);
    // The endogenous regressor keeps its own name and comes first, as in fixest.
    expect(fit.coefficients[0].name).toBe("robot");
  });
  test.each(ivCases.map((c) => [c.id, c] as const))("%s with alternating projections", async (_id, c) => {
    const fit = await feols(frame, c.formula, { vcov: { cluster: clusterOf(c) }, fixefRm: c.fixef_rm, method: "map", tol: 1e-10 });
    expectMatchesReference(fit.toJSON() as never, c);
    expectIvMatchesReference(fit.toJSON() as never, c);
  });
});

describe("fixest reference IV cases, through absorb fit --json", () => {
  test.each(ivCases.map((c) => [c.id, c] as const))("%s", (_id, c) => {
    const { status, json } = absorbJson([
      "fit", "--data", referencePanel, "--formula", c.formula, "--vcov", `cluster:${clusterOf(c).join("+")}`, "--fixef-rm", c.fixef_rm, "--quiet",
    ]);
    expect(status).toBe(0);
    expectMatchesReference(json, c);
    expectIvMatchesReference(json as IvJson, c);
    // The JSON shapes.
    expect(Object.keys(json.first_stage[0]).sort()).toEqual(["coefficients", "endogenous"]);
    expect(json.first_stage[0].endogenous).toBe("robot");
    expect(Object.keys(json.first_stage[0].coefficients[0]).sort()).toEqual(["estimate", "name", "se"]);
    const d = json.iv_diagnostics;
    expect(Object.keys(d).sort()).toEqual(["cd", "hansen_j", "ivf1", "ivwald1", "kp", "sargan", "wh"]);
    for (const key of ["ivf1", "ivwald1", "wh"]) expect(Object.keys(d[key]).sort()).toEqual(["df1", "df2", "p", "stat"]);
    expect(typeof d.cd).toBe("number");
    expect(typeof d.kp.wald_f).toBe("number");
    expect(Object.keys(d.kp.lm).sort()).toEqual(["df", "p", "stat"]);
    const over = c.id === "iv_overidentified";
    if (over) {
      expect(Object.keys(d.sargan).sort()).toEqual(["p", "stat"]);
      expect(Object.keys(d.hansen_j).sort()).toEqual(["df", "p", "stat"]);
      expect(d.hansen_j.df).toBe(1);
    } else {
      expect(d.sargan).toBeNull();
      expect(d.hansen_j).toBeNull();
    }
    expect(d.kp.lm.df).toBe(over ? 2 : 1);
    expect(json.vcov).toEqual({ type: "cluster", cluster: ["firm_id"], ssc: { k_adj: true, fixef_k: "nested", g_adj: true, t_df: "min" } });
  });
});
