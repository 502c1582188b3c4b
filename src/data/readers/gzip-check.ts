/**
 * A gzip file cut short can still decompress to whole lines (DuckDB then reads the rows before
 * the cut and reports nothing). Each gzip member ends with a CRC-32 and the length of its data,
 * so decompressing the whole file once, output discarded, is the check: zlib fails on a missing
 * or wrong trailer and on a stream that stops mid-member. It runs on libuv's thread pool, beside
 * DuckDB's own read.
 */
import { createReadStream } from "node:fs";
import { Writable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGunzip } from "node:zlib";
import { InputError } from "../../core/errors.js";

export async function verifyGzip(path: string): Promise<void> {
  const discard = new Writable({ write: (_chunk, _encoding, done) => done() });
  try {
    await pipeline(createReadStream(path), createGunzip(), discard);
  } catch (err) {
    throw new InputError(
      "file",
      `cannot read "${path}": it is not a complete gzip file (${(err as Error).message}); it may be truncated or corrupt: copy or compress it again`,
    );
  }
}
