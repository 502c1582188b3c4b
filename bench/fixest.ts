import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * fixest on the same data, in the same run, when Rscript with fixest is on the PATH. The R
 * side reads the CSV the benchmark wrote, then times estimation only (data in memory), as the
 * issue's table does.
 */
export function fixestAvailable(): boolean {
  const r = spawnSync("Rscript", ["-e", "cat(requireNamespace('fixest', quietly = TRUE))"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() === "TRUE";
}

export interface FixestTiming {
  readonly formula: string;
  readonly medianSeconds: number;
  readonly iterations: string;
}

/** `estimator`: the fixest call and any extra arguments, e.g. "fepois" or "feglm(family = 'logit')" (default feols). */
export function timeFixest(csv: string, formulas: readonly string[], cluster: string, reps: number, dir: string, estimator = "feols"): FixestTiming[] {
  const [fn, extra] = /^(\w+)(?:\((.*)\))?$/.exec(estimator)!.slice(1);
  const script = join(dir, "fixest-bench.R");
  writeFileSync(
    script,
    [
      "suppressMessages({library(data.table); library(fixest)})",
      "setFixest_nthreads(2)",
      `d <- fread(${JSON.stringify(csv)})`,
      `for (f in c(${formulas.map((f) => JSON.stringify(f)).join(", ")})) {`,
      `  ts <- numeric(${reps})`,
      `  for (r in seq_len(${reps})) ts[r] <- system.time(m <- ${fn}(as.formula(f), d, cluster = ~${cluster}${extra ? `, ${extra}` : ""}))[["elapsed"]]`,
      '  cat(f, "\\t", median(ts), "\\t", paste(m$iterations, collapse = ","), "\\n", sep = "")',
      "}",
    ].join("\n"),
  );
  const r = spawnSync("Rscript", [script], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`fixest benchmark failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => {
      const [formula, seconds, iterations] = line.split("\t");
      return { formula, medianSeconds: Number(seconds), iterations };
    });
}
