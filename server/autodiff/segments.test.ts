/**
 * Checkpointed (segmented) backward: the segments of the scaled-down SD-1.5 VAE decoder chain to the whole
 * forward, and the segments' VJPs, run last to first, give the whole model's VJP.
 */
import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { HostTensor } from "../onnx/evaluate";
import { evaluateModel } from "../onnx/evaluate";
import { gradientDifference, relativeDifference } from "../onnx/testing/compare";
import { buildModel } from "./builder";
import { decodeModel, encodeModel } from "./proto";
import { segmentModel } from "./segments";
import { randomTensor } from "./testing/gradcheck";
import { buildVjpModel, cotangentInputName, gradientOutputName } from "./vjp";

const decoderFile = path.join(process.cwd(), "models/sd_arch/tiny/sd15/vae_decoder/model.onnx");

describe("segmentModel", () => {
  const model = decodeModel(new Uint8Array(readFileSync(decoderFile)));
  const input = model.graph.inputs[0]!.name;
  const output = model.graph.outputs[0]!.name;
  const dims = [1, 4, 8, 8];

  it("cuts the VAE decoder into balanced segments whose chain is the whole forward", async () => {
    // The finest cut (a segment between every two cut points) gives the total and the largest uncuttable stretch.
    const finest = segmentModel(model, { input, output, inputDims: dims, maxBytes: 1 });
    expect(finest.segments.length).toBeGreaterThan(3);
    const total = finest.bytes.reduce((a, b) => a + b, 0);
    const bound = total / 3;
    const plan = segmentModel(model, { input, output, inputDims: dims, maxBytes: bound });
    expect(plan.segments.length).toBeGreaterThanOrEqual(3);
    expect(plan.segments.length).toBeLessThan(finest.segments.length);
    expect(plan.bytes.reduce((a, b) => a + b, 0)).toBe(total);
    for (const bytes of plan.bytes) expect(bytes).toBeLessThanOrEqual(Math.max(bound, ...finest.bytes));
    expect(plan.segments[0]!.input).toBe(input);
    expect(plan.segments.at(-1)!.output).toBe(output);

    const latent = randomTensor(3, dims, "float32");
    const whole = await evaluateModel(encodeModel(model), { [input]: latent }, [output]);
    const values: Record<string, HostTensor> = { [input]: latent };
    for (const segment of plan.segments) {
      const feeds: Record<string, HostTensor> = {};
      for (const name of [segment.input, ...segment.passed]) feeds[name] = values[name]!;
      Object.assign(values, await evaluateModel(encodeModel(segment.model), feeds));
    }
    expect(
      relativeDifference(whole[output]!.data as Float32Array, values[output]!.data as Float32Array),
    ).toBeLessThanOrEqual(1e-5);
  });

  it("the segments' VJPs, last to first, equal the whole VJP", async () => {
    const plan = segmentModel(model, { input, output, inputDims: dims, maxBytes: 1 });
    const latent = randomTensor(5, dims, "float32");
    const image = await evaluateModel(encodeModel(model), { [input]: latent }, [output]);
    const cotangent = randomTensor(6, image[output]!.dims, "float32");
    const expected = await evaluateModel(encodeModel(buildVjpModel(model, { wrt: [input], of: output })), {
      [input]: latent,
      [cotangentInputName(output)]: cotangent,
    });
    const values: Record<string, HostTensor> = { [input]: latent };
    for (const segment of plan.segments.slice(0, -1)) {
      const feeds: Record<string, HostTensor> = {};
      for (const name of [segment.input, ...segment.passed]) feeds[name] = values[name]!;
      Object.assign(values, await evaluateModel(encodeModel(segment.model), feeds));
    }
    let gradient = cotangent;
    for (const segment of [...plan.segments].reverse()) {
      const vjp = buildVjpModel(segment.model, { wrt: [segment.input], of: segment.output });
      const feeds: Record<string, HostTensor> = { [cotangentInputName(segment.output)]: gradient };
      for (const name of [segment.input, ...segment.passed]) feeds[name] = values[name]!;
      const out = await evaluateModel(encodeModel(vjp), feeds);
      gradient = out[gradientOutputName(segment.input)]!;
    }
    expect(
      gradientDifference(
        expected[gradientOutputName(input)]!.data as Float32Array,
        gradient.data as Float32Array,
      ),
    ).toBeLessThanOrEqual(1e-4);
  });

  it("leaves a model it cannot cut whole (it fits, or has no single-tensor cut point)", () => {
    const fits = segmentModel(model, { input, output, inputDims: dims, maxBytes: 2 ** 40 });
    expect(fits.segments).toHaveLength(1);
    expect(fits.segments[0]!.model).toBe(model);
    // x feeds both branches up to the end: nowhere does the computation narrow to one tensor.
    const branches = buildModel({
      inputs: [{ name: "x", type: "float32", dims: [2] }],
      outputs: [{ name: "y", type: "float32", dims: [2] }],
      nodes: [
        { opType: "Sin", inputs: ["x"], outputs: ["a"] },
        { opType: "Cos", inputs: ["a"], outputs: ["b"] },
        { opType: "Mul", inputs: ["b", "x"], outputs: ["y"] },
      ],
    });
    const plan = segmentModel(branches, { input: "x", output: "y", inputDims: [2], maxBytes: 1 });
    expect(plan.segments).toHaveLength(1);
    expect(plan.segments[0]!.model).toBe(branches);
  });
});
