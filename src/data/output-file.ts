/**
 * Writing an output file so that it never destroys anything: the content goes to a temporary
 * file in the output's own folder (same file system, so the rename is atomic), which then
 * replaces the output. A reader sees the old file or the new one, never half of one; an
 * interrupted write leaves the old file as it was (and the temporary one is removed, see
 * cleanup.ts); an output that is a symlink is replaced, never written through; and an output
 * that is one of the command's inputs (by name, hard link or symlink) is refused.
 */
import { randomBytes } from "node:crypto";
import { rename, rm, stat } from "node:fs/promises";
import { basename, dirname, join, resolve } from "node:path";
import { InputError } from "../core/errors.js";
import { removeOnExit } from "./cleanup.js";

export interface OutputOptions {
  /** Files the command reads: the output must not be one of them. */
  readonly inputs?: readonly string[];
}

/**
 * Calls `write` with a temporary path beside `path` (ending like `path`, so its type shows),
 * then renames it to `path`. A failure removes the temporary file and leaves `path` untouched.
 */
export async function writeAtomically(path: string, write: (temp: string) => Promise<void>, options: OutputOptions = {}): Promise<void> {
  await refuseInputs(path, options.inputs ?? []);
  const target = resolve(path);
  const temp = join(dirname(target), `.absorb-${process.pid}-${randomBytes(4).toString("hex")}-${basename(target)}`);
  const forget = removeOnExit(temp);
  try {
    await write(temp);
    await rename(temp, target);
  } catch (err) {
    await rm(temp, { force: true, recursive: true });
    throw err;
  } finally {
    forget();
  }
}

/** Refuses an output that is one of `inputs`: the same name, or the same file reached another way. */
export async function refuseInputs(path: string, inputs: readonly string[]): Promise<void> {
  const out = await identity(path);
  for (const input of inputs) {
    const same = resolve(input) === resolve(path) || (out !== null && out === (await identity(input)));
    if (same) {
      throw new InputError("option", `the output "${path}" is the input "${input}": writing it would destroy the input; choose another output name`);
    }
  }
}

/** Device and inode of the file `path` leads to (through symlinks), or null when there is none. */
async function identity(path: string): Promise<string | null> {
  try {
    const s = await stat(path);
    return `${s.dev}:${s.ino}`;
  } catch {
    return null;
  }
}
