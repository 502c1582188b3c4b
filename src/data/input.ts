import type { Table } from "apache-arrow";
import type { Frame } from "./frame.js";
import { frameFromArrow, frameFromRecord, type RecordInput } from "./readers/arrow.js";

/** What the API accepts as data: an Arrow table, a Frame, or a record of columns. */
export type DataInput = Table | Frame | RecordInput;

export function toFrame(data: DataInput): Frame {
  if (isArrowTable(data)) return frameFromArrow(data);
  if (isFrame(data)) return data;
  return frameFromRecord(data as RecordInput);
}

/**
 * The mark apache-arrow sets on every Table's prototype, the one its own `instanceof Table` and
 * `isArrowTable` test (so tables of any copy of the library pass). Tested here rather than
 * through them so that data that is not Arrow never loads the library.
 */
const ARROW_TABLE = Symbol.for("apache-arrow/Table");

function isArrowTable(data: unknown): data is Table {
  return typeof data === "object" && data !== null && (data as { [ARROW_TABLE]?: unknown })[ARROW_TABLE] === true;
}

function isFrame(data: unknown): data is Frame {
  return typeof data === "object" && data !== null && (data as Frame).columns instanceof Map && typeof (data as Frame).nrows === "number";
}
