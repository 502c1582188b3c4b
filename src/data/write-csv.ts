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
import type { Frame } from "./frame.js";

const ROWS_PER_CHUNK = 16384;

function csvField(text: string): string {
  if (text === "") return '""';
  return /[",\r\n]/.test(text) ? `"${text.replace(/"/g, '""')}"` : text;
}

function* csvChunks(frame: Frame): Generator<string> {
  const names = [...frame.columns.keys()];
  const cols = [...frame.columns.values()];
  const ncol = cols.length;
  yield names.map(csvField).join(",") + "\n";
  if (ncol === 0) {
    // Zero columns: one empty line per row keeps the row count.
    for (let start = 0; start < frame.nrows; start += ROWS_PER_CHUNK) {
      yield "\n".repeat(Math.min(ROWS_PER_CHUNK, frame.nrows - start));
    }
    return;
  }
  const numeric: (Float64Array | null)[] = [];
  const codes: (Int32Array | null)[] = [];
  const levelText: string[][] = [];
  for (const c of cols) {
    if (c.kind === "numeric") {
      numeric.push(c.values);
      codes.push(null);
      levelText.push([]);
    } else {
      numeric.push(null);
      codes.push(c.codes);
      levelText.push(c.levels.map(csvField));
    }
  }
  const n = frame.nrows;
  for (let start = 0; start < n; start += ROWS_PER_CHUNK) {
    const end = Math.min(n, start + ROWS_PER_CHUNK);
    const lines: string[] = new Array<string>(end - start);
    for (let r = start; r < end; r++) {
      let line = "";
      for (let j = 0; j < ncol; j++) {
        if (j > 0) line += ",";
        const v = numeric[j];
        if (v !== null) {
          const x = v[r]!;
          if (x === x) line += String(x);
        } else {
          const code = codes[j]![r]!;
          if (code >= 0) line += levelText[j]![code]!;
        }
      }
      lines[r - start] = line;
    }
    yield lines.join("\n") + "\n";
  }
}

export interface WriteCsvOptions {
  /** zlib compression level 0-9 for ".gz" output (default: zlib's default, 6). */
  gzipLevel?: number;
}

/** Writes `frame` to `path` as CSV (gzip-compressed when the path ends in ".gz"). */
export async function writeCsv(frame: Frame, path: string, options: WriteCsvOptions = {}): Promise<void> {
  const source = Readable.from(csvChunks(frame), { objectMode: false });
  const sink = createWriteStream(path);
  if (path.toLowerCase().endsWith(".gz")) {
    const level = options.gzipLevel;
    await pipeline(source, createGzip(level === undefined ? {} : { level }), sink);
  } else {
    await pipeline(source, sink);
  }
}
