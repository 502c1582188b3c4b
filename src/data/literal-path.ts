/**
 * DuckDB reads a file name as a pattern: `*`, `?` and `[` glob, a leading `~` is the home
 * folder, and a scheme (http://, s3://) picks a remote file system. absorb takes `--data` as a
 * file name, literally: the caller has already checked that the file exists as written; here it
 * is made absolute (so neither `~` nor a scheme can lead it) and, when it holds a glob
 * character, reached through a symlink with a plain name in a fresh private folder.
 */
import { mkdtemp, rm, symlink } from "node:fs/promises";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { removeOnExit } from "./cleanup.js";

const GLOB_CHARACTERS = /[*?[]/;

/** Runs `read` with a name DuckDB reads as exactly the file at `path`; `suffix` is the name's type (".csv.gz"). */
export async function withLiteralPath<T>(path: string, suffix: string, read: (literal: string) => Promise<T>): Promise<T> {
  const absolute = resolve(path);
  if (!GLOB_CHARACTERS.test(absolute)) return read(absolute);
  const dir = await mkdtemp(join(tmpdir(), "absorb-read-"));
  const forget = removeOnExit(dir);
  try {
    const alias = join(dir, `data${suffix}`);
    await symlink(absolute, alias);
    return await read(alias);
  } finally {
    await rm(dir, { recursive: true, force: true });
    forget();
  }
}
