import { spawnSync } from "node:child_process";
import { writeFileSync } from "node:fs";
import { join } from "node:path";

/**
 * fixest on the same data, in the same run, when Rscript with fixest is on the PATH. The R
 * side reads the CSV the benchmark wrote, then times estimation only (data in memory), as the
 * issue's table does.
 */
export function fixestAvailable(): boolean {
  return fixestVersion() !== undefined;
}

/** fixest's version as R reports it, or undefined without Rscript or fixest. */
export function fixestVersion(): string | undefined {
  const r = spawnSync("Rscript", ["-e", "if (requireNamespace('fixest', quietly = TRUE)) cat(format(packageVersion('fixest')))"], { encoding: "utf8" });
  return r.status === 0 && r.stdout.trim() !== "" ? r.stdout.trim() : undefined;
}

export interface FixestTiming {
  readonly formula: string;
  readonly medianSeconds: number;
  readonly iterations: string;
  readonly nobs: number;
}

export interface FixestOptions {
  /** fixest's and data.table's threads (default 2). */
  readonly threads?: number;
  /** Only these columns are read (fread's select=), so a large panel's copy in R stays small; default all. */
  readonly columns?: readonly string[];
}

const rVector = (xs: readonly string[]) => `c(${xs.map((x) => JSON.stringify(x)).join(", ")})`;

/** The lines every R script here starts with: packages loaded quietly, both libraries on `threads` threads, the CSV read. */
function preamble(csv: string, { threads = 2, columns }: FixestOptions): string[] {
  return [
    "suppressMessages({library(data.table); library(fixest)})",
    `setDTthreads(${threads}); setFixest_nthreads(${threads})`,
    `d <- fread(${JSON.stringify(csv)}${columns ? `, select = ${rVector(columns)}` : ""})`,
  ];
}

/** `estimator`: the fixest call and any extra arguments, e.g. "fepois" or "feglm(family = 'logit')" (default feols). */
export function timeFixest(
  csv: string,
  formulas: readonly string[],
  cluster: string,
  reps: number,
  dir: string,
  estimator = "feols",
  options: FixestOptions = {},
): FixestTiming[] {
  const [fn, extra] = /^(\w+)(?:\((.*)\))?$/.exec(estimator)!.slice(1);
  const script = join(dir, "fixest-bench.R");
  writeFileSync(
    script,
    [
      ...preamble(csv, options),
      `for (f in ${rVector(formulas)}) {`,
      `  ts <- numeric(${reps})`,
      `  for (r in seq_len(${reps})) ts[r] <- system.time(m <- ${fn}(as.formula(f), d, cluster = ~${cluster}${extra ? `, ${extra}` : ""}))[["elapsed"]]`,
      '  cat(f, "\\t", median(ts), "\\t", paste(m$iterations, collapse = ","), "\\t", nobs(m), "\\n", sep = "")',
      "}",
    ].join("\n"),
  );
  const r = spawnSync("Rscript", [script], { encoding: "utf8", maxBuffer: 1 << 24 });
  if (r.status !== 0) throw new Error(`fixest benchmark failed: ${r.stderr}`);
  return r.stdout
    .trim()
    .split("\n")
    .map((line) => {
      const [formula, seconds, iterations, nobs] = line.split("\t");
      return { formula, medianSeconds: Number(seconds), iterations, nobs: Number(nobs) };
    });
}

/**
 * The R script of fixest's whole job, the counterpart of one `absorb fit` process: load the
 * packages, `fread` only the model's columns, `feols` clustered by `cluster`, print the
 * coefficient table, then `nobs <n>` so the benchmark can check both fitted the same rows.
 */
export function fixestWholeRunScript(dir: string, csv: string, formula: string, cluster: string, options: FixestOptions): string {
  const script = join(dir, "fixest-whole-run.R");
  writeFileSync(
    script,
    [...preamble(csv, options), `m <- feols(${formula}, d, cluster = ~${cluster})`, "print(coeftable(m))", 'cat("nobs", nobs(m), "\\n")'].join("\n"),
  );
  return script;
}
