/**
 * Per-group moment sums for the inequality indices, computed by the wasm kernel
 * `theil_moments` (assembly/theil.ts) in row blocks.
 *
 * The rows are cut into blocks whose size depends only on the row and group counts, never on
 * the number of threads; each block writes its partial sums to its own slice of one buffer and
 * the slices are added in block order. So the result is bit-for-bit the same however the
 * blocks are scheduled. {@link accumulateMoments} is the unit of work a worker runs: it reads
 * only the plan (plain numbers) and the shared memory.
 */
import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import { runPoolTasks } from "../engine/pool.js";
import { registerTaskHandler, type PoolTask } from "../engine/task-registry.js";

/** One group's record: STRIDE f64 in this order (as assembly/theil.ts writes it; the last is padding). */
export const STRIDE = 10;
export const N_POS = 0;
export const SUM_W = 1;
export const SUM_WX = 2;
export const SUM_WXLNX = 3;
export const SUM_WLNX = 4;
export const SUM_WXA = 5;
export const N_ZERO = 6;
export const W_ZERO = 7;
export const N_NEG = 8;

/** Rows per block: a block carries milliseconds of work, more than a pool task costs. */
export const BLOCK_ROWS = 1 << 18;
/** The per-block buffers together stay under this many bytes (fewer, longer blocks for many groups). */
const MAX_BLOCK_BYTES = 64 * 2 ** 20;

/** Where the kernel's inputs lie in the shared memory (byte offsets; w = 0 for unit weights). */
export interface MomentsInput {
  readonly rows: number;
  readonly x: number;
  readonly w: number;
  /** int32 group codes, -1 for rows to skip. */
  readonly codes: number;
  readonly groups: number;
  /** GE(α)'s exponent, or null when Σw·x^α is not wanted. */
  readonly alpha: number | null;
}

export interface MomentsPlan extends MomentsInput {
  readonly blockRows: number;
  readonly blocks: number;
  /** blocks × groups × STRIDE f64: block b's records start at out + b·groups·STRIDE·8. */
  readonly out: number;
}

/** A pool task: accumulate these row blocks' per-group moments, each into its own buffer (moments-task.ts runs it). */
export interface MomentsTask extends PoolTask {
  readonly kind: "moments";
  readonly plan: MomentsPlan;
  readonly blocks: readonly number[];
}

registerTaskHandler("moments", new URL("./moments-task.js", import.meta.url));

/** Splits the rows into blocks (a function of rows and groups only) and reserves their buffers. */
export function planMoments(arena: Arena, input: MomentsInput): MomentsPlan {
  const recordBytes = Math.max(1, input.groups) * STRIDE * 8;
  const maxBlocks = Math.max(1, Math.floor(MAX_BLOCK_BYTES / recordBytes));
  const blocks = Math.max(1, Math.min(Math.ceil(input.rows / BLOCK_ROWS), maxBlocks));
  const blockRows = Math.ceil(input.rows / blocks);
  const out = arena.alloc(blocks * recordBytes, "the Theil moment buffers");
  return { ...input, blockRows, blocks, out };
}

/** Runs block `block` of the plan: its rows' partial sums into its own records. */
export function accumulateMoments(kernels: Kernels, plan: MomentsPlan, block: number): void {
  const start = Math.min(plan.rows, block * plan.blockRows);
  const end = Math.min(plan.rows, start + plan.blockRows);
  const out = plan.out + block * plan.groups * STRIDE * 8;
  kernels.theil_moments(start, end, plan.x, plan.w, plan.codes, plan.groups, plan.alpha ?? 0, plan.alpha === null ? 0 : 1, out);
}

/** Adds the blocks' records in block order: the moments of every group, groups × STRIDE. */
export function reduceMoments(arena: Arena, plan: MomentsPlan): Float64Array {
  const len = plan.groups * STRIDE;
  const all = arena.f64(plan.out, plan.blocks * len);
  const total = all.slice(0, len);
  for (let b = 1; b < plan.blocks; b++) {
    const off = b * len;
    for (let i = 0; i < len; i++) total[i] += all[off + i];
  }
  return total;
}

/** Runs every block of a plan on this thread and reduces. */
export function runMoments(kernels: Kernels, arena: Arena, plan: MomentsPlan): Float64Array {
  for (let b = 0; b < plan.blocks; b++) accumulateMoments(kernels, plan, b);
  return reduceMoments(arena, plan);
}

/**
 * Plans and runs: the moments of every group, groups × STRIDE. With several threads the blocks
 * are dealt round-robin to the pool; each block has its own buffer and the reduction adds them
 * in block order, so the result is the same for any number of threads.
 */
export async function computeMoments(kernels: Kernels, arena: Arena, input: MomentsInput, threads: number): Promise<Float64Array> {
  const plan = planMoments(arena, input);
  const tasks = Math.min(threads, plan.blocks);
  if (tasks <= 1) return runMoments(kernels, arena, plan);
  const work = Array.from({ length: tasks }, (_, t): MomentsTask => ({
    kind: "moments",
    plan,
    blocks: Array.from({ length: plan.blocks }, (_, b) => b).filter((b) => b % tasks === t),
  }));
  await runPoolTasks<null>(work, threads, (t) => `summing Theil moments (blocks ${work[t].blocks.join(", ")})`);
  return reduceMoments(arena, plan);
}

/**
 * Sums records by a map: out[map[c]] += src[c] for every source record c with map[c] ≥ 0,
 * in increasing c, so the order of additions is fixed.
 */
export function gatherMoments(src: Float64Array, map: Int32Array, groups: number): Float64Array {
  const out = new Float64Array(groups * STRIDE);
  for (let c = 0; c < map.length; c++) {
    const g = map[c];
    if (g < 0) continue;
    const s = c * STRIDE;
    const d = g * STRIDE;
    for (let f = 0; f < STRIDE; f++) out[d + f] += src[s + f];
  }
  return out;
}
