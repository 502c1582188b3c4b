import { AbsorbError, exitCodeFor, InputError } from "../core/errors.js";
import { VERSION } from "../core/version.js";
import { shutdownPool } from "../engine/pool.js";
import { Progress } from "./progress.js";

const HELP = `absorb ${VERSION} — fixed-effects panel econometrics (fixest-exact, WebAssembly kernels)

Usage: absorb <command> [options]      (absorb help <command> or absorb <command> --help for each)

Commands:
  fit      OLS with high-dimensional fixed effects:  absorb fit --data panel.csv --formula "y ~ x | firm + year"
  theil    Theil T / L and GE(α) by group, with decomposition:  absorb theil --data panel.csv --value dvar --by industry,year
  table    a regression table (md, tex, html, json) from saved fits:  absorb table fit1.json fit2.json --format tex
  demo     generate a seeded synthetic firm-year panel and fit the study's baseline model on it
  sql      the out-of-core fit as SQL scripts for Spark, BigQuery, ClickHouse or DuckDB:  absorb sql --dialect spark --table db.panel --formula "y ~ x | firm + year"
  reproduce  the study end to end (8 tables, plots, planted-effect check):  absorb reproduce --out tables

Global: --json prints one JSON object (errors too, as {"error": {"kind", "message"}}).`;

type Command = (argv: string[]) => Promise<{ stdout: string; status?: number }>;
// Each command's module is loaded only when it runs: `absorb --help` or `absorb table` need not load
// the estimators, the study generator or DuckDB.
const COMMANDS: Record<string, () => Promise<Command>> = {
  fit: async () => (await import("./fit.js")).runFit,
  theil: async () => (await import("./theil.js")).runTheil,
  table: async () => (await import("./table.js")).runTable,
  demo: async () => (await import("./demo.js")).runDemo,
  reproduce: async () => (await import("./reproduce.js")).runReproduce,
  sql: async () => (await import("./sql.js")).runSql,
};

/** Runs the CLI; returns the exit status (0 ok, 2 invalid input, 1 estimation failure). */
export async function main(argv: string[]): Promise<number> {
  // `absorb help fit` is `absorb fit --help`.
  const [command, ...rest] = argv[0] === "help" && argv.length > 1 ? [argv[1], "--help"] : argv;
  const json = rest.includes("--json");
  try {
    if (command === undefined || command === "--help" || command === "-h" || command === "help") {
      process.stdout.write(HELP + "\n");
      return 0;
    }
    if (command === "--version") {
      process.stdout.write(VERSION + "\n");
      return 0;
    }
    const load = COMMANDS[command];
    if (!load) throw new InputError("option", `unknown command "${command}"; commands: ${Object.keys(COMMANDS).join(", ")} (absorb --help)`);
    const out = await (await load())(rest).finally(Progress.endAll);
    process.stdout.write(out.stdout + "\n");
    return out.status ?? 0;
  } catch (err) {
    const kind = err instanceof AbsorbError ? err.kind : "internal";
    const message = err instanceof Error ? err.message : String(err);
    process.stderr.write(`absorb: error: ${message}\n`);
    if (json) process.stdout.write(JSON.stringify({ error: { kind, message } }) + "\n");
    return exitCodeFor(err);
  } finally {
    await shutdownPool();
  }
}
