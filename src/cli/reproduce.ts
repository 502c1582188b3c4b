import { InputError } from "../core/errors.js";
import { parseCommandArgs, integerOption, numberOption } from "./args.js";
import { Progress } from "./progress.js";
import { reproduceStudy, formatPlantedCheck, type ReproduceOptions } from "../study/reproduce.js";
import { renderMarkdown } from "../report/markdown.js";

export const REPRODUCE_HELP = `absorb reproduce — the study end to end: eight tables, coefficient plots, planted-effect check

Usage:
  absorb reproduce [--firms N] [--seed S] [--out DIR] [--reps B] [--quiet] [--json]
  absorb reproduce --data PANEL --robots ROBOTS --io IO [--employment EMP] [--out DIR] [--reps B]

Builds the synthetic study panel (default 100,000 firms, ≈ 400k firm-years; or reads your firm
panel, robot-stock table and input–output matrix), builds DVAR, robot penetration, For/Back and
the controls, and runs the study:
  1 baseline  2 robustness  3–5 heterogeneity by region, ownership, factor intensity
  6 mediation (profitability, innovation)  7 spillovers (For, Back)  8 dispersion (gap, Theil)
It prints each table in Markdown and, on the synthetic panel, the planted-effect check.

Options:
  --firms N          firms of the synthetic panel (default 100000)
  --seed S           seed of the panel, the bootstrap and the permutations (default 1)
  --reps B           bootstrap replications and permutations (default 499)
  --out DIR          write DIR/table1.{md,tex,html,json} … table8.* and the plots (SVG) (default: tables)
  --data FILE        your firm panel (.csv, .csv.gz, .parquet, .arrow) with the columns
                     firm_id, year, industry, region, soe, intensity, open_year, employees, prod_share,
                     assets, net_fixed_assets, liabilities, cost, profit, rd, exports, exports_ordinary,
                     domestic_sales, imports_processing, imports_ordinary, inputs_total
  --robots FILE      robot stocks: industry, year, stock, foreign_stock (needed with --data)
  --io FILE          input–output flows: industry, then one column per buying industry (needed with --data)
  --employment FILE  base-year industry employment: industry, employment
                     (default: the panel's employees by industry in the robot table's first year)
  --quiet            no progress lines on stderr
  --json             print one JSON object (tables, files, timings, planted check)
  -h, --help         this help

Exit status: 0 success, 1 a planted effect not recovered (or an estimation failure), 2 invalid input.`;

const REPRODUCE_OPTIONS = {
  firms: { type: "string" },
  seed: { type: "string" },
  reps: { type: "string" },
  out: { type: "string" },
  data: { type: "string" },
  robots: { type: "string" },
  io: { type: "string" },
  employment: { type: "string" },
  quiet: { type: "boolean" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

export async function runReproduce(argv: string[]): Promise<{ stdout: string; status?: number }> {
  const { values } = parseCommandArgs("reproduce", argv, REPRODUCE_OPTIONS);
  if (values.help) return { stdout: REPRODUCE_HELP };
  const firms = integerOption("reproduce", values.firms, "--firms", 1);
  const seed = numberOption("reproduce", values.seed, "--seed");
  const reps = integerOption("reproduce", values.reps, "--reps", 0);
  const ownData = values.data !== undefined || values.robots !== undefined || values.io !== undefined || values.employment !== undefined;
  let data: ReproduceOptions["data"];
  if (ownData) {
    const missing = [
      values.data === undefined ? "--data" : null,
      values.robots === undefined ? "--robots" : null,
      values.io === undefined ? "--io" : null,
    ].filter((x): x is string => x !== null);
    if (missing.length > 0) {
      throw new InputError(
        "option",
        `absorb reproduce: your own data needs --data, --robots and --io together; missing ${missing.join(" and ")} ` +
          `(e.g. absorb reproduce --data panel.csv --robots robots.csv --io io.csv)`,
      );
    }
    if (firms !== undefined) throw new InputError("option", "absorb reproduce: --firms sets the size of the synthetic panel; leave it out with --data");
    data = { panel: values.data!, robots: values.robots!, io: values.io!, ...(values.employment ? { employment: values.employment } : {}) };
  }
  const quiet = values.quiet === true || values.json === true;
  const progress = new Progress(!quiet);
  const result = await reproduceStudy({
    firms,
    seed,
    reps,
    data,
    outDir: values.out ?? "tables",
    onProgress: (message) => progress.phase(message, true),
  });
  progress.done();
  const failed = result.planted?.filter((c) => !c.pass).length ?? 0;
  const status = failed > 0 ? 1 : 0;
  if (values.json) {
    return {
      status,
      stdout: JSON.stringify({
        source: result.source,
        firms: result.firms,
        seed: result.seed,
        reps: result.reps,
        rows: result.rows,
        tables: result.tables.map((t) => ({ name: t.name, ...t.table })),
        files: result.files,
        plots: result.plots,
        timings: result.timings,
        total_seconds: result.totalSeconds,
        planted: result.planted,
      }),
    };
  }
  const parts = result.tables.map((t) => renderMarkdown(t.table).replace(/\n+$/, ""));
  const what =
    result.source === "synthetic"
      ? `Synthetic study panel: ${result.firms!.toLocaleString("en-US")} firms (seed ${result.seed}), ${result.rows.toLocaleString("en-US")} firm-years after cleaning`
      : `Your data: ${result.rows.toLocaleString("en-US")} firm-years after cleaning`;
  const out = [what, "", ...parts.flatMap((p) => [p, ""])];
  if (result.planted) out.push(formatPlantedCheck(result.planted), "");
  out.push(`Wrote ${result.files.length - result.plots.length} table files and ${result.plots.length} plots to ${values.out ?? "tables"}/ in ${result.totalSeconds.toFixed(1)} s.`);
  return { status, stdout: out.join("\n") };
}
