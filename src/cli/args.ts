import { parseArgs, type ParseArgsConfig } from "node:util";
import { InputError } from "../core/errors.js";

type Options = NonNullable<ParseArgsConfig["options"]>;

/** node:util parseArgs, with its errors turned into InputError("option") naming the command. */
type Parsed<T extends Options> = ReturnType<typeof parseArgs<{ args: string[]; options: T; strict: true; allowPositionals: true }>>;

/** A number as the CLI accepts it: decimal digits with an optional sign, point and exponent; nothing else. */
const DECIMAL = /^[+-]?(\d+\.?\d*|\.\d+)([eE][+-]?\d+)?$/;

/**
 * Parses `argv` against `options`. Positional arguments are an error unless `positionals` names
 * what they are (e.g. "fit JSON files"): a stray word is more often a typo than something to ignore.
 */
export function parseCommandArgs<T extends Options>(command: string, argv: string[], options: T, positionals?: string): Parsed<T> {
  let parsed: Parsed<T>;
  try {
    parsed = parseArgs({ args: joinNegativeValues(argv, options), options, strict: true, allowPositionals: true });
  } catch (err) {
    const message = err instanceof Error ? err.message : String(err);
    throw new InputError("option", `absorb ${command}: ${message}; see absorb ${command} --help`);
  }
  if (positionals === undefined && parsed.positionals.length > 0) {
    throw new InputError(
      "option",
      `absorb ${command}: unexpected argument "${parsed.positionals[0]}" (options start with --, e.g. --data FILE); see absorb ${command} --help`,
    );
  }
  return parsed;
}

/**
 * `--lag -1` as `--lag=-1`: parseArgs reads a value that starts with "-" as another option and
 * calls it ambiguous; a string option followed by a number takes that number, so its own check
 * can say what is wrong with it.
 */
function joinNegativeValues(argv: string[], options: Options): string[] {
  const out: string[] = [];
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i];
    const name = arg.startsWith("--") ? arg.slice(2) : null;
    const next = argv[i + 1];
    if (name !== null && options[name]?.type === "string" && next !== undefined && DECIMAL.test(next) && next.startsWith("-")) {
      out.push(`${arg}=${next}`);
      i++;
    } else {
      out.push(arg);
    }
  }
  return out;
}

export function requireOption(command: string, value: string | undefined, flag: string, example: string): string {
  if (value === undefined || value === "") {
    throw new InputError("option", `absorb ${command}: ${flag} is required, e.g. ${example}`);
  }
  return value;
}

/** A decimal number; hexadecimal, empty, "Infinity" and trailing text are errors (Number() would accept some). */
export function numberOption(command: string, value: string | undefined, flag: string): number | undefined {
  if (value === undefined) return undefined;
  const x = DECIMAL.test(value.trim()) ? Number(value) : NaN;
  if (!Number.isFinite(x)) throw new InputError("option", `absorb ${command}: ${flag} must be a number, written in decimal (got "${value}")`);
  return x;
}

/** A whole number at least `min` (counts, seeds, iterations). */
export function integerOption(command: string, value: string | undefined, flag: string, min: number): number | undefined {
  const x = numberOption(command, value, flag);
  if (x !== undefined && !(Number.isSafeInteger(x) && x >= min)) {
    throw new InputError("option", `absorb ${command}: ${flag} must be a whole number of at least ${min} (got "${value}")`);
  }
  return x;
}
