/**
 * The study's inputs when they are the user's own: the firm panel, the robot-stock table, the
 * input–output matrix and base-year employment, each a path or data in memory, checked for the
 * columns the study needs (errors name the table and the missing columns) — and the output
 * directory, checked before any work is done.
 */
import { access, mkdir } from "node:fs/promises";
import { constants } from "node:fs";
import { resolve } from "node:path";
import type { Column, Frame } from "../data/frame.js";
import { toFrame, type DataInput } from "../data/input.js";
import { readFrame } from "../data/read.js";
import { InputError } from "../core/errors.js";
import { ioMatrixFromTable, type IoMatrix } from "./linkages.js";
import { numericColumn } from "./columns.js";
import type { StudyInputs } from "./study-data.js";

/** The firm panel's raw columns the study needs (the synthetic panel's names). */
export const REPRODUCE_PANEL_COLUMNS = [
  "firm_id", "year", "industry", "region", "soe", "intensity", "open_year", "employees", "prod_share", "assets",
  "net_fixed_assets", "liabilities", "cost", "profit", "rd", "exports", "exports_ordinary", "domestic_sales",
  "imports_processing", "imports_ordinary", "inputs_total",
] as const;
export const REPRODUCE_ROBOT_COLUMNS = ["industry", "year", "stock", "foreign_stock"] as const;
export const REPRODUCE_EMPLOYMENT_COLUMNS = ["industry", "employment"] as const;

/** A table input: a path (read with readFrame) or data in memory. */
export type ReproduceInput = string | DataInput;

/** The user's own study data (ReproduceOptions.data). */
export interface ReproduceData {
  readonly panel: ReproduceInput;
  readonly robots: ReproduceInput;
  readonly io: ReproduceInput | IoMatrix;
  readonly employment?: ReproduceInput;
}

/** The values of a numeric column; an error naming the column otherwise. */
export function numericValues(frame: Frame, name: string): Float64Array {
  const c = frame.columns.get(name);
  if (!c || c.kind !== "numeric") throw new InputError("column", `reproduce: column "${name}" must be numeric`);
  return c.values;
}

/** A cell as text ("" when missing): how keys of different tables are matched. */
export function cellText(col: Column, r: number): string {
  return col.kind === "numeric" ? String(col.values[r]) : col.codes[r]! < 0 ? "" : col.levels[col.codes[r]!]!;
}


export async function checkWritable(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
    await access(dir, constants.W_OK);
  } catch (err) {
    const code = (err as NodeJS.ErrnoException).code;
    const reason =
      code === "EACCES" || code === "EPERM"
        ? "permission denied"
        : code === "ENOTDIR" || code === "EEXIST"
          ? "a file is in the way (a path component is not a directory)"
          : code === "EROFS"
            ? "read-only file system"
            : (err as Error).message;
    throw new InputError("file", `reproduce: cannot write to the output directory "${resolve(dir)}": ${reason}; choose a directory you can write to with --out DIR`);
  }
}

async function loadTable(input: ReproduceInput, what: string, required: readonly string[]): Promise<Frame> {
  const frame = typeof input === "string" ? await readFrame(input) : toFrame(input);
  const where = typeof input === "string" ? `${what} "${input}"` : what;
  const missing = required.filter((c) => !frame.columns.has(c));
  if (missing.length > 0) {
    throw new InputError(
      "column",
      `reproduce: ${where} has no column${missing.length > 1 ? "s" : ""} ${missing.map((c) => `"${c}"`).join(", ")} ` +
        `(it needs ${required.join(", ")}; it has ${[...frame.columns.keys()].join(", ")})`,
    );
  }
  return frame;
}

function isIoMatrix(x: unknown): x is IoMatrix {
  return typeof x === "object" && x !== null && "flows" in x && "industries" in x && Array.isArray((x as IoMatrix).industries);
}

export async function loadInputs(data: ReproduceData): Promise<StudyInputs> {
  if (data.panel === undefined || data.robots === undefined || data.io === undefined) {
    throw new InputError("option", "reproduce: own data needs the firm panel, the robot-stock table and the input–output matrix (panel, robots, io)");
  }
  const panel = await loadTable(data.panel, "the firm panel", REPRODUCE_PANEL_COLUMNS);
  const robots = await loadTable(data.robots, "the robot-stock table", REPRODUCE_ROBOT_COLUMNS);
  const io = isIoMatrix(data.io) ? data.io : ioMatrixFromTable(await loadTable(data.io, "the input–output table", ["industry"]));
  const employment =
    data.employment !== undefined ? await loadTable(data.employment, "the employment table", REPRODUCE_EMPLOYMENT_COLUMNS) : employmentFromPanel(panel, robots);
  return { panel, robots, employment, io };
}

/** Base-year industry employment from the panel: employees summed by industry in the robot table's first year. */
function employmentFromPanel(panel: Frame, robots: Frame): Frame {
  const years = numericValues(robots, "year");
  let base = Infinity;
  for (const y of years) if (y < base) base = y;
  const year = numericValues(panel, "year");
  const employees = numericValues(panel, "employees");
  const industry = panel.columns.get("industry")!;
  const sums = new Map<string, number>();
  for (let r = 0; r < panel.nrows; r++) {
    if (year[r] !== base || !Number.isFinite(employees[r]!)) continue;
    const k = cellText(industry, r);
    if (k === "") continue;
    sums.set(k, (sums.get(k) ?? 0) + employees[r]!);
  }
  const robotIndustry = robots.columns.get("industry")!;
  const needed = new Set<string>();
  for (let r = 0; r < robots.nrows; r++) needed.add(cellText(robotIndustry, r));
  const absent = [...needed].filter((k) => !(sums.get(k)! > 0));
  if (absent.length > 0) {
    throw new InputError(
      "data",
      `reproduce: the firm panel has no employees in ${base} (the robot table's first year) for industr${absent.length > 1 ? "ies" : "y"} ${absent.join(", ")}; ` +
        `give base-year industry employment with --employment FILE (industry, employment)`,
    );
  }
  const keys = [...needed];
  const numericKeys = industry.kind === "numeric";
  return {
    nrows: keys.length,
    columns: new Map<string, Column>([
      ["industry", numericKeys ? numericColumn(Float64Array.from(keys, Number)) : { kind: "categorical", codes: Int32Array.from(keys, (_, i) => i), levels: keys }],
      ["year", numericColumn(new Float64Array(keys.length).fill(base))],
      ["employment", numericColumn(Float64Array.from(keys, (k) => sums.get(k)!))],
    ]),
  };
}
