/**
 * Issue 17's goals, by panel size in millions of rows, and the table cells that show a figure
 * against its goal ("≤ 0.30 ✓"). A size without an entry (a smoke-test size) has no goals.
 */
export type ModelId = "a" | "b" | "c";

export interface SizeGoals {
  /** Cold `timing_ms.estimate` over fixest's feols, at most. */
  readonly cold?: Readonly<Record<ModelId, number>>;
  /** Warm in-process fit over fixest's feols, at most. */
  readonly warm?: number;
  /** Peak RSS of a CLI fit, under this many MB (10⁶ bytes). */
  readonly peakMB?: number;
  /** The whole `absorb fit` process over fixest's whole `Rscript` process, at most, with less peak memory. */
  readonly wholeRun?: number;
}

const GOALS: Readonly<Record<string, SizeGoals>> = {
  "1": { cold: { a: 0.4, b: 0.3, c: 0.3 }, warm: 0.2, wholeRun: 0.5 },
  "5": { cold: { a: 0.25, b: 0.25, c: 0.25 }, warm: 0.2, peakMB: 800 },
  "20": { peakMB: 3000 },
};

export function goalsFor(size: number): SizeGoals {
  return GOALS[String(size)] ?? {};
}

/** " ✓" or " ✗", nothing when the figure is missing. */
export const verdict = (met: boolean | undefined) => (met === undefined ? "" : met ? " ✓" : " ✗");

/** "≤ goal ✓/✗" for a ratio, empty without a goal, no verdict without a ratio. */
export function ratioGoal(ratio: number | undefined, goal: number | undefined): string {
  return goal === undefined ? "" : `≤ ${goal.toFixed(2)}${verdict(ratio === undefined ? undefined : ratio <= goal)}`;
}

/** "< goal MB ✓/✗" for a peak measured in MiB. */
export function peakGoal(peakMiB: number, goalMB: number | undefined): string {
  return goalMB === undefined ? "" : `< ${goalMB} MB${verdict((peakMiB * 2 ** 20) / 1e6 < goalMB)}`;
}
