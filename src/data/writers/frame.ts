/**
 * Writing a Frame to the file type its name says (.csv, .csv.gz, .parquet), atomically
 * (output-file.ts). A name of any other type is refused before anything is computed, so no
 * command writes one format under another's name.
 */
import { InputError } from "../../core/errors.js";
import type { Column, Frame } from "../frame.js";
import { writeAtomically, type OutputOptions } from "../output-file.js";
import { writeCsv } from "./csv.js";
import { writeParquet, type ParquetType } from "./parquet.js";

export type OutputFormat = "csv" | "parquet";

/** The format an output name asks for, or null when absorb writes no such file. */
export function outputFormat(path: string): OutputFormat | null {
  const p = path.toLowerCase();
  return p.endsWith(".csv") || p.endsWith(".csv.gz") ? "csv" : p.endsWith(".parquet") ? "parquet" : null;
}

/** Refuses (InputError "option") an output name whose type absorb does not write; `command` prefixes the message. */
export function checkOutputName(command: string, option: string, path: string): void {
  if (outputFormat(path) === null) {
    throw new InputError("option", `absorb ${command}: ${option} must name a .csv, .csv.gz or .parquet file (got "${path}")`);
  }
}

/** Writes `frame` to `path` in the format its name says; a failure is an InputError ("file") naming the path. */
export async function writeFrame(
  frame: Frame,
  path: string,
  options: OutputOptions & { readonly parquetType?: (name: string, col: Column) => ParquetType } = {},
): Promise<void> {
  const format = outputFormat(path);
  try {
    await writeAtomically(path, (temp) => (format === "parquet" ? writeParquet(frame, temp, options.parquetType) : writeCsv(frame, temp)), options);
  } catch (err) {
    if (err instanceof InputError) throw err;
    throw new InputError("file", `cannot write "${path}": ${(err as Error).message}`);
  }
}
