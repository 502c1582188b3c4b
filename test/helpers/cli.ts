import { spawnSync } from "node:child_process";
import { join } from "node:path";
import { packageRoot } from "../../src/core/package-root.js";

export interface CliRun {
  status: number;
  stdout: string;
  stderr: string;
}

/** Runs the built `absorb` command (npm test builds it first), as a user would. */
export function absorb(args: string[], options: { timeout?: number } = {}): CliRun {
  const r = spawnSync(process.execPath, [join(packageRoot, "bin", "absorb.js"), ...args], {
    encoding: "utf8",
    timeout: options.timeout ?? 120_000,
    maxBuffer: 64 * 1024 * 1024,
  });
  return { status: r.status ?? -1, stdout: r.stdout, stderr: r.stderr };
}

export function absorbJson(args: string[]): { status: number; json: any; stderr: string } {
  const r = absorb([...args, "--json"]);
  return { status: r.status, json: JSON.parse(r.stdout), stderr: r.stderr };
}
