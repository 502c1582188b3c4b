/**
 * Temporary files and folders that must not outlive the process, even when it is interrupted:
 * Node's default Ctrl-C (SIGINT) or SIGTERM ends the process without running `finally` blocks or
 * 'exit' handlers, so while any such path is registered absorb handles those signals itself,
 * removes the paths, and then ends with the same signal.
 */
import { rmSync } from "node:fs";

const pending = new Set<string>();
const SIGNALS = ["SIGINT", "SIGTERM", "SIGHUP"] as const;

function removeAll(): void {
  for (const path of pending) rmSync(path, { recursive: true, force: true });
  pending.clear();
}

function onSignal(signal: NodeJS.Signals): void {
  removeAll();
  uninstall();
  process.kill(process.pid, signal);
}

function install(): void {
  for (const s of SIGNALS) process.on(s, onSignal);
  process.on("exit", removeAll);
}

function uninstall(): void {
  for (const s of SIGNALS) process.off(s, onSignal);
  process.off("exit", removeAll);
}

/** Registers `path` for removal if the process ends early; returns the function that unregisters it. */
export function removeOnExit(path: string): () => void {
  if (pending.size === 0) install();
  pending.add(path);
  return () => {
    if (!pending.delete(path)) return;
    if (pending.size === 0) uninstall();
  };
}
