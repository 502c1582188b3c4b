import { beforeAll, describe, expect, test } from "vitest";
import { feols, mediation, InputError, type Frame, type FeolsOptions } from "../src/index.js";
import type { Column } from "../src/data/frame.js";
import { generatePanel } from "../src/study/synthetic.js";
import { Rng } from "../src/core/random.js";
import { drawClusterCounts } from "../src/resampling/refit.js";
import { normalPValue } from "../src/core/distributions.js";

const rel = (a: number, b: number) => Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);

let panel: Frame;
beforeAll(() => {
  panel = generatePanel({ firms: 1200, seed: 5 });
});

const cluster: FeolsOptions = { vcov: { cluster: "firm_id" } };
const formula = "dvar ~ robot + ln_age + finance | firm_id + year";

describe("mediation: Baron–Kenny steps and Sobel", () => {
  test("the three steps are the separate fits on the common sample, and c = c' + a·b", async () => {
    const med = await mediation(panel, formula, { mediator: "profitability", ...cluster, B: 0 });
    // finance has missing values: all three steps use the rows where every column is present.
    const step1 = await feols(panel, "dvar ~ robot + ln_age + finance | firm_id + year", cluster);
    const step2 = await feols(panel, "profitability ~ robot + ln_age + finance | firm_id + year", cluster);
    const step3 = await feols(panel, "dvar ~ robot + ln_age + finance + profitability | firm_id + year", cluster);
    expect(med.direct.nobs).toBe(step3.nobs);
    expect(med.total.nobs).toBe(step3.nobs);
    for (const [mine, theirs] of [
      [med.total, step1],
      [med.mediatorModel, step2],
      [med.direct, step3],
    ] as const) {
      theirs.coefficients.forEach((c) => {
        expect(rel(mine.coef(c.name)!.estimate, c.estimate)).toBeLessThan(1e-12);
        expect(rel(mine.coef(c.name)!.se, c.se)).toBeLessThan(1e-12);
      });
    }
    expect(med.a.estimate).toBe(med.mediatorModel.coef("robot")!.estimate);
    expect(med.b.estimate).toBe(med.direct.coef("profitability")!.estimate);
    expect(med.cPrime.estimate).toBe(med.direct.coef("robot")!.estimate);
    // The OLS identity total = direct + indirect on one sample.
    expect(Math.abs(med.c.estimate - (med.cPrime.estimate + med.a.estimate * med.b.estimate))).toBeLessThan(1e-12 * Math.abs(med.c.estimate));
    expect(med.bootstrap).toBeNull();
  });

  test("Sobel's z and p equal a hand computation from the step fits", async () => {
    const med = await mediation(panel, formula, { mediator: "profitability", ...cluster, B: 0 });
    const a = (await feols(panel, "profitability ~ robot + ln_age + finance | firm_id + year", cluster)).coef("robot")!;
    const b = (await feols(panel, "dvar ~ robot + ln_age + finance + profitability | firm_id + year", cluster)).coef("profitability")!;
    const z = (a.estimate * b.estimate) / Math.sqrt(b.estimate ** 2 * a.se ** 2 + a.estimate ** 2 * b.se ** 2);
    expect(rel(med.sobel.z, z)).toBeLessThan(1e-10);
    expect(rel(med.sobel.p, normalPValue(z))).toBeLessThan(1e-9);
    expect(med.sobel.p).toBeGreaterThan(0);
    expect(med.indirect).toBe(med.a.estimate * med.b.estimate);
    expect(med.summary()).toMatch(/Sobel z = /);
  });

  test("the treatment may be named; without fixed effects the intercept stays", async () => {
    const med = await mediation(panel, "dvar ~ ln_age + robot", { mediator: "profitability", treatment: "robot", vcov: "hetero", cluster: "firm_id", B: 20 });
    expect(med.direct.coefficients.map((c) => c.name)).toEqual(["(Intercept)", "ln_age", "robot", "profitability"]);
    expect(med.bootstrap!.draws.length).toBe(20);
    expect(med.bootstrap!.failed).toBe(0);
  });
});

describe("mediation: cluster bootstrap of a·b", () => {
  test("reproducible under a seed; another seed gives other draws", async () => {
    const opts = { mediator: "profitability", ...cluster, B: 60, seed: 42 };
    const one = await mediation(panel, formula, opts);
    const two = await mediation(panel, formula, opts);
    const other = await mediation(panel, formula, { ...opts, seed: 43 });
    expect(one.bootstrap!.draws).toEqual(two.bootstrap!.draws);
    expect(one.bootstrap!.ci).toEqual(two.bootstrap!.ci);
    expect(other.bootstrap!.draws).not.toEqual(one.bootstrap!.draws);
    expect(one.bootstrap!.clusters).toBe(one.direct.fixefSizes.firm_id);
    const [lo, hi] = one.bootstrap!.ci;
    expect(lo).toBeLessThan(hi);
    expect(one.bootstrap!.engine).toBe("cluster-sums");
  });

  test("per-cluster sums and a demeaning per draw give the same replications", async () => {
    const opts = { mediator: "profitability", ...cluster, B: 8, seed: 3 };
    const fast = await mediation(panel, formula, opts);
    const rows = await mediation(panel, formula, { ...opts, engine: "rows" });
    expect(rows.bootstrap!.engine).toBe("rows");
    fast.bootstrap!.draws.forEach((d, r) => expect(rel(d, rows.bootstrap!.draws[r])).toBeLessThan(1e-8));
  });

  test("a replication is the fit on the data with drawn firms duplicated and re-labelled", async () => {
    const small = generatePanel({ firms: 150, seed: 9 });
    const f = "dvar ~ robot + ln_age | firm_id + year";
    const med = await mediation(small, f, { mediator: "profitability", ...cluster, B: 2, seed: 7 });
    // Rebuild the first draw by hand: same generator, same cluster order (sorted firm ids in the sample).
    const sampleFirms = [...new Set(med.direct.model!.rows)].map((r) => num(small, "firm_id")[r]);
    const firms = [...new Set(sampleFirms)].sort((x, y) => x - y);
    const rng = new Rng(7);
    const counts = drawClusterCounts(() => rng.uniform(), firms.length, new Int32Array(firms.length));
    const rowsOf = new Map<number, number[]>();
    for (const r of med.direct.model!.rows) {
      const id = num(small, "firm_id")[r];
      rowsOf.set(id, [...(rowsOf.get(id) ?? []), r]);
    }
    const cols = ["dvar", "profitability", "robot", "ln_age", "year"];
    const out: Record<string, number[]> = Object.fromEntries([...cols, "firm_id"].map((c) => [c, []]));
    let newId = 0;
    firms.forEach((id, g) => {
      for (let copy = 0; copy < counts[g]; copy++) {
        newId++;
        for (const r of rowsOf.get(id)!) {
          for (const c of cols) out[c].push(num(small, c)[r]);
          out.firm_id.push(newId);
        }
      }
    });
    const a = (await feols(out, "profitability ~ robot + ln_age | firm_id + year", { fixefRm: "none" })).coef("robot")!.estimate;
    const b = (await feols(out, "dvar ~ robot + ln_age + profitability | firm_id + year", { fixefRm: "none" })).coef("profitability")!.estimate;
    expect(rel(med.bootstrap!.draws[0], a * b)).toBeLessThan(1e-8);
  });

  test("on the synthetic panel the robot → profitability → dvar path is detected", async () => {
    // The generator plants robot → profitability (0.008) and profitability → dvar (0.01); the
    // second is small against dvar's noise, so it takes the full 100,000-firm panel to see it.
    const big = generatePanel({ firms: 100_000, seed: 1 });
    const med = await mediation(big, "dvar ~ robot + ln_age | firm_id + year", { mediator: "profitability", ...cluster, B: 99, seed: 1 });
    expect(Math.abs(med.a.estimate - 0.008)).toBeLessThan(4 * med.a.se);
    expect(Math.abs(med.b.estimate - 0.01)).toBeLessThan(4 * med.b.se);
    expect(med.indirect).toBeGreaterThan(0);
    expect(med.sobel.p).toBeLessThan(0.05);
    expect(med.bootstrap!.ci[0]).toBeGreaterThan(0);
    expect(med.bootstrap!.failed).toBe(0);
  });
});

describe("mediation errors", () => {
  test("a sample with one cluster says so", async () => {
    const firm = num(panel, "firm_id");
    const subset = Uint8Array.from(firm, (v) => (v === firm[0] ? 1 : 0));
    const err = await mediation(panel, "dvar ~ robot + ln_age", { mediator: "profitability", ...cluster, subset }).catch((e) => e);
    expect(err).toBeInstanceOf(InputError);
    expect(err.message).toMatch(/single cluster of "firm_id".*at least two clusters/);
  });

  test("missing mediator, mediator in the formula, no resampling cluster, unknown columns", async () => {
    await expect(mediation(panel, formula, {} as never)).rejects.toThrow(/name the mediator/);
    await expect(mediation(panel, formula, { mediator: "ln_age", ...cluster })).rejects.toThrow(/already appears/);
    await expect(mediation(panel, formula, { mediator: "profitability" })).rejects.toThrow(/resampling cluster/);
    await expect(mediation(panel, formula, { mediator: "profits", ...cluster })).rejects.toThrow(/column "profits" not found/);
    await expect(mediation(panel, formula, { mediator: "profitability", treatment: "capital", ...cluster })).rejects.toThrow(/not a regressor/);
    await expect(mediation(panel, formula, { mediator: "profitability", ...cluster, B: -1 })).rejects.toThrow(InputError);
  });
});

function num(frame: Frame | Record<string, unknown>, name: string): Float64Array {
  const col = (frame as Frame).columns.get(name) as Column;
  if (col.kind !== "numeric") throw new Error(`${name} is not numeric`);
  return col.values;
}
