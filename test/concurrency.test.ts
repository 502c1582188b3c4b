import { beforeAll, describe, expect, test } from "vitest";
import { feglm, feols, feolsMulti, fepois, fixef, heterogeneity, mediation, predict, theil, wildBootstrap, type Frame } from "../src/index.js";
import { generatePanel } from "../src/study/synthetic.js";
import { generateGravityPanel } from "../src/study/gravity-panel.js";
import { Rng } from "../src/core/random.js";
import { sharedEngine } from "../src/engine/shared.js";
import { defaultThreads } from "../src/engine/pool.js";
import { BASE } from "../src/engine/heap.js";

/**
 * Calls that overlap in one process (a service starting fits as requests arrive) each give what
 * the same call gives alone, and leave no wasm memory behind. Every entry point (the GLMs too) is in the mix;
 * each wave starts them all at once or 0–15 ms apart, on 1 and on 2 threads.
 */
let panel: Frame;
let gravity: Frame;
beforeAll(() => {
  panel = generatePanel({ firms: 800, seed: 11 });
  gravity = generateGravityPanel({ countries: 14, years: 6, seed: 5 });
});

const formula = "dvar ~ robot + ln_age | firm_id + year";
const cluster = { vcov: { cluster: "firm_id" } } as const;

/** One kind of call and what of its result must match the solo call. */
type Call = (threads: number) => Promise<unknown>;
const calls: Record<string, Call> = {
  feols: async (threads) => (await feols(panel, formula, { ...cluster, threads })).toJSON(),
  feolsMulti: async (threads) => (await feolsMulti(panel, "dvar ~ csw(robot, ln_age, finance) | firm_id + year", { ...cluster, threads })).toJSON(),
  iv: async (threads) => (await feols(panel, "dvar ~ ln_age | firm_id + year | robot ~ robot_iv", { ...cluster, threads })).toJSON(),
  theil: async (threads) => (await theil(panel, { value: "dvar", by: ["industry", "year"], nonpositive: "drop", bootstrap: { B: 5 }, threads })).toJSON(),
  wildBootstrap: async (threads) => {
    const r = await wildBootstrap(panel, formula, { param: "robot", cluster: "firm_id", B: 199, seed: 3, ci: false, threads });
    return { estimate: r.estimate, t: r.t, p: r.p, tStar: Array.from(r.tStar) };
  },
  mediation: async (threads) => (await mediation(panel, formula, { mediator: "profitability", ...cluster, B: 8, engine: "rows", threads })).toJSON(),
  heterogeneity: async (threads) => (await heterogeneity(panel, formula, { group: "soe", ...cluster, K: 4, engine: "rows", threads })).toJSON(),
  fepois: async (threads) => (await fepois(gravity, "trade ~ ln_dist + contig + rta | exporter^year + importer^year", { vcov: { cluster: "pair" }, threads })).toJSON(),
  logit: async (threads) => (await feglm(gravity, "any_trade ~ ln_dist + rta | exporter + importer", { family: "logit", threads })).toJSON(),
  fixefPredict: async (threads) => {
    const fit = await feols(panel, formula, { threads });
    return { fixef: fixef(fit).map((t) => Array.from(t.values)), predict: predict(fit, panel).values };
  },
};
const kinds = Object.keys(calls);

/** Equal to 1e-12 (relative, or absolute below 1), walking arrays and objects; `at` names the place. */
function expectClose(actual: unknown, expected: unknown, at: string): void {
  if (typeof expected === "number" && typeof actual === "number") {
    if (Object.is(actual, expected)) return;
    const ok = Math.abs(actual - expected) <= 1e-12 * Math.max(1, Math.abs(expected));
    if (!ok) expect.fail(`${at}: ${actual} differs from the solo call's ${expected}`);
    return;
  }
  if (expected !== null && typeof expected === "object") {
    expect(typeof actual, at).toBe("object");
    const a = actual as Record<string, unknown>;
    const e = expected as Record<string, unknown>;
    expect(Object.keys(a), at).toEqual(Object.keys(e));
    for (const key of Object.keys(e)) expectClose(a[key], e[key], `${at}.${key}`);
    return;
  }
  expect(actual, at).toEqual(expected);
}

const sleep = (ms: number) => new Promise((resolve) => setTimeout(resolve, ms));

/**
 * Starts `perKind` calls of every kind, interleaved, and returns them with how many were in
 * flight at most. `gapMs`: null starts all at once, else the delay before the next start.
 */
async function wave(threads: number, perKind: number, gapMs: (() => number) | null): Promise<{ runs: { kind: string; result: Promise<unknown> }[]; peak: number }> {
  let inFlight = 0;
  let peak = 0;
  const runs: { kind: string; result: Promise<unknown> }[] = [];
  for (let i = 0; i < perKind * kinds.length; i++) {
    const kind = kinds[i % kinds.length];
    inFlight++;
    peak = Math.max(peak, inFlight);
    const result = calls[kind](threads).finally(() => inFlight--);
    // Settled-or-not, every result is awaited below; this keeps an early rejection from being unhandled meanwhile.
    result.catch(() => undefined);
    runs.push({ kind, result });
    if (gapMs) await sleep(gapMs());
  }
  return { runs, peak };
}

describe("overlapping calls", () => {
  for (const threads of [1, 2]) {
    test(`on ${threads} thread(s), hundreds of overlapping calls of every kind equal the solo calls and free all their memory`, async () => {
      const solo = new Map<string, unknown>();
      for (const kind of kinds) solo.set(kind, await calls[kind](threads));
      const heap = sharedEngine().heap;
      expect(heap.top).toBe(BASE);

      const rng = new Rng(threads);
      const simultaneous = await wave(threads, 12, null);
      const staggered = await wave(threads, 12, () => Math.floor(rng.uniform() * 16));
      // The calls did overlap: all were in flight at once, interleaving at their awaits; spread
      // out, they overlap where they wait for the pool (on one thread nothing is waited for). How
      // many overlap then depends on the machine's speed, so only overlap itself is required.
      expect(simultaneous.peak).toBe(12 * kinds.length);
      if (threads > 1) expect(staggered.peak).toBeGreaterThan(1);

      const all = [...simultaneous.runs, ...staggered.runs];
      expect(all.length).toBeGreaterThanOrEqual(190);
      for (const [i, run] of all.entries()) expectClose(await run.result, solo.get(run.kind), `call ${i} (${run.kind})`);
      expect(heap.top).toBe(BASE);
      expect(heap.inUse).toBe(0);
    }, 240_000);
  }

  test("a call asking for more threads than the pool has replaces it without cutting short the calls running on it", async () => {
    const more = defaultThreads() + 2;
    const solo = await calls.feols(2);
    // These hand their columns to the 2-thread pool before the bigger call replaces it.
    const running = Array.from({ length: 6 }, () => calls.feols(2));
    const bigger = calls.feols(more);
    const after = Array.from({ length: 6 }, () => calls.feols(2));
    for (const r of [...running, ...after]) expectClose(await r, solo, "feols on 2 threads");
    expectClose(await bigger, await calls.feols(more), `feols on ${more} threads`);
    expect(sharedEngine().heap.top).toBe(BASE);
  }, 120_000);
});
