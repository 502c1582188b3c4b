/**
 * An Arrow IPC stream cut at a batch boundary is still a valid prefix: apache-arrow reads the
 * batches before the cut and reports nothing. Every writer (arrow-js, pyarrow, R's arrow) ends
 * a stream with an end-of-stream marker, and an IPC file ends with its footer and magic, so a
 * file without them is refused as possibly truncated. The stream is walked message by message
 * (metadata length, then the body length read from the flatbuffer Message), so a marker-like
 * pattern inside a body cannot pass for the end.
 */
const MAGIC = "ARROW1";
const CONTINUATION = 0xffffffff;

/** Why the bytes are not a complete IPC file or stream, or null when they are. */
export function ipcIncompleteness(bytes: Uint8Array): string | null {
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const text = (start: number) => String.fromCharCode(...bytes.subarray(start, start + MAGIC.length));
  if (bytes.length >= MAGIC.length && text(0) === MAGIC) {
    return bytes.length >= 2 * MAGIC.length && text(bytes.length - MAGIC.length) === MAGIC
      ? null
      : "an Arrow IPC file without its closing footer (truncated?)";
  }
  let pos = 0;
  for (;;) {
    if (pos === bytes.length) return "an Arrow IPC stream without its end-of-stream marker (truncated?)";
    if (pos + 4 > bytes.length) return "an Arrow IPC stream cut inside a message header";
    const first = view.getUint32(pos, true);
    const header = first === CONTINUATION ? 8 : 4;
    if (pos + header > bytes.length) return "an Arrow IPC stream cut inside a message header";
    const length = first === CONTINUATION ? view.getInt32(pos + 4, true) : first;
    if (length === 0) return null;
    const metadata = pos + header;
    if (length < 0 || metadata + length > bytes.length) return "an Arrow IPC stream cut inside a message";
    const end = metadata + length + bodyLength(view, metadata);
    if (end > bytes.length) return "an Arrow IPC stream cut inside a record batch";
    pos = end;
  }
}

/** Field 3 (bodyLength: long) of the flatbuffer Message table at `start`; 0 when absent. */
function bodyLength(view: DataView, start: number): number {
  const table = start + view.getUint32(start, true);
  const vtable = table - view.getInt32(table, true);
  const vtableSize = view.getUint16(vtable, true);
  const slot = 4 + 3 * 2;
  if (slot + 2 > vtableSize) return 0;
  const offset = view.getUint16(vtable + slot, true);
  return offset === 0 ? 0 : Number(view.getBigInt64(table + offset, true));
}
