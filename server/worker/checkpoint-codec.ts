/**
 * A checkpoint file: a JSON header with the typed arrays cut out into one binary section, so noise tensors
 * (hundreds of thousands of floats at real scale) round-trip bit-exactly and compactly, and optimizer state
 * (plain numbers) stays readable. Layout: "DNOCKPT1" · u32 header length · header JSON · array bytes.
 */
const MAGIC = "DNOCKPT1";

type ArrayKind = "f32" | "f64";
interface ArrayRef {
  $array: ArrayKind;
  offset: number;
  length: number;
}

function isArrayRef(value: unknown): value is ArrayRef {
  return typeof value === "object" && value !== null && "$array" in value && "offset" in value;
}

export function encodeCheckpoint(value: unknown): Uint8Array {
  const chunks: Uint8Array[] = [];
  let size = 0;
  const header = JSON.stringify(value, (_key, item: unknown) => {
    if (item instanceof Float32Array || item instanceof Float64Array) {
      const kind: ArrayKind = item instanceof Float32Array ? "f32" : "f64";
      // Keep every array 8-byte aligned so decoding can view the bytes without copying element by element.
      const padding = (8 - (size % 8)) % 8;
      if (padding > 0) {
        chunks.push(new Uint8Array(padding));
        size += padding;
      }
      const bytes = new Uint8Array(item.buffer, item.byteOffset, item.byteLength).slice();
      const ref: ArrayRef = { $array: kind, offset: size, length: item.length };
      chunks.push(bytes);
      size += bytes.byteLength;
      return ref;
    }
    return item;
  });
  const headerBytes = new TextEncoder().encode(header);
  const out = new Uint8Array(MAGIC.length + 4 + headerBytes.length + size);
  out.set(new TextEncoder().encode(MAGIC), 0);
  new DataView(out.buffer).setUint32(MAGIC.length, headerBytes.length, true);
  out.set(headerBytes, MAGIC.length + 4);
  let offset = MAGIC.length + 4 + headerBytes.length;
  for (const chunk of chunks) {
    out.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return out;
}

export function decodeCheckpoint(bytes: Uint8Array): unknown {
  const magic = new TextDecoder().decode(bytes.subarray(0, MAGIC.length));
  if (magic !== MAGIC) {
    throw new Error(
      "This file is not a DNO Studio checkpoint (wrong signature); the run cannot resume from it.",
    );
  }
  const view = new DataView(bytes.buffer, bytes.byteOffset, bytes.byteLength);
  const headerLength = view.getUint32(MAGIC.length, true);
  const headerStart = MAGIC.length + 4;
  const header = new TextDecoder().decode(bytes.subarray(headerStart, headerStart + headerLength));
  const body = bytes.subarray(headerStart + headerLength);
  return JSON.parse(header, (_key, item: unknown) => {
    if (!isArrayRef(item)) return item;
    const width = item.$array === "f32" ? 4 : 8;
    const slice = body.slice(item.offset, item.offset + item.length * width);
    if (slice.byteLength !== item.length * width) throw new Error("The checkpoint file is truncated.");
    return item.$array === "f32" ? new Float32Array(slice.buffer) : new Float64Array(slice.buffer);
  });
}
