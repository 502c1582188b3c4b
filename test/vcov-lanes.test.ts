import { afterAll, describe, expect, test } from "vitest";
import { withArena } from "../src/engine/shared.js";
import { shutdownPool } from "../src/engine/pool.js";
import { scoreMeat, scoreMeatLanes } from "../src/vcov/meat.js";
import { Rng } from "../src/core/random.js";
import type { EncodedEffect } from "../src/data/encode.js";

afterAll(() => shutdownPool());

// The clustered meat is summed over two lanes (this thread and a worker) in a fit, and on one
// thread elsewhere (the IV statistics): the same calls, so the same bytes.
describe("the clustered meat over two lanes", () => {
  const n = 30_000;
  const rng = new Rng(17);
  const effect = (name: string, size: number): EncodedEffect => ({
    name,
    size,
    levels: Array.from({ length: size }, (_, i) => i),
    codes: Int32Array.from({ length: n }, () => rng.integer(size)),
  });
  const firm = effect("firm", 3000);
  const year = effect("year", 12);

  test.each([1, 2, 5])("%i score column(s), one- and two-way clustering, weighted or not", async (k) => {
    await withArena(async (arena, kern) => {
      const x = arena.putF64(Float64Array.from({ length: n * k }, () => rng.normal()));
      const e = arena.putF64(Float64Array.from({ length: n }, () => rng.normal()));
      const w = arena.putF64(Float64Array.from({ length: n }, () => 0.5 + rng.uniform()));
      for (const clusters of [[firm], [firm, year]]) {
        for (const weights of [0, w]) {
          const v = { n, k, x, e, w: weights };
          const req = { type: "cluster" as const, clusters };
          const one = scoreMeat(kern, arena, req, v);
          expect(Array.from(await scoreMeatLanes(kern, arena, req, v, 2))).toEqual(Array.from(one));
          // Against the definition: Σ_g S_g S_g' with S_g = Σ_{i in g} w_i e_i x_i (one-way).
          if (clusters.length === 1) {
            const xs = arena.f64(x, n * k);
            const es = arena.f64(e, n);
            const ws = arena.f64(w, n);
            const S = new Float64Array(firm.size * k);
            for (let i = 0; i < n; i++) for (let a = 0; a < k; a++) S[firm.codes[i] * k + a] += (weights ? ws[i] : 1) * es[i] * xs[a * n + i];
            for (let a = 0; a < k; a++) {
              for (let b = 0; b < k; b++) {
                let m = 0;
                for (let g = 0; g < firm.size; g++) m += S[g * k + a] * S[g * k + b];
                expect(Math.abs(one[a * k + b] - m)).toBeLessThan(1e-10 * (Math.abs(m) + 1));
              }
            }
          }
        }
      }
    });
  });
});
