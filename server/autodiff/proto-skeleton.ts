/**
 * An ONNX file's structure without its weights, read from disk a window at a time. A ViT-L/14 scorer is a
 * 1.2 GB ModelProto whose bytes are almost all initializers' `raw_data`; checking its inputs, outputs and
 * opset, or rewriting it with external data, needs everything else (a few hundred KiB). The reader walks the
 * protobuf wire format, copies every field verbatim except an initializer's large `raw_data`, which it skips
 * (or replaces, see `replaceRawData`), and re-encodes the enclosing lengths. The result decodes with
 * `decodeModel` like any model. Memory: the skeleton plus one read window, whatever the file's size.
 */
import { type FileHandle, open } from "node:fs/promises";

/** ModelProto.graph, GraphProto.initializer, TensorProto.raw_data / external_data / data_location. */
const MODEL_GRAPH = 7;
const GRAPH_INITIALIZER = 5;
const TENSOR_RAW_DATA = 9;
const TENSOR_EXTERNAL_DATA = 13;
const TENSOR_DATA_LOCATION = 14;
const LENGTH_DELIMITED = 2;

// Small: every skipped initializer costs one refill, and a ViT-L/14 has ~400 of them.
const WINDOW_BYTES = 64 * 1024;

/** `raw_data` of at least this many bytes is left out (the onnx package's default external-data threshold). */
export const DEFAULT_ELIDE_MIN_BYTES = 1024;

export class ProtoSkeletonError extends Error {
  override name = "ProtoSkeletonError";
}

/** One initializer's `raw_data` that the skeleton left out: where its bytes lie in the file. */
export interface ElidedRawData {
  readonly offset: number;
  readonly length: number;
}

export interface ModelSkeleton {
  /** The ModelProto without the elided `raw_data` (or with their replacements). */
  readonly bytes: Uint8Array;
  /** In file order. */
  readonly elided: readonly ElidedRawData[];
  readonly fileBytes: number;
}

export interface SkeletonOptions {
  /** `raw_data` shorter than this stays in the skeleton. */
  readonly elideMinBytes?: number;
  /**
   * TensorProto fields to put where an elided `raw_data` was (e.g. external-data references); when given, the
   * tensor's own `data_location` and `external_data` fields are dropped. Called in file order.
   */
  readonly replaceRawData?: (raw: ElidedRawData) => Uint8Array;
}

class Cursor {
  private readonly window = Buffer.allocUnsafe(WINDOW_BYTES);
  private start = 0;
  private end = 0;
  pos = 0;

  constructor(
    private readonly handle: FileHandle,
    readonly size: number,
  ) {}

  private async ensure(count: number): Promise<void> {
    if (this.pos >= this.start && this.pos + count <= this.end) return;
    const { bytesRead } = await this.handle.read(this.window, 0, WINDOW_BYTES, this.pos);
    this.start = this.pos;
    this.end = this.pos + bytesRead;
    if (this.pos + count > this.end) throw new ProtoSkeletonError("the file ends in the middle of a field");
  }

  async varint(): Promise<number> {
    await this.ensure(Math.min(10, this.size - this.pos));
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      if (this.pos >= this.end) throw new ProtoSkeletonError("the file ends in the middle of a number");
      const byte = this.window[this.pos - this.start] as number;
      this.pos += 1;
      value += (byte & 0x7f) * scale;
      if ((byte & 0x80) === 0) return value;
      scale *= 128;
    }
    throw new ProtoSkeletonError("a number is longer than 10 bytes");
  }

  skip(count: number, limit: number): void {
    if (this.pos + count > limit) throw new ProtoSkeletonError("a field runs past its message");
    this.pos += count;
  }

  /** A copy of the file's bytes [from, to). */
  async range(from: number, to: number): Promise<Uint8Array> {
    const length = to - from;
    if (from >= this.start && to <= this.end) {
      return Uint8Array.prototype.slice.call(this.window, from - this.start, to - this.start);
    }
    const out = Buffer.allocUnsafe(length);
    let done = 0;
    while (done < length) {
      const { bytesRead } = await this.handle.read(out, done, length - done, from + done);
      if (bytesRead === 0) throw new ProtoSkeletonError("the file ends in the middle of a field");
      done += bytesRead;
    }
    return out;
  }
}

function varintBytes(value: number): Uint8Array {
  const out: number[] = [];
  let rest = value;
  while (rest >= 0x80) {
    out.push((rest % 128) | 0x80);
    rest = Math.floor(rest / 128);
  }
  out.push(rest);
  return Uint8Array.from(out);
}

/** A length-delimited field: tag, length, content. */
export function lengthDelimited(field: number, content: Uint8Array): Uint8Array {
  return Buffer.concat([varintBytes((field << 3) | LENGTH_DELIMITED), varintBytes(content.length), content]);
}

/** A varint field: tag, value. */
export function varintField(field: number, value: number): Uint8Array {
  return Buffer.concat([varintBytes(field << 3), varintBytes(value)]);
}

/** Skips one field's value of wire type `wire`, ending at or before `limit`. */
async function skipValue(cursor: Cursor, wire: number, limit: number): Promise<void> {
  if (wire === 0) await cursor.varint();
  else if (wire === 1) cursor.skip(8, limit);
  else if (wire === 2) cursor.skip(await cursor.varint(), limit);
  else if (wire === 5) cursor.skip(4, limit);
  else throw new ProtoSkeletonError(`unsupported protobuf wire type ${wire}`);
  if (cursor.pos > limit) throw new ProtoSkeletonError("a field runs past its message");
}

type Descend = (field: number, end: number) => Promise<Uint8Array> | undefined;

/**
 * The message in [cursor.pos, end) re-encoded: fields copied verbatim unless `descend` handles a
 * length-delimited one (returning its new content).
 */
async function message(
  cursor: Cursor,
  end: number,
  descend: Descend,
): Promise<{ parts: { field: number; bytes: Uint8Array }[] }> {
  const parts: { field: number; bytes: Uint8Array }[] = [];
  while (cursor.pos < end) {
    const fieldStart = cursor.pos;
    const tag = await cursor.varint();
    const field = Math.floor(tag / 8);
    const wire = tag % 8;
    if (field === 0) throw new ProtoSkeletonError("field number 0");
    if (wire === LENGTH_DELIMITED) {
      const length = await cursor.varint();
      const contentEnd = cursor.pos + length;
      if (contentEnd > end) throw new ProtoSkeletonError("a field runs past its message");
      const handled = descend(field, contentEnd);
      if (handled) {
        const content = await handled;
        if (cursor.pos !== contentEnd) throw new ProtoSkeletonError("a nested message has a wrong length");
        parts.push({ field, bytes: lengthDelimited(field, content) });
        continue;
      }
      cursor.pos = contentEnd;
    } else {
      await skipValue(cursor, wire, end);
    }
    parts.push({ field, bytes: await cursor.range(fieldStart, cursor.pos) });
  }
  if (cursor.pos !== end) throw new ProtoSkeletonError("a message has a wrong length");
  return { parts };
}

const concat = (parts: readonly { bytes: Uint8Array }[]) => Buffer.concat(parts.map((part) => part.bytes));

/**
 * Reads `file`'s ModelProto without the initializers' large `raw_data`. Throws ProtoSkeletonError when the
 * bytes are not a well-formed protobuf message (what is in the fields is for `decodeModel` to judge).
 */
export async function readModelSkeleton(file: string, options: SkeletonOptions = {}): Promise<ModelSkeleton> {
  const elideMin = options.elideMinBytes ?? DEFAULT_ELIDE_MIN_BYTES;
  const handle = await open(file, "r");
  try {
    const size = (await handle.stat()).size;
    const cursor = new Cursor(handle, size);
    const elided: ElidedRawData[] = [];

    const tensor = async (end: number): Promise<Uint8Array> => {
      let replaced = false;
      const { parts } = await message(cursor, end, (field, contentEnd) => {
        if (field !== TENSOR_RAW_DATA || contentEnd - cursor.pos < elideMin) return undefined;
        const raw = { offset: cursor.pos, length: contentEnd - cursor.pos };
        elided.push(raw);
        cursor.pos = contentEnd;
        if (!options.replaceRawData) return Promise.resolve(new Uint8Array(0));
        replaced = true;
        return Promise.resolve(options.replaceRawData(raw));
      });
      // A skipped raw_data leaves an empty `raw_data` field: harmless for reading the structure. A replaced one
      // is spliced in as the replacement's own fields, and the tensor's old location fields go.
      const kept = replaced
        ? parts.filter((part) => part.field !== TENSOR_DATA_LOCATION && part.field !== TENSOR_EXTERNAL_DATA)
        : parts;
      return Buffer.concat(
        kept.map((part) => (replaced && part.field === TENSOR_RAW_DATA ? stripTag(part.bytes) : part.bytes)),
      );
    };
    const graph = async (end: number) =>
      concat(
        (
          await message(cursor, end, (field, contentEnd) =>
            field === GRAPH_INITIALIZER ? tensor(contentEnd) : undefined,
          )
        ).parts,
      );
    const model = await message(cursor, size, (field, contentEnd) =>
      field === MODEL_GRAPH ? graph(contentEnd) : undefined,
    );
    return { bytes: concat(model.parts), elided, fileBytes: size };
  } finally {
    await handle.close();
  }
}

/**
 * A replaced `raw_data` came back from `message` wrapped as a length-delimited field 9; its content is the
 * replacement's own encoded fields, which belong directly in the tensor.
 */
function stripTag(field: Uint8Array): Uint8Array {
  let at = 0;
  for (let varints = 0; varints < 2; varints++) {
    while ((field[at] as number) & 0x80) at += 1;
    at += 1;
  }
  return field.subarray(at);
}
