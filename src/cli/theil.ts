import { readFrame, sourceFiles } from "../data/read.js";
import type { ParquetType } from "../data/writers/parquet.js";
import { refuseInputs } from "../data/output-file.js";
import { checkOutputName, writeFrame } from "../data/writers/frame.js";
import type { Column } from "../data/frame.js";
import { theil } from "../inequality/theil.js";
import type { NonpositiveMode } from "../inequality/indices.js";
import { InputError } from "../core/errors.js";
import { parseCommandArgs, requireOption, numberOption } from "./args.js";
import { Progress } from "./progress.js";
import { dataSourceOption, describeSource } from "./data-source.js";

export const THEIL_HELP = `absorb theil — Theil T, Theil L and GE(α) of a column by group, with decomposition

Usage:
  absorb theil --data FILE --value COL [--by COL[,COL…]] [options]

  FILE: .csv, .csv.gz, .parquet, .arrow / .feather (only the columns named are read);
        the name is taken literally (no globbing, ~ or URLs)

Options:
  --data-glob PATTERN          instead of --data: every CSV or Parquet file matching PATTERN, as one table
  --value COL                  the numeric column whose inequality is measured
  --by COL[,COL…]              one set of indices per group (default: all rows as one group)
  --decompose COL[,COL…]       split total inequality into within- and between-group parts
  --alpha A                    also the generalized entropy GE(A) (GE(1) = Theil T, GE(0) = Theil L)
  --weights COL                row weights (missing/zero weights drop the row)
  --nonpositive error|drop|keep-zeros
                               values <= 0: fail (default), drop them (counted per group), or keep
                               zeros for T and GE(A > 0) (L is then NA where a group has a zero)
  --json                       print one JSON object
  --out FILE.csv|.csv.gz|.parquet
                               also write the per-group table (keys, n, dropped, mean, indices)
  --quiet                      no progress lines on stderr
  -h, --help                   this help

Example:
  absorb theil --data panel.csv --value dvar --by industry,year --decompose region --nonpositive drop

Exit status: 0 success, 2 invalid input, 1 failure.`;

const THEIL_OPTIONS = {
  data: { type: "string" },
  "data-glob": { type: "string" },
  value: { type: "string" },
  by: { type: "string" },
  decompose: { type: "string" },
  alpha: { type: "string" },
  weights: { type: "string" },
  nonpositive: { type: "string" },
  json: { type: "boolean" },
  out: { type: "string" },
  quiet: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function columnList(value: string | undefined): string[] {
  return value === undefined ? [] : value.split(",").map((s) => s.trim()).filter(Boolean);
}

export async function runTheil(argv: string[]): Promise<{ stdout: string }> {
  const { values } = parseCommandArgs("theil", argv, THEIL_OPTIONS);
  if (values.help) return { stdout: THEIL_HELP };
  const data = dataSourceOption("theil", values.data, values["data-glob"]);
  const value = requireOption("theil", values.value, "--value", "--value dvar");
  const by = columnList(values.by);
  const decompose = columnList(values.decompose);
  const alpha = numberOption("theil", values.alpha, "--alpha");
  const mode = values.nonpositive;
  if (mode !== undefined && !["error", "drop", "keep-zeros"].includes(mode)) {
    throw new InputError("option", `absorb theil: --nonpositive must be error, drop or keep-zeros (got "${mode}")`);
  }
  const out = values.out;
  if (out !== undefined) checkOutputName("theil", "--out", out);
  // Refused before the work, not after it: the output must not replace the data.
  if (out !== undefined) await refuseInputs(out, await sourceFiles(data));
  const progress = new Progress(!values.json && !values.quiet);
  progress.phase(`reading ${describeSource(data)}`);
  const columns = new Set([value, ...by, ...decompose, ...(values.weights ? [values.weights] : [])]);
  const frame = await readFrame(data, [...columns]);
  progress.phase(`Theil indices over ${frame.nrows.toLocaleString("en-US")} rows`, frame.nrows >= 5_000_000);
  const result = await theil(frame, {
    value,
    by,
    weights: values.weights,
    alpha,
    nonpositive: mode as NonpositiveMode | undefined,
    decompose: decompose.length > 0 ? decompose : undefined,
  });
  if (out !== undefined) {
    progress.phase(`writing ${out}`);
    await writeFrame(result.toFrame(), out, { parquetType });
  }
  progress.done();
  if (values.json) return { stdout: JSON.stringify(result.toJSON()) };
  const wrote = out !== undefined ? `\n\nWrote ${result.groups.length.toLocaleString("en-US")} groups to ${out}` : "";
  return { stdout: result.summary() + wrote };
}

/** Text keys VARCHAR; counts and whole-number keys BIGINT; everything else DOUBLE. */
function parquetType(name: string, col: Column): ParquetType {
  const whole = col.kind === "numeric" && col.values.every((v) => Number.isNaN(v) || Number.isInteger(v));
  const statistic = ["mean", "theil_t", "theil_l", "ge"].includes(name) || name.startsWith("se_");
  return whole && !statistic ? "BIGINT" : "DOUBLE";
}
