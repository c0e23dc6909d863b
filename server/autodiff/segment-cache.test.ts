/** The segment cache: cut once, read back verified, rebuilt when a file is off; a model that stays whole is null. */
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { decodeModel } from "./proto";
import { getModelSegmentsForFile } from "./segment-cache";

const decoderFile = path.join(process.cwd(), "models/sd_arch/tiny/sd15/vae_decoder/model.onnx");
const dir = mkdtempSync(path.join(tmpdir(), "dno-segment-cache-"));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

const request = { input: "latent_sample", output: "sample", inputDims: [1, 4, 8, 8], maxBytes: 1 };

describe("getModelSegmentsForFile", () => {
  it("cuts once, then reads the same segments back; a damaged segment file is rebuilt", async () => {
    const built = await getModelSegmentsForFile(decoderFile, request, { dir });
    expect(built).not.toBeNull();
    const segments = built!;
    expect(segments.length).toBeGreaterThan(3);
    expect(segments[0]!.input).toBe("latent_sample");
    expect(segments.at(-1)!.output).toBe("sample");
    for (const [index, segment] of segments.entries()) {
      const model = decodeModel(new Uint8Array(readFileSync(segment.file)));
      expect(model.graph.inputs[0]!.name).toBe(segment.input);
      expect(model.graph.outputs[0]!.name).toBe(segment.output);
      if (index > 0) expect(segment.input).toBe(segments[index - 1]!.output);
    }
    const written = statSync(segments[1]!.file).mtimeMs;
    const again = await getModelSegmentsForFile(decoderFile, request, { dir });
    expect(again).toEqual(segments);
    expect(statSync(segments[1]!.file).mtimeMs).toBe(written);

    writeFileSync(segments[1]!.file, "not a model");
    const rebuilt = await getModelSegmentsForFile(decoderFile, request, { dir });
    expect(rebuilt).toEqual(segments);
    expect(decodeModel(new Uint8Array(readFileSync(segments[1]!.file))).graph.nodes.length).toBeGreaterThan(
      0,
    );
  });

  it("a model within the bound stays whole (null), recorded without segment files", async () => {
    const own = mkdtempSync(path.join(dir, "whole-"));
    expect(
      await getModelSegmentsForFile(decoderFile, { ...request, maxBytes: 2 ** 40 }, { dir: own }),
    ).toBeNull();
    expect(readdirSync(own).filter((file) => file.endsWith(".onnx"))).toEqual([]);
    expect(readdirSync(own).filter((file) => file.endsWith(".segments.json"))).toHaveLength(1);
  });
});
