import { expect } from "vitest";
import { Rng } from "../../src/core/random.js";
import type { FeolsResult } from "../../src/fit/result.js";

/** The shape of an engine test panel: firms seen over most years, plus some seen once. */
export interface EnginePanelShape {
  readonly seed: number;
  readonly firms: number;
  /** Firms seen in one year only (singletons), numbered after the others. */
  readonly singletons: number;
  readonly years: number;
  readonly regions: number;
  readonly sectors: number;
  /** Rows appended as they are (CSV lines). */
  readonly extraRows?: readonly string[];
}

/**
 * The default: 240 firms over 10 years (15% of firm-years missing), a row-level region, a
 * firm-level sector, weights, 3% missing x2 and 6 firms seen once (singletons); firm 250's two rows
 * take two rounds of singleton removal with a region fixed effect (its row in region "rz", seen
 * once, goes first).
 */
export const ENGINE_PANEL: EnginePanelShape = {
  seed: 19, firms: 240, singletons: 6, years: 10, regions: 4, sectors: 3,
  extraRows: ["250,2000,rz,1,0.3,0.2,0.1,1,0.5", "250,2001,r0,1,-0.4,0.6,0.2,1,1.5"],
};

/** A firm-year panel for the engines that fit where the data is, as CSV text with a header. */
export function enginePanelCsv(shape: EnginePanelShape = ENGINE_PANEL): string {
  const rng = new Rng(shape.seed);
  const lines = ["firm,year,region,sector,x1,x2,x3,w,y"];
  const yearEffect = Array.from({ length: shape.years }, () => rng.normal());
  const regionEffect = Array.from({ length: shape.regions }, () => rng.normal());
  for (let f = 0; f < shape.firms + shape.singletons; f++) {
    const firmEffect = rng.normal(0, 2);
    const sector = f % shape.sectors;
    for (let t = 0; t < shape.years; t++) {
      if (f >= shape.firms ? t !== f % shape.years : rng.uniform() < 0.15) continue;
      const region = Math.floor(rng.uniform() * shape.regions);
      const x1 = rng.normal();
      const x2 = rng.uniform() < 0.03 ? null : rng.normal() + 0.1 * t;
      const x3 = rng.normal() + 0.5 * firmEffect;
      const w = 0.5 + 1.5 * rng.uniform();
      const y = 1.5 * x1 - 0.7 * (x2 ?? 0) + 0.3 * x3 + firmEffect + yearEffect[t] + regionEffect[region] + 0.2 * sector * t + rng.normal();
      lines.push([f, 2000 + t, `r${region}`, sector, x1, x2 ?? "", x3, w, y].join(","));
    }
  }
  lines.push(...(shape.extraRows ?? []));
  return lines.join("\n") + "\n";
}

export function relative(a: number, b: number): number {
  return Math.abs(a - b) / Math.max(Math.abs(b), 1e-300);
}

/** Coefficients and standard errors to 1e-9 relative, and the same sample. */
export function expectSameFit(outOfCore: FeolsResult, memory: FeolsResult): void {
  expect(outOfCore.nobs).toBe(memory.nobs);
  expect(outOfCore.droppedRows).toEqual(memory.droppedRows);
  expect(outOfCore.fixefSizes).toEqual(memory.fixefSizes);
  expect(outOfCore.dfT).toBe(memory.dfT);
  expect(outOfCore.dfK).toBe(memory.dfK);
  expect(outOfCore.coefficients.map((c) => c.name)).toEqual(memory.coefficients.map((c) => c.name));
  for (const m of memory.coefficients) {
    const o = outOfCore.coef(m.name)!;
    expect(relative(o.estimate, m.estimate), `${m.name} estimate`).toBeLessThan(1e-9);
    expect(relative(o.se, m.se), `${m.name} se`).toBeLessThan(1e-9);
  }
  expect(relative(outOfCore.r2, memory.r2)).toBeLessThan(1e-9);
  expect(relative(outOfCore.withinR2 ?? 0, memory.withinR2 ?? 0)).toBeLessThan(1e-9);
}
