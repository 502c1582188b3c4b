import { statSync } from "node:fs";
import type { feols as Feols } from "../fit/feols.js";
import type { DataSource } from "../data/read.js";

/** Rows of the warm-up fit: enough for V8 to move every loop of a fit to its optimizing tier. */
const ROWS = 1 << 15;

/** Files from this size take long enough to read (≈ 0.25 s for a CSV) to hide the warm-up fit; smaller ones would wait for it. */
const WARM_UP_FROM_BYTES = 64 * 2 ** 20;

/** Whether reading `source` leaves time for warmUpFit: one file of WARM_UP_FROM_BYTES or more. */
export function worthWarmingUp(source: DataSource): boolean {
  if (typeof source !== "string") return false;
  try {
    return statSync(source).size >= WARM_UP_FROM_BYTES;
  } catch {
    return false;
  }
}

/**
 * A small fit on synthetic data, run while DuckDB reads the user's file: the first call of each
 * wasm kernel and JavaScript function otherwise runs V8's baseline code (crossprod over 1M × 7
 * takes 31 ms on its first call and 14 ms once optimized), and the read leaves the main thread
 * and the pool mostly idle. Two fixed effects, clustered by one, as most fits are; six columns,
 * so each of two workers projects a pair and a single column (engine/absorb/exact.ts). Its result is
 * thrown away and any failure ignored: it only warms code, and the user's fit reports its own errors.
 */
export async function warmUpFit(feols: typeof Feols, threads: number): Promise<void> {
  // A counted loop: Float64Array.from over an array-like took 15 ms of the main thread for these columns.
  const column = (f: (i: number) => number) => {
    const values = new Float64Array(ROWS);
    for (let i = 0; i < ROWS; i++) values[i] = f(i);
    return values;
  };
  const data = {
    y: column((i) => Math.sin(i) + (i % 7)),
    x1: column((i) => Math.cos(0.7 * i)),
    x2: column((i) => ((i * 7919) % 1000) / 1000),
    x3: column((i) => Math.sin(1.3 * i)),
    x4: column((i) => ((i * 104729) % 997) / 997),
    x5: column((i) => Math.cos(2.1 * i) * (i % 5)),
    unit: column((i) => i % 8192),
    period: column((i) => i % 16),
  };
  try {
    await feols(data, "y ~ x1 + x2 + x3 + x4 + x5 | unit + period", { vcov: { cluster: "unit" }, fixefRm: "none", threads });
  } catch {
    // Nothing to report: see above.
  }
}
