import { afterAll, describe, expect, test } from "vitest";
import { withArena, withArenaSync } from "../src/engine/shared.js";
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

describe("score_outer", () => {
  // Blocks of groups with each entry summed in a register: the same terms in the same order as
  // adding each group's outer product into the matrix in turn, skipping groups whose first score is zero.
  test.each([1, 3, 4, 6, 9])("k = %i: the same bytes as a group at a time, zeros, signed zeros and a block boundary included", (k) => {
    const rng = new Rng(31 + k);
    const g = 1300;
    const scores = Float64Array.from({ length: g * k }, () => (rng.uniform() < 0.15 ? 0 : rng.normal() * 10 ** rng.integer(6)));
    scores[1] = -0;
    const start = Float64Array.from({ length: k * k }, (_, i) => (i % 4 === 0 ? -0 : rng.normal()));
    const expected = start.slice();
    for (let c = 0; c < g; c++) {
      for (let a = 0; a < k; a++) {
        const sa = scores[a * g + c];
        if (sa === 0) continue;
        for (let b = a; b < k; b++) expected[a * k + b] += sa * scores[b * g + c];
      }
    }
    for (let a = 0; a < k; a++) for (let b = 0; b < a; b++) expected[a * k + b] = expected[b * k + a];
    const got = withArenaSync((arena, kern) => {
      const out = arena.putF64(start);
      kern.score_outer(g, k, arena.putF64(scores), out);
      return arena.f64(out, k * k).slice();
    });
    expect(Array.from(got, (v) => Object.is(v, -0) ? "-0" : v)).toEqual(Array.from(expected, (v) => Object.is(v, -0) ? "-0" : v));
  });
});

describe("one score column's sums", () => {
  // The column layout (cluster_scores_cols) adds the same terms in the same order as the
  // cluster-major one, whether the rows are grouped by cluster, come back to a cluster later, or
  // are in no order.
  test.each(["grouped", "grouped, then again", "shuffled"])("%s rows, weighted or not: the bytes cluster_scores gives", (layout) => {
    const rng = new Rng(layout.length);
    const n = 20_011;
    const g = 3001;
    const codes = Int32Array.from({ length: n }, (_, i) =>
      layout === "shuffled" ? rng.integer(g) : layout === "grouped" ? Math.floor((i * g) / n) : Math.floor((((2 * i) % n) * g) / n),
    );
    const x = Float64Array.from({ length: n }, () => rng.normal());
    const e = Float64Array.from({ length: n }, () => rng.normal());
    const w = Float64Array.from({ length: n }, () => 0.5 + rng.uniform());
    for (const weighted of [false, true]) {
      const [cols, scores] = withArenaSync((arena, kern) => {
        const at = { x: arena.putF64(x), e: arena.putF64(e), w: weighted ? arena.putF64(w) : 0, codes: arena.putI32(codes) };
        const one = arena.allocF64(g);
        kern.cluster_scores_cols(n, 1, at.x, at.e, at.w, at.codes, g, 0, 1, one);
        const general = arena.allocF64(g);
        arena.f64(general, g).fill(0);
        kern.cluster_scores(n, 1, at.x, at.e, at.w, at.codes, general);
        return [Array.from(arena.f64(one, g)), Array.from(arena.f64(general, g))];
      });
      expect(cols).toEqual(scores);
    }
  });
});
