/**
 * The flags shared by the out-of-core commands — `absorb sql`, `absorb fit --engine duckdb` and the
 * fits whose statistics come from elsewhere (`--engine clickhouse`, `--from-sufficient-stats`): the
 * model's options as the out-of-core plan takes them, and reading results files.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../core/errors.js";
import { parsePredicate } from "../data/predicate.js";
import { parseSscFlag } from "../vcov/ssc.js";
import { numberOption } from "./args.js";
import { parseCliVcov } from "./vcov-panel.js";
import { parseStats, type ScriptOptions, type StatsResults } from "../outofcore/sufficient-stats.js";
import type { OutOfCoreOptions } from "../outofcore/fit.js";

/** The model's flags every out-of-core fit reads. */
export interface ModelFlags {
  readonly vcov?: string;
  readonly "panel-id"?: string;
  readonly lag?: string;
  readonly ssc?: string;
  readonly weights?: string;
  readonly where?: string;
  readonly "fixef-rm"?: string;
}

export interface RemoteFlags extends ModelFlags {
  readonly "singleton-rounds"?: string;
  readonly "from-sufficient-stats"?: readonly string[];
}

/** The model's options from its flags, checked, as every out-of-core plan takes them. */
export function modelOptions(values: ModelFlags): Omit<OutOfCoreOptions, "duckdb"> {
  const fixefRm = values["fixef-rm"];
  if (fixefRm !== undefined && fixefRm !== "singleton" && fixefRm !== "none") throw new InputError("option", `--fixef-rm must be singleton or none (got "${fixefRm}")`);
  return {
    vcov: parseCliVcov(values.vcov, values["panel-id"], values.lag),
    ssc: values.ssc === undefined ? undefined : parseSscFlag(values.ssc),
    weights: values.weights,
    where: values.where === undefined ? undefined : parsePredicate(values.where),
    fixefRm,
  };
}

export function scriptOptions(command: string, values: RemoteFlags): ScriptOptions {
  const model = modelOptions(values);
  return { ...model, singletonRounds: numberOption(command, values["singleton-rounds"], "--singleton-rounds") };
}

/** The results of one or more files (e.g. one per script), merged; a name in two files must agree. */
export function readStats(files: readonly string[]): StatsResults {
  const merged: Record<string, readonly (readonly number[])[]> = {};
  for (const file of files) {
    let text: string;
    try {
      text = readFileSync(file, "utf8");
    } catch (err) {
      throw new InputError("file", `cannot read sufficient statistics from ${file}: ${(err as Error).message}`);
    }
    for (const [name, rows] of Object.entries(parseStats(text, file))) {
      if (name in merged && JSON.stringify(merged[name]) !== JSON.stringify(rows)) throw new InputError("file", `result "${name}" differs between the sufficient-statistics files; keep one copy`);
      merged[name] = rows;
    }
  }
  return merged;
}

export const REMOTE_HELP = `  --engine clickhouse --url URL --table DB.TABLE
                                        fit inside a ClickHouse server (HTTP interface), e.g. over a
                                        Distributed table; only sums come back
  --from-sufficient-stats FILE          finish a fit from the results of the scripts absorb sql printed
                                        (repeat for several files; same --formula and options as absorb sql)`;
