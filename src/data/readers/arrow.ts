/**
 * Frames from Apache Arrow tables and from plain JS records. Arrow buffers are read directly
 * (one copy into the Frame's arrays), and text is decoded once per distinct value, never once
 * per row. A table brings its own accessors and type predicates, so reading one loads none of
 * apache-arrow (about 0.1 s to load, needed only to build tables: writers/arrow.ts).
 */
import type { Data, DataType, Table, Vector } from "apache-arrow";
import { InputError } from "../../core/errors.js";
import type { CategoricalColumn, Column, Frame, NumericColumn } from "../frame.js";

type NumberArray =
  | Int8Array
  | Uint8Array
  | Int16Array
  | Uint16Array
  | Int32Array
  | Uint32Array
  | Float32Array
  | Float64Array;

/** One column of plain JS input: numbers (or booleans) for numeric, strings for categorical. */
export type RecordColumn = ArrayLike<number | string | boolean | null | undefined>;

/** Plain JS input: named columns of one length. */
export type RecordInput = Readonly<Record<string, RecordColumn>>;



/** Assigns dense codes to text values in order of first appearance. */
class Codebook {
  readonly levels: string[] = [];
  private readonly index = new Map<string, number>();

  code(level: string): number {
    let code = this.index.get(level);
    if (code === undefined) {
      code = this.levels.length;
      this.levels.push(level);
      this.index.set(level, code);
    }
    return code;
  }
}

/** A Frame of every column of `table`: numeric types as float64, everything else categorical. */
export function frameFromArrow(table: Table): Frame {
  const columns = new Map<string, Column>();
  table.schema.fields.forEach((field, i) => {
    columns.set(field.name, columnFromArrow(table.getChildAt(i)!, table.numRows));
  });
  return { nrows: table.numRows, columns };
}

function columnFromArrow(vector: Vector, nrows: number): Column {
  const type = vector.type as DataType;
  const is = typeClassOf(type);
  if (isNumericType(type)) {
    const values = new Float64Array(nrows);
    // Half floats are stored as 16-bit words, which only the column's accessor turns into numbers.
    if (is.isFloat(type) && type.ArrayType === Uint16Array) {
      for (let i = 0; i < nrows; i++) values[i] = vector.get(i) ?? NaN;
    } else {
      let offset = 0;
      for (const data of vector.data) {
        copyNumeric(data, values, offset);
        offset += data.length;
      }
    }
    // 64-bit ids beyond 2^53 would merge as float64: they are kept as their exact decimal text.
    if (!(is.isInt(type) && type.bitWidth === 64 && values.some((x) => Math.abs(x) >= 2 ** 53))) return { kind: "numeric", values };
  }
  const codes = new Int32Array(nrows);
  const encoder: ChunkEncoder = is.isDictionary(type)
    ? new DictionaryEncoder()
    : is.isUtf8(type)
      ? new Utf8Encoder()
      : new GenericEncoder(vector);
  let offset = 0;
  for (const data of vector.data) {
    encoder.encode(data, codes, offset);
    offset += data.length;
  }
  return { kind: "categorical", codes, levels: encoder.levels };
}

/** Turns a column's chunks, one after another, into codes into one growing list of levels. */
interface ChunkEncoder {
  readonly levels: readonly string[];
  encode(data: Data, codes: Int32Array, offset: number): void;
}

/**
 * apache-arrow's DataType class, reached through `type`'s own class, which inherits its static
 * predicates (isInt, isUtf8, …): importing them from apache-arrow/type would load 58 of the
 * library's modules (~30 ms) at every start, whether the data is Arrow or not.
 */
function typeClassOf(type: DataType): typeof DataType {
  return type.constructor as typeof DataType;
}

function isNumericType(type: DataType): boolean {
  const is = typeClassOf(type);
  return is.isInt(type) || is.isFloat(type) || is.isDecimal(type) || is.isBool(type);
}

/** Validity of row `i` of `data` (the bitmap is never sliced, so it is indexed from data.offset). */
function validityOf(data: Data): ((i: number) => boolean) | null {
  const bitmap = data.nullBitmap;
  if (data.nullCount <= 0 || !bitmap || bitmap.length === 0) return null;
  const start = data.offset;
  return (i) => ((bitmap[(start + i) >> 3] >> ((start + i) & 7)) & 1) === 1;
}

/** Writes one chunk of a numeric Arrow column (not half floats) into `out` at `offset`, nulls as NaN. */
function copyNumeric(data: Data, out: Float64Array, offset: number): void {
  const type = data.type as DataType;
  const is = typeClassOf(type);
  const n = data.length;
  // Fixed-width value buffers are already sliced to the chunk; bits (Bool) are not.
  if (is.isBool(type)) {
    const bits = data.values as Uint8Array;
    const start = data.offset;
    for (let i = 0; i < n; i++) out[offset + i] = (bits[(start + i) >> 3] >> ((start + i) & 7)) & 1;
  } else if (is.isDecimal(type)) {
    copyDecimal(data.values as Uint32Array, type.bitWidth / 32, type.scale, n, out, offset);
  } else if (is.isInt(type) && type.bitWidth === 64) {
    const values = data.values as BigInt64Array | BigUint64Array;
    // Read 64-bit integers as two 32-bit halves: no BigInt per value, exact below 2^53.
    const lo = new Uint32Array(values.buffer, values.byteOffset, 2 * n);
    const hi = type.isSigned ? new Int32Array(values.buffer, values.byteOffset, 2 * n) : lo;
    for (let i = 0; i < n; i++) out[offset + i] = hi[2 * i + 1] * 4294967296 + lo[2 * i];
  } else {
    out.set((data.values as NumberArray).subarray(0, n), offset);
  }
  const valid = validityOf(data);
  if (valid) for (let i = 0; i < n; i++) if (!valid(i)) out[offset + i] = NaN;
}

/** Decimal values are little-endian two's-complement integers of `words` 32-bit words. */
function copyDecimal(
  values: Uint32Array,
  words: number,
  scale: number,
  n: number,
  out: Float64Array,
  offset: number,
): void {
  const divisor = 10 ** scale;
  for (let i = 0; i < n; i++) {
    const base = i * words;
    const negative = (values[base + words - 1] & 0x80000000) !== 0;
    // Negate negative values word by word first: summing the raw two's complement in
    // float64 would cancel catastrophically.
    let magnitude = 0;
    let weight = 1;
    let carry = negative ? 1 : 0;
    for (let k = 0; k < words; k++) {
      let word = values[base + k];
      if (negative) {
        word = (~word >>> 0) + carry;
        carry = word > 0xffffffff ? 1 : 0;
        word >>>= 0;
      }
      magnitude += word * weight;
      weight *= 4294967296;
    }
    out[offset + i] = (negative ? -magnitude : magnitude) / divisor;
  }
}

/**
 * Maps each batch's dictionary indices onto one codebook. Batches may carry different
 * dictionaries; entries get a code only when a row first uses them, so codes stay dense
 * and in order of first appearance, as for every other source.
 */
class DictionaryEncoder implements ChunkEncoder {
  private readonly book = new Codebook();
  private dictionary: Vector | undefined;
  private local = new Int32Array(0);

  get levels(): readonly string[] {
    return this.book.levels;
  }

  encode(data: Data, codes: Int32Array, offset: number): void {
    if (data.dictionary !== this.dictionary) {
      this.dictionary = data.dictionary;
      this.local = new Int32Array(data.dictionary?.length ?? 0).fill(UNSEEN);
    }
    const dictionary = data.dictionary!;
    const indices = dictionaryIndices(data);
    const valid = validityOf(data);
    for (let i = 0; i < data.length; i++) {
      if (valid && !valid(i)) {
        codes[offset + i] = -1;
        continue;
      }
      const k = indices[i];
      let code = this.local[k];
      if (code === UNSEEN) {
        const level: unknown = dictionary.get(k);
        code = level == null ? -1 : this.book.code(levelText(dictionary.type as DataType, level));
        this.local[k] = code;
      }
      codes[offset + i] = code;
    }
  }
}

const UNSEEN = -2;

/** Dictionary indices as numbers; 64-bit indices are read by their low word. */
function dictionaryIndices(data: Data): ArrayLike<number> {
  const values = data.values as NumberArray | BigInt64Array | BigUint64Array;
  if (values instanceof BigInt64Array || values instanceof BigUint64Array) {
    const words = new Uint32Array(values.buffer, values.byteOffset, 2 * data.length);
    const low = new Uint32Array(data.length);
    for (let i = 0; i < data.length; i++) low[i] = words[2 * i];
    return low;
  }
  return values;
}

/**
 * Encodes Utf8 chunks without making a JS string per row: rows are looked up by their bytes
 * in an open-addressing hash table, and a value is decoded only the first time it is seen.
 */
class Utf8Encoder implements ChunkEncoder {
  readonly levels: string[] = [];
  /** The bytes of every level, back to back; level k is arena[starts[k] .. starts[k] + lengths[k]). */
  private arena = new Uint8Array(4096);
  private arenaUsed = 0;
  private readonly starts: number[] = [];
  private readonly lengths: number[] = [];
  private readonly hashes: number[] = [];
  /** Level per slot, -1 for empty; kept at most half full. */
  private slots = new Int32Array(256).fill(-1);

  encode(data: Data, codes: Int32Array, offset: number): void {
    const ends = data.valueOffsets as Int32Array;
    const bytes = data.values as Uint8Array;
    const valid = validityOf(data);
    for (let i = 0; i < data.length; i++) {
      codes[offset + i] = valid && !valid(i) ? -1 : this.code(bytes, ends[i], ends[i + 1]);
    }
  }

  private code(bytes: Uint8Array, start: number, end: number): number {
    let hash = 0x811c9dc5 | 0; // FNV-1a
    for (let p = start; p < end; p++) hash = Math.imul(hash ^ bytes[p], 0x01000193);
    const slot = this.find(hash, bytes, start, end);
    if (this.slots[slot] >= 0) return this.slots[slot];
    const level = this.add(bytes, start, end, hash);
    if (2 * this.levels.length > this.slots.length) this.rehash();
    else this.slots[slot] = level;
    return level;
  }

  /** The slot holding these bytes, or the empty slot where they belong. */
  private find(hash: number, bytes: Uint8Array, start: number, end: number): number {
    const mask = this.slots.length - 1;
    for (let slot = hash & mask; ; slot = (slot + 1) & mask) {
      const level = this.slots[slot];
      if (level < 0 || (this.hashes[level] === hash && this.holds(level, bytes, start, end))) return slot;
    }
  }

  private holds(level: number, bytes: Uint8Array, start: number, end: number): boolean {
    if (this.lengths[level] !== end - start) return false;
    const base = this.starts[level] - start;
    for (let p = start; p < end; p++) if (this.arena[base + p] !== bytes[p]) return false;
    return true;
  }

  private add(bytes: Uint8Array, start: number, end: number, hash: number): number {
    const length = end - start;
    if (this.arenaUsed + length > this.arena.length) {
      const grown = new Uint8Array(Math.max(2 * this.arena.length, this.arenaUsed + length));
      grown.set(this.arena.subarray(0, this.arenaUsed));
      this.arena = grown;
    }
    this.arena.set(bytes.subarray(start, end), this.arenaUsed);
    this.starts.push(this.arenaUsed);
    this.lengths.push(length);
    this.hashes.push(hash);
    this.arenaUsed += length;
    this.levels.push(Buffer.from(bytes.buffer, bytes.byteOffset + start, length).toString("utf8"));
    return this.levels.length - 1;
  }

  /** Doubles the table; every level is distinct, so each goes to the first empty slot. */
  private rehash(): void {
    this.slots = new Int32Array(2 * this.slots.length).fill(-1);
    const mask = this.slots.length - 1;
    for (let level = 0; level < this.levels.length; level++) {
      let slot = this.hashes[level] & mask;
      while (this.slots[slot] >= 0) slot = (slot + 1) & mask;
      this.slots[slot] = level;
    }
  }
}

/** Any other type (large or view strings, dates, …) becomes text through the column's own accessor. */
class GenericEncoder implements ChunkEncoder {
  private readonly book = new Codebook();

  constructor(private readonly column: Vector) {}

  get levels(): readonly string[] {
    return this.book.levels;
  }

  encode(data: Data, codes: Int32Array, offset: number): void {
    const type = data.type as DataType;
    for (let i = 0; i < data.length; i++) {
      const value: unknown = this.column.get(offset + i);
      codes[offset + i] = value == null ? -1 : this.book.code(levelText(type, value));
    }
  }
}

/** Arrow hands dates and timestamps out as epoch milliseconds; write them as DuckDB does. */
function levelText(type: DataType, value: unknown): string {
  const is = typeClassOf(type);
  if (typeof value === "number" && is.isDate(type)) return new Date(value).toISOString().slice(0, 10);
  if (typeof value === "number" && is.isTimestamp(type)) {
    return new Date(value).toISOString().replace("T", " ").replace(/\.?0*Z$/, "");
  }
  return String(value);
}

/** A Frame from plain JS columns; every column must have the same length. */
export function frameFromRecord(record: RecordInput): Frame {
  const entries = Object.entries(record);
  const lengths = entries.map(([name, values]) => `${name} (${values.length})`);
  if (new Set(entries.map(([, values]) => values.length)).size > 1) {
    throw new InputError("data", `columns must all have the same length, but got ${lengths.join(", ")}`);
  }
  const columns = new Map<string, Column>();
  for (const [name, values] of entries) columns.set(name, columnFromValues(name, values));
  return { nrows: entries.length > 0 ? entries[0][1].length : 0, columns };
}

function columnFromValues(name: string, values: RecordColumn): Column {
  if (ArrayBuffer.isView(values)) return { kind: "numeric", values: Float64Array.from(values as ArrayLike<number>) };
  let firstNumber = -1;
  let firstString = -1;
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    const type = typeof value;
    if (type === "number" || type === "boolean") firstNumber = firstNumber < 0 ? i : firstNumber;
    else if (type === "string") firstString = firstString < 0 ? i : firstString;
    else if (value != null) {
      throw new InputError("data", `column "${name}" holds a ${type} at row ${i + 1}; use numbers, booleans or strings`);
    }
  }
  if (firstString >= 0 && firstNumber >= 0) {
    throw new InputError(
      "data",
      `column "${name}" mixes numbers (row ${firstNumber + 1}: ${String(values[firstNumber])}) and text ` +
        `(row ${firstString + 1}: "${String(values[firstString])}"); make it all numbers or all strings`,
    );
  }
  return firstString >= 0 ? categoricalFromValues(values) : numericFromValues(values);
}

function numericFromValues(values: RecordColumn): NumericColumn {
  const out = new Float64Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    out[i] = value == null ? NaN : Number(value);
  }
  return { kind: "numeric", values: out };
}

function categoricalFromValues(values: RecordColumn): CategoricalColumn {
  const book = new Codebook();
  const codes = new Int32Array(values.length);
  for (let i = 0; i < values.length; i++) {
    const value = values[i];
    codes[i] = value == null ? -1 : book.code(value as string);
  }
  return { kind: "categorical", codes, levels: book.levels };
}
