/**
 * `absorb sql`: the out-of-core plan as SQL scripts for an engine absorb does not connect to
 * (src/outofcore/printed.ts). Without results it prints script 1; with script 1's results
 * (--from-sufficient-stats) it prints script 2.
 */
import { InputError } from "../core/errors.js";
import { parseCommandArgs, requireOption } from "./args.js";
import { readStats, scriptOptions } from "./remote.js";
import type { CliOutput } from "./fit.js";

export const SQL_HELP = `absorb sql — the out-of-core fit as SQL for Spark, BigQuery, ClickHouse or DuckDB

Usage:
  absorb sql --dialect spark --table db.panel --formula "y ~ x1 + x2 | firm + year" [options] > script1.sql
  absorb sql … --from-sufficient-stats results1.json > script2.sql
  absorb fit --formula … [options] --from-sufficient-stats results.json

  Run script 1, save the rows of each "-- result: NAME" query as
    {"format": "absorb-sufficient-stats", "version": 1, "results": {"NAME": [[v, …], …], …}}
  then print and run script 2 in the same session, add its results, and finish with absorb fit.
  The first fixed effect is absorbed by group means: list the one with most levels first.

Options:
  --dialect duckdb|clickhouse|spark|bigquery
  --table NAME                          the data's table (db.panel; BigQuery: project.dataset.table)
  --formula "y ~ x | fe1 + fe2"         OLS with fixed effects (a^b allowed)
  --vcov iid|hetero|cluster:COL[+COL]   variance (default iid)
  --weights COL                         regression weights
  --where "PREDICATE"                   row subset, e.g. "year >= 2005 and region != 'west'"
  --fixef-rm singleton|none             drop singletons (default) or keep them
  --singleton-rounds N                  rounds of singleton removal in script 1 (default 10)
  --from-sufficient-stats FILE          script 1's results: print script 2
  -h, --help                            this help`;

const SQL_OPTIONS = {
  dialect: { type: "string" },
  table: { type: "string" },
  formula: { type: "string" },
  vcov: { type: "string" },
  ssc: { type: "string" },
  weights: { type: "string" },
  where: { type: "string" },
  "fixef-rm": { type: "string" },
  "singleton-rounds": { type: "string" },
  "from-sufficient-stats": { type: "string", multiple: true },
  help: { type: "boolean", short: "h" },
  json: { type: "boolean" },
} as const;

export async function runSql(argv: string[]): Promise<CliOutput> {
  const { values } = parseCommandArgs("sql", argv, SQL_OPTIONS);
  if (values.help) return { stdout: SQL_HELP };
  const { DIALECTS, printPlan } = await import("../outofcore/printed.js");
  const dialect = requireOption("sql", values.dialect, "--dialect", "--dialect spark");
  if (!(DIALECTS as readonly string[]).includes(dialect)) throw new InputError("option", `--dialect must be one of ${DIALECTS.join(", ")} (got "${dialect}")`);
  const table = requireOption("sql", values.table, "--table", "--table db.panel");
  const formula = requireOption("sql", values.formula, "--formula", '--formula "y ~ x | firm + year"');
  const stats = values["from-sufficient-stats"];
  const sql = printPlan(dialect as (typeof DIALECTS)[number], table, formula, scriptOptions("sql", values), stats === undefined ? undefined : readStats(stats));
  return { stdout: sql.trimEnd() };
}
