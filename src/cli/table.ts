import { readFile, writeFile } from "node:fs/promises";
import { extname, resolve } from "node:path";
import { refuseInputs, writeAtomically } from "../data/output-file.js";
import { InputError } from "../core/errors.js";
import { parseCommandArgs, integerOption } from "./args.js";
import { fromFitJson, type ReportModel } from "../report/model.js";
import { buildTable } from "../report/table.js";
import { parseTableFormat, renderTable, type TableFormat } from "../report/render.js";

export const TABLE_HELP = `absorb table — a regression table from saved fits (absorb fit --json outputs)

Usage:
  absorb table FIT.json [FIT2.json ...] [options]

  Make the inputs with:  absorb fit --data panel.csv --formula "dvar ~ robot | firm_id + year" --json > fit1.json

Options:
  --format md|tex|html|json   output format (default md; with --out, taken from the file's extension)
  --se                        standard errors in parentheses (default: t statistics)
  --title T                   table title
  --labels "A,B"              column labels, one per fit (default (1), (2), ...)
  --keep a,b                  coefficients to show, in this order (default all but --controls)
  --controls a,b              regressors shown as one Yes/No "Controls" row
  --digits N                  decimals (default 3)
  --out FILE                  write the table to FILE instead of printing it
  -h, --help                  this help

Stars: * p < 0.1, ** p < 0.05, *** p < 0.01.
Exit status: 0 success, 2 invalid input.`;

const TABLE_OPTIONS = {
  format: { type: "string" },
  se: { type: "boolean" },
  title: { type: "string" },
  labels: { type: "string" },
  keep: { type: "string" },
  controls: { type: "string" },
  digits: { type: "string" },
  out: { type: "string" },
  json: { type: "boolean" },
  help: { type: "boolean", short: "h" },
} as const;

function list(value: string | undefined): string[] | undefined {
  return value === undefined ? undefined : value.split(",").map((s) => s.trim());
}

export async function runTable(argv: string[]): Promise<{ stdout: string }> {
  const { values, positionals } = parseCommandArgs("table", argv, TABLE_OPTIONS, "fit JSON files");
  if (values.help) return { stdout: TABLE_HELP };
  if (positionals.length === 0) {
    throw new InputError("option", "absorb table: give one or more fit JSON files, e.g. absorb table fit1.json fit2.json (make them with absorb fit ... --json > fit1.json)");
  }
  const format = outputFormat(values.format, values.json ?? false, values.out);
  const digits = integerOption("table", values.digits, "--digits", 0);
  if (values.out !== undefined) await refuseInputs(values.out, positionals);
  const models: ReportModel[] = [];
  for (const file of positionals) models.push(await readFit(file));
  const keep = list(values.keep)?.filter(Boolean);
  const table = buildTable(models, {
    title: values.title,
    modelLabels: list(values.labels),
    keep: keep && keep.length > 0 ? keep : undefined,
    controls: list(values.controls)?.filter(Boolean),
    digits,
    statistic: values.se ? "se" : "t",
  });
  const text = renderTable(table, format);
  if (values.out === undefined) return { stdout: text.replace(/\n$/, "") };
  try {
    await writeAtomically(values.out, (temp) => writeFile(temp, text, "utf8"));
  } catch (err) {
    const reason = err instanceof Error ? err.message : String(err);
    throw new InputError("file", `absorb table: cannot write "${resolve(values.out)}" (${reason}); choose a path in a directory you can write to`);
  }
  return { stdout: `wrote ${values.out}` };
}

function outputFormat(format: string | undefined, json: boolean, out: string | undefined): TableFormat {
  if (format !== undefined) {
    try {
      return parseTableFormat(format);
    } catch (err) {
      throw new InputError("option", `absorb table: --format: ${(err as Error).message}`);
    }
  }
  if (json) return "json";
  if (out !== undefined) {
    const ext = extname(out).slice(1).toLowerCase();
    const byExt: Record<string, TableFormat> = { md: "md", markdown: "md", tex: "tex", html: "html", htm: "html", json: "json" };
    if (ext in byExt) return byExt[ext];
  }
  return "md";
}

async function readFit(file: string): Promise<ReportModel> {
  let text: string;
  try {
    text = await readFile(file, "utf8");
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason = code === "ENOENT" ? "no such file" : code === "EISDIR" ? "it is a directory" : code === "EACCES" ? "permission denied" : (err as Error).message;
    throw new InputError("file", `absorb table: cannot read "${file}": ${reason}`);
  }
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new InputError("file", `absorb table: "${file}" is not JSON; give the output of absorb fit --json (absorb fit ... --json > ${file})`);
  }
  return fromFitJson(json, `absorb table: "${file}"`);
}
