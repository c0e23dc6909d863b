/**
 * Loss scaling of float16 VJP models on a graph small enough to reason about exactly: y = c·x² in float16,
 * so ∂y/∂x·ḡ = 2·c·x·ḡ. With c = 1e-3 and ḡ = 1e-5 the product c·ḡ = 1e-8 is below half of float16's
 * smallest subnormal (6e-8): unscaled, the VJP flushes the whole gradient to zero.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { getVjpModel } from "@/server/autodiff/cache";
import { cotangentInputName, gradientOutputName } from "@/server/autodiff/vjp";
import { float32ToHalf, halfToFloat32 } from "@/server/onnx/float16";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { buildTinyOnnx } from "@/server/onnx/tiny-onnx";
import type { HostTensor, OnnxModel, OnnxRuntime } from "@/server/onnx/types";
import { lossScaleFor, withFloat16LossScaling } from "./float16-loss-scale";

const N = 4;
const COTANGENT = cotangentInputName("y");
const GRADIENT = gradientOutputName("x");
const FLOAT16 = 10;

let onnx: OnnxRuntime;
const dir = mkdtempSync(path.join(tmpdir(), "dno-loss-scale-"));

/** The VJP model of y = c·x² (float16 in and out, c given in float32 and cast), loaded. */
async function vjpOf(c: number, type: "float16" | "float32"): Promise<OnnxModel> {
  const bytes = buildTinyOnnx({
    inputs: [{ name: "x", type, shape: [N] }],
    outputs: [{ name: "y", type, shape: [N] }],
    initializers: [{ name: "c32", dims: [N], values: new Array(N).fill(c) }],
    nodes: [
      ...(type === "float16"
        ? [{ op: "Cast", inputs: ["c32"], outputs: ["c"], intAttributes: { to: FLOAT16 } }]
        : [{ op: "Identity", inputs: ["c32"], outputs: ["c"] }]),
      { op: "Mul", inputs: ["x", "x"], outputs: ["xx"] },
      { op: "Mul", inputs: ["xx", "c"], outputs: ["y"] },
    ],
    opset: 14,
  });
  const forward = path.join(dir, `y-${type}-${c}.onnx`);
  writeFileSync(forward, bytes);
  const cached = await getVjpModel(bytes, { wrt: ["x"], of: "y" }, { dir });
  return onnx.load(cached.file, { name: `vjp ${type}` });
}

const half = (value: number) => halfToFloat32(float32ToHalf(Float32Array.of(value)))[0]!;

/** The VJP's feeds, and the cotangent's array (which the caller may rewrite between bound runs). */
function feeds(x: number, cotangent: number) {
  const data = new Float32Array(N).fill(cotangent);
  const record: Record<string, HostTensor> = {
    x: { type: "float32", data: new Float32Array(N).fill(x), dims: [N] },
    [COTANGENT]: { type: "float32", data, dims: [N] },
  };
  return { record, cotangent: data };
}

function gradientOf(outputs: Record<string, HostTensor>): number[] {
  const tensor = outputs[GRADIENT];
  if (tensor?.type !== "float32") throw new Error("no float32 gradient");
  return Array.from(tensor.data);
}

function gradientBuffer(): { outputs: Record<string, HostTensor>; data: Float32Array } {
  const data = new Float32Array(N);
  return { outputs: { [GRADIENT]: { type: "float32", data, dims: [N] } }, data };
}

beforeAll(async () => {
  onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
});

describe("float16 VJP loss scaling", () => {
  it("picks the power of two that brings the largest |cotangent| into [0.5, 1)", () => {
    expect(lossScaleFor(Float32Array.of(1e-5, -3e-6))).toBe(2 ** 16);
    expect(lossScaleFor(Float32Array.of(0.5))).toBe(1);
    expect(lossScaleFor(Float32Array.of(-3))).toBe(2 ** -2);
    expect(lossScaleFor(new Float32Array(3))).toBe(1);
    expect(lossScaleFor(Float32Array.of(Number.NaN, Number.POSITIVE_INFINITY))).toBe(1);
  });

  it("recovers a gradient that float16 flushes to zero (run and bind)", async () => {
    const raw = await vjpOf(1e-3, "float16");
    expect(raw.inputs.find((input) => input.name === COTANGENT)?.castFrom).toBe("float16");
    // The defect: unscaled, c·ḡ underflows inside the VJP.
    expect(gradientOf(await raw.run(feeds(1, 1e-5).record))).toEqual([0, 0, 0, 0]);

    const scaled = withFloat16LossScaling(raw, COTANGENT, [GRADIENT]);
    // Exact: 2·c·x·ḡ with c and ḡ as float16 holds them; float16 keeps 11 significant bits per operation.
    const exact = 2 * half(1e-3) * 1e-5;
    for (const value of gradientOf(await scaled.run(feeds(1, 1e-5).record))) {
      expect(Math.abs(value - exact) / exact).toBeLessThan(2 ** -9);
    }
    // Into preallocated outputs; the caller's cotangent is left as it was.
    const given = feeds(1, 1e-5);
    const out = gradientBuffer();
    await scaled.run(given.record, { outputs: out.outputs });
    expect(given.cotangent[0]).toBe(Math.fround(1e-5));
    expect(Math.abs(out.data[0]! - exact) / exact).toBeLessThan(2 ** -9);

    const boundOut = gradientBuffer();
    const boundFeeds = feeds(1, 0);
    const bound = scaled.bind(boundFeeds.record, boundOut.outputs);
    for (const cotangent of [1e-5, 3e-6]) {
      boundFeeds.cotangent.fill(cotangent);
      await bound.run();
      const expected = 2 * half(1e-3) * cotangent;
      expect(Math.abs(boundOut.data[0]! - expected) / expected).toBeLessThan(2 ** -9);
    }
    bound.dispose();
  });

  it("backs off when the scaled call overflows float16", async () => {
    // c = 1e4, x = 4, ḡ = 1e-3: scaled by 2^10 the two halves of ∂(x·x) are 4.1e4 each and their sum
    // overflows float16's 65,504; 2^8 times less fits.
    const raw = await vjpOf(1e4, "float16");
    expect(gradientOf(await raw.run(feeds(4, 1e-3 * 2 ** 10).record)).every(Number.isFinite)).toBe(false);
    const scaled = withFloat16LossScaling(raw, COTANGENT, [GRADIENT]);
    const exact = 2 * half(1e4) * 4 * half(1e-3);
    for (const value of gradientOf(await scaled.run(feeds(4, 1e-3).record))) {
      expect(Number.isFinite(value)).toBe(true);
      expect(Math.abs(value - exact) / exact).toBeLessThan(2 ** -8);
    }
  });

  it("leaves a float32 VJP model as it is", async () => {
    const model = await vjpOf(1e-3, "float32");
    expect(withFloat16LossScaling(model, COTANGENT, [GRADIENT])).toBe(model);
  });
});
