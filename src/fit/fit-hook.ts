import type { Arena } from "../engine/arena.js";
import type { Kernels } from "../engine/kernels.js";
import type { SmallSample } from "../vcov/ssc.js";
import type { Vcov } from "../vcov/compute.js";
import type { Sample } from "./sample.js";
import type { VcovSpec } from "../vcov/spec.js";

/**
 * Internal: what an OLS fit has in wasm memory just before it returns (and releases the arena),
 * for procedures that need the demeaned data themselves — the wild cluster bootstrap.
 */
export interface FitState {
  readonly k: Kernels;
  readonly arena: Arena;
  readonly n: number;
  /** Demeaned kept regressors, contiguous (column j at x + j·n·8). */
  readonly x: number;
  /** Demeaned dependent variable. */
  readonly y: number;
  /** Row weights or 0. */
  readonly w: number;
  readonly names: readonly string[];
  readonly beta: Float64Array;
  /** (X'WX)⁻¹ over the kept regressors. */
  readonly bread: Float64Array;
  readonly resid: number;
  readonly sample: Sample;
  readonly vcov: VcovSpec;
  readonly ssc: SmallSample;
  readonly dfK: number;
  readonly vc: Vcov;
}

export type FitHook = (state: FitState) => void;
