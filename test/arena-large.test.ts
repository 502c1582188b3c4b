import { describe, expect, test } from "vitest";
import { feols } from "../src/index.js";
import { Rng } from "../src/core/random.js";
import { sharedEngine } from "../src/engine/shared.js";
import { BASE } from "../src/engine/heap.js";

/**
 * A fit whose model matrix alone is past 2 GiB: its columns live at addresses above 2^31, which
 * signed 32-bit arithmetic once turned negative. The data are a planted exact fit, so the
 * reference is the planted coefficients themselves, not another run of the engine.
 */
const ROWS = 10_000_000;
const FIRMS = 100_000;
const LEVELS = 31;
const SLOPES = [0.75, -1.25, 2.5];

function plantedPanel() {
  const rng = new Rng(42);
  const firm = new Float64Array(ROWS);
  const g = new Float64Array(ROWS);
  const xs = SLOPES.map(() => new Float64Array(ROWS));
  const y = new Float64Array(ROWS);
  const firmEffect = Float64Array.from({ length: FIRMS }, () => rng.uniform() * 4 - 2);
  // Level k of g (k ≥ 1; level 0 is the reference) shifts y by (k − 15)/8: exact in binary.
  const levelEffect = (k: number) => (k - 15) / 8;
  for (let i = 0; i < ROWS; i++) {
    const f = i % FIRMS;
    const k = Math.floor(rng.uniform() * LEVELS);
    firm[i] = f;
    g[i] = k;
    let v = firmEffect[f] + (k === 0 ? 0 : levelEffect(k));
    for (let j = 0; j < SLOPES.length; j++) {
      const x = rng.uniform() * 2 - 1;
      xs[j][i] = x;
      v += SLOPES[j] * x;
    }
    y[i] = v;
  }
  const data: Record<string, Float64Array> = { y, firm, g };
  xs.forEach((x, j) => (data[`x${j + 1}`] = x));
  return { data, levelEffect };
}

describe("the whole 4 GiB", () => {
  test("10M rows × 33 regressors (more than 2.5 GiB of wasm memory) recover the planted coefficients", async () => {
    const { data, levelEffect } = plantedPanel();
    const heap = sharedEngine().heap;
    const fit = await feols(data, "y ~ x1 + x2 + x3 + i(g, ref = 0) | firm", { vcov: "iid" });
    expect(heap.peak).toBeGreaterThan(2.5 * 2 ** 30);
    expect(heap.top).toBe(BASE);
    expect(fit.nobs).toBe(ROWS);
    expect(fit.coefficients.length).toBe(SLOPES.length + LEVELS - 1);
    SLOPES.forEach((b, j) => expect(Math.abs(fit.coef(`x${j + 1}`)!.estimate - b)).toBeLessThan(1e-9));
    for (let k = 1; k < LEVELS; k++) expect(Math.abs(fit.coef(`g::${k}`)!.estimate - levelEffect(k))).toBeLessThan(1e-9);
    expect(fit.r2).toBeGreaterThan(1 - 1e-12);
  }, 600_000);
});
