import { placeI32 } from "../engine/resident.js";
import type { Kernels } from "../engine/kernels.js";
import type { Arena } from "../engine/arena.js";
import { interact, type Encoding } from "../data/encode.js";
import { InputError } from "../core/errors.js";
import type { PanelEncodings, ScoreVcov } from "./spec.js";
import { crossprodInto } from "../engine/cross-products.js";
import { runKernelLanes } from "../engine/kernel-lanes.js";
import { runKernelCalls, type KernelCall } from "../engine/kernel-task.js";

/**
 * The "meat" Σ s s' of a sandwich variance, from per-row scores s_i = w_i · e_i · x_i (x: k
 * contiguous columns in wasm memory, e: one column, w: row weights or 0), with no small-sample
 * factor applied: callers (computeVcov, the IV diagnostics) scale it themselves.
 *
 * - hetero: Σ_i s_i s_i'
 * - cluster: Σ_g S_g S_g' with S_g the score sums of cluster g; several cluster variables are
 *   combined by Cameron–Gelbach–Miller inclusion–exclusion over their intersections.
 * - Newey–West (panel): Σ_{l=0..L} ω_l Σ_{unit, t} (s_{u,t} s_{u,t−l}' + s_{u,t−l} s_{u,t}'), with
 *   Bartlett weights ω_0 = 1/2, ω_l = 1 − l/(L + 1) and t the rank of the time value among the
 *   sample's distinct times (fixest's convention: a lag of 1 is the previous observed period).
 * - Driscoll–Kraay: the same kernel over the cross-sectional sums S_t = Σ_{i in t} s_i.
 */
export interface ScoreInputs {
  readonly n: number;
  readonly k: number;
  readonly x: number;
  readonly e: number;
  readonly w: number;
}

/** Bartlett weights ω_0..ω_L with ω_0 halved (the transpose is added). */
function bartlett(lag: number): Float64Array {
  const w = new Float64Array(lag + 1);
  w[0] = 0.5;
  for (let l = 1; l <= lag; l++) w[l] = 1 - l / (lag + 1);
  return w;
}

export function scoreMeat(kern: Kernels, arena: Arena, req: ScoreVcov, v: ScoreInputs): Float64Array {
  switch (req.type) {
    case "hetero":
      return heteroMeat(kern, arena, v);
    case "cluster":
      return signedMeat(
        clusterSubsets(req.clusters).map(({ members, sign }) => {
          const mark = arena.mark();
          const meat = clusterSumsMeat(arena, v, members.length === 1 ? members[0] : interact(members));
          runKernelCalls(kern, meat.lanes.flat());
          const part = { sign, meat: meat.finish(kern) };
          arena.release(mark);
          return part;
        }),
        v.k,
      );
    case "dk":
      return driscollKraayMeat(kern, arena, v, req.panel.time, req.lag);
    case "nw":
      return neweyWestMeat(arena, v, req.panel, req.lag);
  }
}

/**
 * scoreMeat with the clustered meat's score sums in two lanes (this thread and a worker,
 * engine/kernel-lanes.ts): the same kernel calls, so the same meat bit for bit.
 */
export async function scoreMeatLanes(kern: Kernels, arena: Arena, req: ScoreVcov, v: ScoreInputs, threads: number): Promise<Float64Array> {
  if (req.type !== "cluster") return scoreMeat(kern, arena, req, v);
  const parts: { sign: number; meat: Float64Array }[] = [];
  for (const { members, sign } of clusterSubsets(req.clusters)) {
    const meat = clusterSumsMeat(arena, v, members.length === 1 ? members[0] : interact(members));
    await runKernelLanes(kern, meat.lanes, threads, "summing the scores by cluster");
    parts.push({ sign, meat: meat.finish(kern) });
  }
  return signedMeat(parts, v.k);
}

/**
 * Cameron–Gelbach–Miller multi-way clustering: the meat is the sum over non-empty subsets of the
 * cluster variables, signed + for odd sizes and − for even, of the meat clustered by the
 * subset's intersection. Shared with the out-of-core fit, which sums each part in SQL.
 */
export function clusterSubsets<T>(clusters: readonly T[]): { members: T[]; sign: 1 | -1 }[] {
  const out: { members: T[]; sign: 1 | -1 }[] = [];
  for (let mask = 1; mask < 1 << clusters.length; mask++) {
    const members = clusters.filter((_, j) => mask & (1 << j));
    out.push({ members, sign: members.length % 2 === 1 ? 1 : -1 });
  }
  return out;
}

/** Σ sign · part over the subsets' meats. */
export function signedMeat(parts: readonly { sign: number; meat: Float64Array }[], k: number): Float64Array {
  const meat = new Float64Array(k * k);
  for (const p of parts) for (let i = 0; i < meat.length; i++) meat[i] += p.sign * p.meat[i];
  return meat;
}

function heteroMeat(kern: Kernels, arena: Arena, v: ScoreInputs): Float64Array {
  const { n, k } = v;
  const mark = arena.mark();
  const sq = arena.allocF64(n, "squared scores");
  const out = arena.f64(sq, n);
  const e = arena.f64(v.e, n);
  const w = v.w ? arena.f64(v.w, n) : null;
  for (let i = 0; i < n; i++) {
    const s = w ? w[i] * e[i] : e[i];
    out[i] = s * s;
  }
  const meat = arena.allocF64(k * k);
  crossprodInto(kern, arena, n, k, v.x, sq, meat);
  const result = arena.f64(meat, k * k).slice();
  arena.release(mark);
  return result;
}

/** Per-group score sums (G×k, row-major) of the groups in `enc`. */
export function groupScoreSums(kern: Kernels, arena: Arena, v: ScoreInputs, enc: Encoding): Float64Array {
  const mark = arena.mark();
  const out = arena.f64(groupScoresIn(kern, arena, v, enc), enc.size * v.k).slice();
  arena.release(mark);
  return out;
}

/** groupScoreSums left in the arena: its pointer. */
function groupScoresIn(kern: Kernels, arena: Arena, v: ScoreInputs, enc: Encoding): number {
  const codes = placeI32(arena, enc.codes, "group codes");
  const scores = arena.allocF64(enc.size * v.k, "group scores");
  arena.f64(scores, enc.size * v.k).fill(0);
  kern.cluster_scores(v.n, v.k, v.x, v.e, v.w, codes, scores);
  return scores;
}

/**
 * One cluster meat: the groups' score sums, a g-long column per score (cluster_scores_cols), in
 * two lanes of columns, then their outer products (G×k sums in `arena`: G is up to the row count;
 * scoreMeat gives them back after each, scoreMeatLanes leaves them to the arena's close, since the
 * arena may be allocated from during its await).
 */
function clusterSumsMeat(arena: Arena, v: ScoreInputs, enc: Encoding): { lanes: KernelCall[][]; finish(kern: Kernels): Float64Array } {
  const codes = placeI32(arena, enc.codes, "group codes");
  const g = enc.size;
  const scores = arena.allocF64(g * v.k, "group scores");
  // Half the columns each, apart in the block.
  const split = Math.ceil(v.k / 2);
  const lane = (from: number, to: number): KernelCall[] =>
    from < to ? [{ name: "cluster_scores_cols", args: [v.n, v.k, v.x, v.e, v.w, codes, g, from, to, scores + from * g * 8] }] : [];
  return {
    lanes: [lane(0, split), lane(split, v.k)],
    finish: (kern) => {
      const out = arena.allocF64(v.k * v.k);
      arena.f64(out, v.k * v.k).fill(0);
      kern.score_outer(g, v.k, scores, out);
      return arena.f64(out, v.k * v.k).slice();
    },
  };
}

/** Σ_l ω_l Σ_t (S_t S_{t−l}' + S_{t−l} S_t') over rows t of a T×k matrix. */
function kernelSum(s: Float64Array, periods: number, k: number, lag: number): Float64Array {
  const w = bartlett(lag);
  const meat = new Float64Array(k * k);
  for (let l = 0; l <= Math.min(lag, periods - 1); l++) {
    for (let t = l; t < periods; t++) {
      const a = t * k;
      const b = (t - l) * k;
      for (let r = 0; r < k; r++) {
        for (let c = 0; c < k; c++) meat[r * k + c] += w[l] * (s[a + r] * s[b + c] + s[b + r] * s[a + c]);
      }
    }
  }
  return meat;
}

function driscollKraayMeat(kern: Kernels, arena: Arena, v: ScoreInputs, time: Encoding, lag: number): Float64Array {
  return kernelSum(groupScoreSums(kern, arena, v, time), time.size, v.k, lag);
}

function neweyWestMeat(arena: Arena, v: ScoreInputs, panel: PanelEncodings, lag: number): Float64Array {
  const { n, k } = v;
  const unit = panel.unit.codes;
  const time = panel.time.codes;
  // Rows by unit, then time: counting sort by time, then a stable counting sort by unit.
  const byTime = countingOrder(time, panel.time.size, null);
  const order = countingOrder(unit, panel.unit.size, byTime);
  const cols = Array.from({ length: k }, (_, a) => arena.f64(v.x + a * n * 8, n));
  const e = arena.f64(v.e, n);
  const wv = v.w ? arena.f64(v.w, n) : null;
  const score = (i: number, out: Float64Array): void => {
    const s = wv ? wv[i] * e[i] : e[i];
    for (let a = 0; a < k; a++) out[a] = s * cols[a][i];
  };
  const w = bartlett(lag);
  const meat = new Float64Array(k * k);
  const sp = new Float64Array(k);
  const sq = new Float64Array(k);
  for (let p = 0; p < n; p++) {
    const i = order[p];
    score(i, sp);
    for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) meat[r * k + c] += sp[r] * sp[c];
    for (let q = p - 1; q >= 0 && q >= p - lag; q--) {
      const j = order[q];
      if (unit[j] !== unit[i]) break;
      const l = time[i] - time[j];
      if (l === 0) {
        throw new InputError(
          "data",
          `Newey–West needs one row per panel id and time, but ${panel.unit.levels[unit[i]]} has two rows at time ${panel.time.levels[time[i]]}; ` +
            `remove the duplicates or use Driscoll–Kraay (vcov { type: "DK" }), which allows them`,
        );
      }
      if (l > lag) break;
      score(j, sq);
      for (let r = 0; r < k; r++) for (let c = 0; c < k; c++) meat[r * k + c] += w[l] * (sp[r] * sq[c] + sq[r] * sp[c]);
    }
    // Duplicates at lag 0 must be caught even when lag is 0.
    if (lag === 0 && p > 0) {
      const j = order[p - 1];
      if (unit[j] === unit[i] && time[j] === time[i]) {
        throw new InputError("data", `Newey–West needs one row per panel id and time; use Driscoll–Kraay (vcov { type: "DK" }), which allows duplicates`);
      }
    }
  }
  return meat;
}

/** Stable counting sort of `within` (or 0..n−1) by codes. */
function countingOrder(codes: Int32Array, size: number, within: Int32Array | null): Int32Array {
  const n = codes.length;
  const start = new Int32Array(size + 1);
  for (let i = 0; i < n; i++) start[codes[i] + 1]++;
  for (let g = 0; g < size; g++) start[g + 1] += start[g];
  const out = new Int32Array(n);
  for (let r = 0; r < n; r++) {
    const i = within ? within[r] : r;
    out[start[codes[i]]++] = i;
  }
  return out;
}
