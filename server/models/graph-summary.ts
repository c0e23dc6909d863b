/**
 * What the model list needs from an ONNX graph without loading it: the declared inputs and outputs and a
 * count of the ops that change spatial size (stride-2 convolutions, resizes). An SD export's model.onnx may
 * hold gigabytes of weights, so the file is walked field by field (protobuf wire format) and only the graph's
 * inputs, outputs and nodes are decoded; initializers are skipped by their length. Results are cached by
 * path, size and modification time.
 */
import { closeSync, fstatSync, openSync, readSync, statSync } from "node:fs";
import onnxProto from "onnx-proto";

const { onnx } = onnxProto;

export type SummaryDim = number | string | null;

export interface GraphTensorSummary {
  readonly name: string;
  readonly shape: readonly SummaryDim[] | null;
}

export interface GraphSummary {
  readonly inputs: readonly GraphTensorSummary[];
  readonly outputs: readonly GraphTensorSummary[];
  /** Conv nodes with strides 2×2: a UNet's down-samplers (diffusers' Downsample2D). */
  readonly stride2Convs: number;
  /** Resize/Upsample nodes: a VAE decoder's up-samplers (nearest ×2 in diffusers' Upsample2D). */
  readonly upsamplers: number;
  /** Bytes read from the file to find all this (the weights are skipped, not read). */
  readonly bytesRead: number;
}

// Field numbers of onnx.proto: ModelProto.graph, GraphProto.node/input/output.
const MODEL_GRAPH = 7;
const GRAPH_NODE = 1;
const GRAPH_INPUT = 11;
const GRAPH_OUTPUT = 12;
/**
 * Read-ahead per miss: nodes and value infos lie next to each other, so one read serves many; an initializer
 * is skipped by its length, which costs one read of this size for the next field's header.
 */
const WINDOW_BYTES = 64 * 1024;

/** Reads a file through a sliding window, so thousands of small fields cost few system calls. */
class FileReader {
  private window = Buffer.alloc(0);
  private windowStart = 0;
  bytesRead = 0;

  constructor(
    private readonly fd: number,
    readonly size: number,
  ) {}

  bytes(position: number, length: number): Buffer {
    if (position < 0 || length < 0 || position + length > this.size) {
      throw new RangeError("field runs past the end of the file");
    }
    const offset = position - this.windowStart;
    if (offset >= 0 && offset + length <= this.window.length)
      return this.window.subarray(offset, offset + length);
    const read = Math.max(length, Math.min(WINDOW_BYTES, this.size - position));
    const buffer = Buffer.alloc(read);
    let done = 0;
    while (done < read) {
      const n = readSync(this.fd, buffer, done, read - done, position + done);
      if (n === 0) throw new RangeError("unexpected end of file");
      done += n;
    }
    this.bytesRead += read;
    this.window = buffer;
    this.windowStart = position;
    return buffer.subarray(0, length);
  }

  varint(position: number): { value: number; next: number } {
    let value = 0;
    let scale = 1;
    for (let i = 0; i < 10; i++) {
      const byte = this.bytes(position + i, 1)[0]!;
      value += (byte & 0x7f) * scale;
      scale *= 128;
      if ((byte & 0x80) === 0) return { value, next: position + i + 1 };
    }
    throw new RangeError("malformed varint");
  }
}

interface Field {
  readonly number: number;
  /** Start and length of a length-delimited field's payload (wire type 2); -1 otherwise. */
  readonly start: number;
  readonly length: number;
}

/** The fields of a message between `start` and `end`, skipping the payloads of other wire types. */
function* fields(reader: FileReader, start: number, end: number): Generator<Field> {
  let position = start;
  while (position < end) {
    const tag = reader.varint(position);
    const number = Math.floor(tag.value / 8);
    const wire = tag.value % 8;
    position = tag.next;
    if (wire === 0) {
      position = reader.varint(position).next;
      yield { number, start: -1, length: -1 };
    } else if (wire === 1) {
      position += 8;
      yield { number, start: -1, length: -1 };
    } else if (wire === 5) {
      position += 4;
      yield { number, start: -1, length: -1 };
    } else if (wire === 2) {
      const length = reader.varint(position);
      yield { number, start: length.next, length: length.value };
      position = length.next + length.value;
    } else {
      throw new RangeError(`unsupported protobuf wire type ${wire}`);
    }
  }
}

function tensorSummary(bytes: Buffer): GraphTensorSummary {
  const info = onnx.ValueInfoProto.decode(bytes);
  const shape = info.type?.tensorType?.shape;
  return {
    name: info.name ?? "",
    shape: shape
      ? (shape.dim ?? []).map((dim): SummaryDim => {
          const which = (dim as { value?: string }).value;
          if (which === "dimValue" && dim.dimValue !== null && dim.dimValue !== undefined) {
            const value = Number(dim.dimValue);
            return value > 0 ? value : null;
          }
          return dim.dimParam ? dim.dimParam : null;
        })
      : null,
  };
}

function isStride2(node: InstanceType<typeof onnx.NodeProto>): boolean {
  const strides = node.attribute?.find((attribute) => attribute.name === "strides")?.ints ?? [];
  return strides.length > 0 && strides.every((value) => Number(value) === 2);
}

function summarize(file: string): GraphSummary {
  const fd = openSync(file, "r");
  try {
    const reader = new FileReader(fd, fstatSync(fd).size);
    const inputs: GraphTensorSummary[] = [];
    const outputs: GraphTensorSummary[] = [];
    let stride2Convs = 0;
    let upsamplers = 0;
    for (const field of fields(reader, 0, reader.size)) {
      if (field.number !== MODEL_GRAPH || field.start < 0) continue;
      for (const member of fields(reader, field.start, field.start + field.length)) {
        if (member.start < 0) continue;
        if (member.number === GRAPH_INPUT)
          inputs.push(tensorSummary(reader.bytes(member.start, member.length)));
        else if (member.number === GRAPH_OUTPUT) {
          outputs.push(tensorSummary(reader.bytes(member.start, member.length)));
        } else if (member.number === GRAPH_NODE) {
          const node = onnx.NodeProto.decode(reader.bytes(member.start, member.length));
          if (node.opType === "Conv" && isStride2(node)) stride2Convs++;
          else if (node.opType === "Resize" || node.opType === "Upsample") upsamplers++;
        }
      }
    }
    return { inputs, outputs, stride2Convs, upsamplers, bytesRead: reader.bytesRead };
  } finally {
    closeSync(fd);
  }
}

const cache = new Map<string, { key: string; summary: GraphSummary | undefined }>();

/** The graph's summary, or undefined when the file cannot be read as an ONNX model. */
export function readGraphSummary(file: string): GraphSummary | undefined {
  let key: string;
  try {
    // Checked before opening: a FIFO or device in a user's folder must not block the model list.
    const stats = statSync(file);
    if (!stats.isFile()) return undefined;
    key = `${stats.size}:${stats.mtimeMs}`;
  } catch {
    return undefined;
  }
  const cached = cache.get(file);
  if (cached?.key === key) return cached.summary;
  let summary: GraphSummary | undefined;
  try {
    summary = summarize(file);
  } catch {
    summary = undefined;
  }
  cache.set(file, { key, summary });
  return summary;
}
