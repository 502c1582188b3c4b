/**
 * Writes a Frame as CSV: a header line, then one line per row, "\n" line ends.
 * Numeric values use JavaScript's shortest round-trip number-to-string (so parsing the text gives
 * back the identical float64); NaN (missing) is an empty field. Categorical values are their level
 * text, code -1 (missing) an empty field. A field is quoted ("" doubling quotes) only when it holds
 * a comma, a quote or a line break, or is an empty level (to keep it apart from missing).
 * Paths ending in ".gz" are gzip-compressed on the fly. Output is streamed in row blocks, so
 * memory stays bounded whatever the row count.
 */
import { createWriteStream } from "node:fs";
import { Readable } from "node:stream";
import { pipeline } from "node:stream/promises";
import { createGzip } from "node:zlib";
import type { Frame } from "../frame.js";

const ROWS_PER_CHUNK = 16384;
/** Longest text JavaScript gives a float64 ("-2.2250738585072014e-308" is 24 characters). */
const MAX_NUMBER_CHARS = 25;
const COMMA = 44;
const NEWLINE = 10;
const encoder = new TextEncoder();

function csvField(text: string): string {
  if (text === "") return '""';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

/** Writes the decimal digits of a non-negative safe integer at `pos`; returns the new position. */
function writeUint(buf: Uint8Array, pos: number, x: number): number {
  if (x < 10) {
    buf[pos] = 48 + x;
    return pos + 1;
  }
  let digits = 1;
  for (let p = 10; p <= x; p *= 10) digits++;
  const end = pos + digits;
  for (let i = end - 1; i >= pos; i--) {
    const q = Math.floor(x / 10);
    buf[i] = 48 + (x - q * 10);
    x = q;
  }
  return end;
}

/** Writes the round-trip text of a finite number at `pos` (ASCII only); returns the new position. */
function writeNumber(buf: Uint8Array, pos: number, x: number): number {
  if (Number.isInteger(x) && Math.abs(x) < 1e15) {
    if (x < 0) {
      buf[pos++] = 45; // "-"
      return writeUint(buf, pos, -x);
    }
    return writeUint(buf, pos, x); // -0 writes "0", as String(-0) does
  }
  const text = String(x);
  for (let i = 0; i < text.length; i++) buf[pos + i] = text.charCodeAt(i);
  return pos + text.length;
}

function* csvChunks(frame: Frame): Generator<Uint8Array> {
  const names = [...frame.columns.keys()];
  const cols = [...frame.columns.values()];
  const ncol = cols.length;
  yield encoder.encode(names.map(csvField).join(",") + "\n");
  const n = frame.nrows;
  if (ncol === 0) {
    // Zero columns: one empty line per row keeps the row count.
    for (let start = 0; start < n; start += ROWS_PER_CHUNK) {
      yield new Uint8Array(Math.min(ROWS_PER_CHUNK, n - start)).fill(NEWLINE);
    }
    return;
  }
  const numeric: (Float64Array | null)[] = [];
  const codes: (Int32Array | null)[] = [];
  const levelBytes: Uint8Array[][] = [];
  let maxRowBytes = 0;
  for (const c of cols) {
    if (c.kind === "numeric") {
      numeric.push(c.values);
      codes.push(null);
      levelBytes.push([]);
      maxRowBytes += MAX_NUMBER_CHARS + 1;
    } else {
      numeric.push(null);
      codes.push(c.codes);
      const enc = c.levels.map((l) => encoder.encode(csvField(l)));
      levelBytes.push(enc);
      maxRowBytes += enc.reduce((m, e) => Math.max(m, e.length), 0) + 1;
    }
  }
  const rowsPerChunk = Math.max(1, Math.min(ROWS_PER_CHUNK, Math.floor((8 << 20) / maxRowBytes)));
  for (let start = 0; start < n; start += rowsPerChunk) {
    const end = Math.min(n, start + rowsPerChunk);
    // A fresh buffer per chunk: the stream may still hold the previous one.
    const buf = new Uint8Array((end - start) * maxRowBytes);
    let pos = 0;
    for (let r = start; r < end; r++) {
      for (let j = 0; j < ncol; j++) {
        if (j > 0) buf[pos++] = COMMA;
        const v = numeric[j];
        if (v !== null) {
          const x = v[r]!;
          if (x === x) pos = writeNumber(buf, pos, x);
        } else {
          const code = codes[j]![r]!;
          if (code >= 0) {
            const bytes = levelBytes[j]![code]!;
            buf.set(bytes, pos);
            pos += bytes.length;
          }
        }
      }
      buf[pos++] = NEWLINE;
    }
    yield buf.subarray(0, pos);
  }
}

export interface WriteCsvOptions {
  /** zlib compression level 0-9 for ".gz" output (default: zlib's default, 6). */
  gzipLevel?: number;
}

/** Writes `frame` to `path` as CSV (gzip-compressed when the path ends in ".gz"). */
export async function writeCsv(frame: Frame, path: string, options: WriteCsvOptions = {}): Promise<void> {
  const source = Readable.from(csvChunks(frame), { objectMode: false, highWaterMark: 32 << 20 });
  const sink = createWriteStream(path);
  if (path.toLowerCase().endsWith(".gz")) {
    const level = options.gzipLevel;
    await pipeline(source, createGzip(level === undefined ? {} : { level }), sink);
  } else {
    await pipeline(source, sink);
  }
}
