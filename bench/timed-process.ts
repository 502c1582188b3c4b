import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { packageRoot } from "../src/core/package-root.js";

/**
 * Child processes timed whole by GNU time (`/usr/bin/time -f "%e %M"`): wall seconds and peak
 * resident memory as the kernel accounts them, the same way for absorb and for Rscript.
 */
export const GNU_TIME = "/usr/bin/time";

export interface TimedRun {
  readonly wallSeconds: number;
  readonly peakMiB: number;
  readonly stdout: string;
}

export function gnuTimeAvailable(): boolean {
  return existsSync(GNU_TIME);
}

export function timedProcess(command: string, args: readonly string[]): TimedRun {
  const run = spawnSync(GNU_TIME, ["-f", "%e %M", command, ...args], { encoding: "utf8", maxBuffer: 1 << 26 });
  if (run.status !== 0) throw new Error(`${command} ${args.join(" ")} failed (exit ${run.status}): ${run.stderr}`);
  // GNU time writes its line last, after anything the command wrote to stderr.
  const [wall, kib] = run.stderr.trim().split("\n").pop()!.split(" ").map(Number);
  return { wallSeconds: wall, peakMiB: kib / 1024, stdout: run.stdout };
}

/** The fields of `absorb fit --json` the benchmark reads. */
export interface FitJson {
  readonly nobs: number;
  readonly timing_ms: { readonly read: number; readonly estimate: number; readonly total: number };
}

/** One fresh `absorb fit --json` process, clustered by firm, singletons kept (as fixest keeps them). */
export function absorbFitProcess(csv: string, formula: string, threads: number): TimedRun & { readonly json: FitJson } {
  const cli = [join(packageRoot, "bin", "absorb.js"), "fit", "--data", csv, "--formula", formula];
  const run = timedProcess(process.execPath, [...cli, "--vcov", "cluster:firm_id", "--fixef-rm", "none", "--threads", String(threads), "--json"]);
  return { ...run, json: JSON.parse(run.stdout) as FitJson };
}
