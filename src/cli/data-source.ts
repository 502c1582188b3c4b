import type { DataSource } from "../data/read.js";
import { InputError } from "../core/errors.js";

/** `--data FILE` (one file, its name taken literally) or `--data-glob PATTERN` (every matching file), exactly one of them. */
export function dataSourceOption(command: string, data: string | undefined, glob: string | undefined): DataSource {
  if (data !== undefined && glob !== undefined) {
    throw new InputError("option", `absorb ${command}: give --data FILE or --data-glob PATTERN, not both`);
  }
  if (glob !== undefined && glob !== "") return { glob };
  if (data === undefined || data === "") {
    throw new InputError("option", `absorb ${command}: --data is required, e.g. --data panel.csv (or --data-glob "parts/*.parquet" for several files)`);
  }
  return data;
}

/** How progress lines and messages name the source. */
export function describeSource(source: DataSource): string {
  return typeof source === "string" ? source : `the files matching ${source.glob}`;
}
