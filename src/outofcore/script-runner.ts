/**
 * Scripts (script.ts) rendered by a dialect, either run through a SQL session (an engine the
 * absorb process talks to) or printed for the user to run (a warehouse it cannot reach).
 */
import type { Dialect } from "./duckdb-dialect.js";
import type { Step } from "./script.js";

/** What running a script needs of an engine: statements, and queries whose columns are all doubles. */
export interface SqlSession {
  execute(sql: string): Promise<void>;
  rows(sql: string, columns: readonly string[]): Promise<number[][]>;
}

export const SINGLETONS_LEFT = "singletons_left";

/** Runs the steps, adding each result's rows to `results`; singleton rounds repeat until none is left. */
export async function runSteps(session: SqlSession, dialect: Dialect, steps: readonly Step[], results: Record<string, number[][]>): Promise<void> {
  for (const step of steps) {
    if (step.kind === "run") {
      for (const sql of dialect.statement(step.statement)) await session.execute(sql);
    } else if (step.kind === "result") {
      results[step.name] = await session.rows(dialect.query(step.query), step.query.select.map((s) => s.as));
    } else {
      const left = async (): Promise<number> => (await session.rows(dialect.query(step.check), step.check.select.map((s) => s.as)))[0][0];
      while ((await left()) > 0) for (const sql of dialect.statement(step.round)) await session.execute(sql);
      results[SINGLETONS_LEFT] = [[0]];
    }
  }
}

/** The steps as one SQL script: statements end with ";", each result query follows a "-- result: NAME" line. */
export function printSteps(dialect: Dialect, steps: readonly Step[]): string {
  const out: string[] = [];
  const result = (name: string, sql: string) => out.push(`-- result: ${name}`, `${sql};`);
  for (const step of steps) {
    if (step.kind === "run") for (const sql of dialect.statement(step.statement)) out.push(`${sql};`);
    else if (step.kind === "result") result(step.name, dialect.query(step.query));
    else {
      out.push(`-- singleton removal: ${step.rounds} rounds; "${SINGLETONS_LEFT}" must come back 0 (else print the script with more --singleton-rounds)`);
      for (let r = 0; r < step.rounds; r++) for (const sql of dialect.statement(step.round)) out.push(`${sql};`);
      result(SINGLETONS_LEFT, dialect.query(step.check));
    }
  }
  return out.join("\n") + "\n";
}

/** Splits a printed script back into statements and named result queries (for tests and tools that run printed SQL). */
export function parseScript(text: string): { sql: string; result?: string }[] {
  const out: { sql: string; result?: string }[] = [];
  let pending: string | undefined;
  for (const line of text.split("\n")) {
    const marker = /^-- result: (\S+)$/.exec(line);
    if (marker) pending = marker[1];
    else if (line.startsWith("--") || line.trim() === "") continue;
    else {
      out.push({ sql: line.replace(/;$/, ""), ...(pending ? { result: pending } : {}) });
      pending = undefined;
    }
  }
  return out;
}
