/**
 * The weight-less reading of an ONNX file, on the committed tiny aesthetic scorer (a ViT exported by PyTorch,
 * weights as `raw_data`): the skeleton decodes to the same graph without the weights, the skipped ranges hold
 * exactly the weights, a replacement lands in the tensor, and a truncated file is refused.
 */
import { mkdtempSync, readFileSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { decodeModel } from "./proto";
import { lengthDelimited, ProtoSkeletonError, readModelSkeleton, varintField } from "./proto-skeleton";

const scorerFile = path.resolve(import.meta.dirname, "../../models/sd_arch/tiny/aesthetic/model.onnx");
const fileBytes = readFileSync(scorerFile);
const original = decodeModel(fileBytes);

describe("readModelSkeleton", () => {
  it("keeps the graph and leaves out the large raw_data, whose file ranges are the weights", async () => {
    const skeleton = await readModelSkeleton(scorerFile);
    expect(skeleton.fileBytes).toBe(fileBytes.length);
    const elidedBytes = skeleton.elided.reduce((sum, raw) => sum + raw.length, 0);
    expect(elidedBytes).toBeGreaterThan(0.8 * fileBytes.length);
    expect(skeleton.bytes.length).toBeLessThan(fileBytes.length - elidedBytes + 64 * skeleton.elided.length);

    const model = decodeModel(skeleton.bytes);
    expect(model.opsetImports).toEqual(original.opsetImports);
    expect(model.graph.inputs).toEqual(original.graph.inputs);
    expect(model.graph.outputs).toEqual(original.graph.outputs);
    expect(model.graph.nodes.map((node) => node.opType)).toEqual(
      original.graph.nodes.map((node) => node.opType),
    );
    expect(model.graph.initializers.map((t) => t.name)).toEqual(
      original.graph.initializers.map((t) => t.name),
    );

    // Every elided range is one initializer's raw_data, in order; small ones stayed in the skeleton.
    const large = original.graph.initializers.filter((t) => (t.rawData?.length ?? 0) >= 1024);
    expect(skeleton.elided.length).toBe(large.length);
    skeleton.elided.forEach((raw, i) => {
      const expected = Buffer.from(large[i]!.rawData!);
      expect(fileBytes.subarray(raw.offset, raw.offset + raw.length).equals(expected)).toBe(true);
    });
    const small = original.graph.initializers.find(
      (t) => (t.rawData?.length ?? 0) > 0 && t.rawData!.length < 1024,
    );
    if (small) {
      const kept = model.graph.initializers.find((t) => t.name === small.name)!;
      expect(Buffer.from(kept.rawData!).equals(Buffer.from(small.rawData!))).toBe(true);
    }
  });

  it("puts a replacement where raw_data was, dropping the tensor's old location fields", async () => {
    const replacement = (offset: number) =>
      Buffer.concat([
        lengthDelimited(
          13,
          Buffer.concat([
            lengthDelimited(1, Buffer.from("location")),
            lengthDelimited(2, Buffer.from("w.bin")),
          ]),
        ),
        lengthDelimited(
          13,
          Buffer.concat([
            lengthDelimited(1, Buffer.from("offset")),
            lengthDelimited(2, Buffer.from(String(offset))),
          ]),
        ),
        varintField(14, 1),
      ]);
    const skeleton = await readModelSkeleton(scorerFile, {
      replaceRawData: (raw) => replacement(raw.offset),
    });
    const model = decodeModel(skeleton.bytes);
    const external = model.graph.initializers.filter((t) => t.dataLocation === 1);
    expect(external.length).toBe(skeleton.elided.length);
    external.forEach((tensor, i) => {
      expect(tensor.rawData?.length ?? 0).toBe(0);
      expect(tensor.externalData?.map((entry) => [entry.key, entry.value])).toEqual([
        ["location", "w.bin"],
        ["offset", String(skeleton.elided[i]!.offset)],
      ]);
      const before = original.graph.initializers.find((t) => t.name === tensor.name)!;
      expect(tensor.dims?.map(Number)).toEqual(before.dims?.map(Number));
      expect(tensor.dataType).toBe(before.dataType);
    });
  });

  it("refuses a file cut short", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dno-skeleton-"));
    const cut = path.join(dir, "cut.onnx");
    writeFileSync(cut, fileBytes.subarray(0, Math.floor(fileBytes.length / 2)));
    await expect(readModelSkeleton(cut)).rejects.toBeInstanceOf(ProtoSkeletonError);
  });
});
