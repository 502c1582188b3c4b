import { mkdir, writeFile } from "node:fs/promises";
import { join, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import { refuseInputs, writeAtomically, type OutputOptions } from "../data/output-file.js";
import { coefPlotSvg, type CoefPlotOptions } from "./coefplot.js";
import type { ModelSource } from "./model.js";
import { renderTable, TABLE_FORMATS, type TableFormat } from "./render.js";
import type { RegressionTable } from "./table.js";

/**
 * Writes `dir/basename.{md,tex,html,json}` (or the formats asked for), creating `dir` if needed,
 * each file atomically (see data/output-file.ts); a file that is one of `options.inputs` is refused.
 * Returns the paths written. A directory that cannot be created or written is an InputError("file").
 */
export async function writeTable(
  table: RegressionTable,
  dir: string,
  basename: string,
  formats: readonly TableFormat[] = TABLE_FORMATS,
  options: OutputOptions = {},
): Promise<string[]> {
  await ensureDir(dir);
  const paths: string[] = [];
  for (const format of formats) {
    const path = join(dir, `${basename}.${format}`);
    await writeText(path, renderTable(table, format), dir, options.inputs ?? []);
    paths.push(path);
  }
  return paths;
}

/** Writes `dir/basename.svg`, the coefficient plot of the models; returns its path. */
export async function writeCoefPlot(
  models: readonly ModelSource[],
  dir: string,
  basename: string,
  options: CoefPlotOptions & OutputOptions = {},
): Promise<string> {
  const svg = coefPlotSvg(models, options);
  await ensureDir(dir);
  const path = join(dir, `${basename}.svg`);
  await writeText(path, svg, dir, options.inputs ?? []);
  return path;
}

async function ensureDir(dir: string): Promise<void> {
  try {
    await mkdir(dir, { recursive: true });
  } catch (err) {
    throw unwritable(dir, err);
  }
}

async function writeText(path: string, text: string, dir: string, inputs: readonly string[]): Promise<void> {
  await refuseInputs(path, inputs);
  try {
    await writeAtomically(path, (temp) => writeFile(temp, text, "utf8"));
  } catch (err) {
    throw unwritable(dir, err, path);
  }
}

function unwritable(dir: string, err: unknown, path?: string): InputError {
  const code = (err as NodeJS.ErrnoException | null)?.code;
  const reason =
    code === "EACCES" || code === "EPERM"
      ? "permission denied"
      : code === "EROFS"
        ? "read-only file system"
        : code === "ENOTDIR" || code === "EEXIST"
          ? "a file is in the way (a path component is not a directory)"
          : code === "ENOSPC"
            ? "no space left on the device"
            : err instanceof Error
              ? err.message
              : String(err);
  const what = path === undefined ? `cannot create the output directory "${resolve(dir)}"` : `cannot write "${resolve(path)}"`;
  return new InputError("file", `${what}: ${reason}; choose a directory you can write to (e.g. --out DIR) or fix its permissions`);
}
