/**
 * The flags shared by `absorb sql` and the fits whose statistics come from elsewhere
 * (`--engine clickhouse`, `--from-sufficient-stats`): the model's options as the out-of-core
 * plan takes them, and reading results files.
 */
import { readFileSync } from "node:fs";
import { InputError } from "../core/errors.js";
import { parsePredicate } from "../data/predicate.js";
import { parseSscFlag } from "../vcov/ssc.js";
import { numberOption } from "./args.js";
import { parseCliVcov } from "./vcov-panel.js";
import { parseStats, type ScriptOptions, type StatsResults } from "../outofcore/sufficient-stats.js";

export interface RemoteFlags {
  readonly vcov?: string;
  readonly "panel-id"?: string;
  readonly lag?: string;
  readonly ssc?: string;
  readonly weights?: string;
  readonly where?: string;
  readonly "fixef-rm"?: string;
  readonly "singleton-rounds"?: string;
  readonly "from-sufficient-stats"?: readonly string[];
}

export function scriptOptions(command: string, values: RemoteFlags): ScriptOptions {
  const fixefRm = values["fixef-rm"];
  if (fixefRm !== undefined && fixefRm !== "singleton" && fixefRm !== "none") throw new InputError("option", `--fixef-rm must be singleton or none (got "${fixefRm}")`);
  const rounds = numberOption(command, values["singleton-rounds"], "--singleton-rounds");
  return {
    vcov: parseCliVcov(values.vcov, values["panel-id"], values.lag),
    ssc: values.ssc === undefined ? undefined : parseSscFlag(values.ssc),
    weights: values.weights,
    where: values.where === undefined ? undefined : parsePredicate(values.where),
    fixefRm: fixefRm as "singleton" | "none" | undefined,
    singletonRounds: rounds,
  };
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
