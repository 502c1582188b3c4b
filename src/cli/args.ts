import { parseArgs, type ParseArgsConfig } from "node:util";
import { InputError } from "../errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with its errors turned into InputError("option") naming the command. */
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T): Parsed<T> {
  try {
    return parseArgs({ args: argv, options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new InputError("option", `absorb ${command}: ${message}; see absorb ${command} --help`);
  }
}

export function requireOption(command: string, value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value === "") {
    throw new InputError("option", `absorb ${command}: ${flag} is required, e.g. ${example}`);
  }
  return value;
}

export function numberOption(command: string, value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const x = Number(value);
  if (!Number.isFinite(x)) throw new InputError("option", `absorb ${command}: ${flag} must be a number (got "${value}")`);
  return x;
}
