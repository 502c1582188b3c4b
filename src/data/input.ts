import { Table } from "apache-arrow";
import type { Frame } from "./frame.js";
import { frameFromArrow, frameFromRecord, type RecordInput } from "./readers/arrow.js";

/** What the API accepts as data: an Arrow table, a Frame, or a record of columns. */
export type DataInput = Table | Frame | RecordInput;

export function toFrame(data: DataInput): Frame {
  if (data instanceof Table) return frameFromArrow(data);
  if (isFrame(data)) return data;
  return frameFromRecord(data as RecordInput);
}

function isFrame(data: unknown): data is Frame {
  return typeof data === "object" && data !== null && (data as Frame).columns instanceof Map && typeof (data as Frame).nrows === "number";
}
