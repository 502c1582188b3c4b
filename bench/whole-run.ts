import { fixestWholeRunScript } from "./fixest.js";
import { ratioGoal, verdict } from "./goals.js";
import { absorbFitProcess, timedProcess, type TimedRun } from "./timed-process.js";

/**
 * The whole process, absorb against fixest, in paired runs: `pairs` times a fresh `absorb fit`
 * (start, read, fit, print JSON) then a fresh `Rscript` doing the same job, so each pair sees
 * the same load and page cache. Medians of each side.
 */
export interface WholeRunComparison {
  readonly absorb: { readonly wallSeconds: number; readonly peakMiB: number; readonly readSeconds: number; readonly estimateSeconds: number; readonly nobs: number };
  /** Absent without Rscript and fixest: absorb's process alone is timed. */
  readonly fixest?: { readonly wallSeconds: number; readonly peakMiB: number; readonly nobs: number };
}

export interface WholeRunJob {
  readonly csv: string;
  readonly formula: string;
  /** The columns fread reads: the model's and the cluster's. */
  readonly columns: readonly string[];
  readonly threads: number;
  readonly pairs: number;
  readonly withFixest: boolean;
  /** Where the R script is written. */
  readonly dir: string;
}

const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)];
const medians = (runs: readonly TimedRun[]) => ({ wallSeconds: median(runs.map((r) => r.wallSeconds)), peakMiB: median(runs.map((r) => r.peakMiB)) });

export function compareWholeRuns(job: WholeRunJob): WholeRunComparison {
  const script = job.withFixest ? fixestWholeRunScript(job.dir, job.csv, job.formula, "firm_id", { threads: job.threads, columns: job.columns }) : undefined;
  const absorb: ReturnType<typeof absorbFitProcess>[] = [];
  const fixest: TimedRun[] = [];
  for (let i = 0; i < job.pairs; i++) {
    absorb.push(absorbFitProcess(job.csv, job.formula, job.threads));
    if (script) fixest.push(timedProcess("Rscript", [script]));
  }
  const absorbSide = {
    ...medians(absorb),
    readSeconds: median(absorb.map((r) => r.json.timing_ms.read)) / 1000,
    estimateSeconds: median(absorb.map((r) => r.json.timing_ms.estimate)) / 1000,
    nobs: absorb[0].json.nobs,
  };
  if (!script) return { absorb: absorbSide };
  const nobs = /^nobs (\d+)/m.exec(fixest[0].stdout);
  if (!nobs) throw new Error(`fixest's whole run printed no nobs line:\n${fixest[0].stdout}`);
  return { absorb: absorbSide, fixest: { ...medians(fixest), nobs: Number(nobs[1]) } };
}

/** The comparison as a Markdown table; `goal`: the wall-time ratio to meet (issue 17: 0.5 at 1M rows), with less peak memory. */
export function wholeRunTable(title: string, { absorb, fixest }: WholeRunComparison, goal: number | undefined): string[] {
  const wall = fixest && absorb.wallSeconds / fixest.wallSeconds;
  const peak = fixest && absorb.peakMiB / fixest.peakMiB;
  const memoryGoal = goal === undefined ? "" : ` (goal < 1.00${verdict(peak === undefined ? undefined : peak < 1)})`;
  const sameRows = fixest === undefined ? "–" : absorb.nobs === fixest.nobs ? "✓ same" : "✗ differ";
  return [
    `| ${title} | wall (s) | peak RSS (MiB) | timing_ms.read (s) | timing_ms.estimate (s) | nobs |`,
    "|---|---|---|---|---|---|",
    `| \`absorb fit --json\` | ${absorb.wallSeconds.toFixed(2)} | ${absorb.peakMiB.toFixed(0)} | ${absorb.readSeconds.toFixed(3)} | ${absorb.estimateSeconds.toFixed(3)} | ${absorb.nobs.toLocaleString("en-US")} |`,
    fixest
      ? `| \`Rscript\`: fixest + data.table, fread (select =), feols, print | ${fixest.wallSeconds.toFixed(2)} | ${fixest.peakMiB.toFixed(0)} | | | ${fixest.nobs.toLocaleString("en-US")} |`
      : "| `Rscript` (fixest not found: not run) | – | – | | | |",
    `| absorb / fixest | ${wall === undefined ? "–" : wall.toFixed(2)}${goal === undefined ? "" : ` (goal ${ratioGoal(wall, goal)})`} | ${peak === undefined ? "–" : peak.toFixed(2)}${memoryGoal} | | | ${sameRows} |`,
  ];
}
