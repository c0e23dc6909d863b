/**
 * The float32 twin of a float16 model (float16-upcast.ts), checked on the CPU provider: what the WebGPU
 * provider loads on an adapter without float16 shaders (webgpu-fp16.test.ts runs it there).
 */
import { createHash } from "node:crypto";
import { mkdtempSync, readFileSync, rmSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import onnxProto, { type onnx as OnnxTypes } from "onnx-proto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { createRng } from "@/server/models/rng";
import { copyTinySdArch } from "@/server/models/testing/sd-arch-copy";
import { toHalfBits } from "./float16";
import { float32TwinFile, upcastFloat16Model } from "./float16-upcast";
import type { GpuHost } from "./gpu-host";
import { expectedAdapter } from "./gpu-host";
import type { ProviderProbes } from "./providers";
import { createOnnxRuntime, releaseCachedSessions, type SessionFactory } from "./runtime";
import { addOneModel } from "./tiny-onnx";
import type { HostTensor, OnnxRuntime } from "./types";

const { onnx } = onnxProto;
const FLOAT16 = onnx.TensorProto.DataType.FLOAT16;
const EXTERNAL = onnx.TensorProto.DataLocation.EXTERNAL;

const scratch = mkdtempSync(path.join(tmpdir(), "dno-float16-upcast-"));
let runtime: OnnxRuntime;
beforeAll(async () => {
  process.env.ORT_FLOAT32_TWIN_DIR = path.join(scratch, "twins");
  runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
});
afterAll(() => {
  delete process.env.ORT_FLOAT32_TWIN_DIR;
  rmSync(scratch, { recursive: true, force: true });
});

/** float16 values as raw little-endian bytes, as exporters store them. */
const halfBits = (values: readonly number[]) => {
  const bytes = new Uint8Array(values.length * 2);
  const view = new DataView(bytes.buffer);
  for (const [i, value] of values.entries()) view.setUint16(2 * i, toHalfBits(value), true);
  return bytes;
};

/**
 * y = Cast16(Cast32(x · W + c)) · fill: a float16 input and output, a weight as raw bytes, a Constant as
 * int32_data bit patterns, both Cast directions and a ConstantOfShape with a float16 value.
 */
function float16Model(): Uint8Array {
  const half = (name: string): OnnxTypes.IValueInfoProto => ({
    name,
    type: { tensorType: { elemType: FLOAT16, shape: { dim: [{ dimValue: 4 }] } } },
  });
  const model: OnnxTypes.IModelProto = {
    irVersion: 8,
    opsetImport: [{ domain: "", version: 17 }],
    graph: {
      name: "half",
      input: [half("x")],
      output: [half("y")],
      initializer: [
        { name: "W", dims: [4], dataType: FLOAT16, rawData: halfBits([0.5, -1, 2, 0.25]) },
        { name: "shape", dims: [1], dataType: onnx.TensorProto.DataType.INT64, int64Data: [4] },
      ],
      node: [
        {
          opType: "Constant",
          output: ["c"],
          attribute: [
            {
              name: "value",
              type: onnx.AttributeProto.AttributeType.TENSOR,
              t: { dims: [4], dataType: FLOAT16, int32Data: [1, 1, 2, 3].map(toHalfBits) },
            },
          ],
        },
        {
          opType: "ConstantOfShape",
          input: ["shape"],
          output: ["fill"],
          attribute: [
            {
              name: "value",
              type: onnx.AttributeProto.AttributeType.TENSOR,
              t: { dims: [1], dataType: FLOAT16, rawData: halfBits([3]) },
            },
          ],
        },
        { opType: "Mul", input: ["x", "W"], output: ["xw"] },
        { opType: "Add", input: ["xw", "c"], output: ["sum"] },
        { opType: "Cast", input: ["sum"], output: ["wide"], attribute: [{ name: "to", type: 2, i: 1 }] },
        {
          opType: "Cast",
          input: ["wide"],
          output: ["narrow"],
          attribute: [{ name: "to", type: 2, i: FLOAT16 }],
        },
        { opType: "Mul", input: ["narrow", "fill"], output: ["y"] },
      ],
    },
  };
  return onnx.ModelProto.encode(onnx.ModelProto.create(model)).finish();
}

/** Every float16 mention left in a model: value types, initializers, attribute tensors, Cast targets. */
function float16Mentions(bytes: Uint8Array): string[] {
  const graph = onnx.ModelProto.decode(bytes).graph!;
  const found: string[] = [];
  for (const value of [...(graph.input ?? []), ...(graph.output ?? []), ...(graph.valueInfo ?? [])])
    if (value.type?.tensorType?.elemType === FLOAT16) found.push(`value ${value.name}`);
  // Weights in a separate file stay float16 there, each read through a Cast to float32 of its own.
  const castToFloat32 = new Set(
    (graph.node ?? [])
      .filter(
        (node) =>
          node.opType === "Cast" && Number(node.attribute?.[0]?.i) === onnx.TensorProto.DataType.FLOAT,
      )
      .map((node) => node.input?.[0] ?? ""),
  );
  for (const init of graph.initializer ?? [])
    if (init.dataType === FLOAT16 && !(init.dataLocation === EXTERNAL && castToFloat32.has(init.name ?? "")))
      found.push(`initializer ${init.name}`);
  for (const node of graph.node ?? [])
    for (const attribute of node.attribute ?? [])
      if (attribute.t?.dataType === FLOAT16 || (attribute.name === "to" && Number(attribute.i) === FLOAT16))
        found.push(`${node.opType} ${attribute.name}`);
  return found;
}

function floats(value: unknown): Float32Array {
  const tensor = value as HostTensor;
  expect(tensor.type).toBe("float32");
  return tensor.data as Float32Array;
}

describe("float32 twins of float16 models", () => {
  it("leave a model without float16 alone", () => {
    expect(upcastFloat16Model(addOneModel([1, 4]))).toBeUndefined();
  });

  it("make every float16 type, weight, constant and Cast float32, computing the same values", async () => {
    const bytes = float16Model();
    const twin = upcastFloat16Model(bytes)!;
    expect(float16Mentions(bytes).length).toBeGreaterThan(0);
    expect(float16Mentions(twin)).toEqual([]);
    const original = path.join(scratch, "half.onnx");
    const twinFile = path.join(scratch, "twin.onnx");
    writeFileSync(original, bytes);
    writeFileSync(twinFile, twin);
    const half = await runtime.load(original);
    const full = await runtime.load(twinFile);
    expect(half.inputs[0]).toMatchObject({ type: "float32", castFrom: "float16" });
    expect(full.inputs[0]).toMatchObject({ type: "float32" });
    expect(full.inputs[0]?.castFrom).toBeUndefined();
    const x: HostTensor = { type: "float32", data: Float32Array.of(1, 2, -0.5, 4), dims: [4] };
    // Small integers and halves: exact in both precisions. (1·0.5 + 1)·3, (2·−1 + 1)·3, (−0.5·2 + 2)·3, (4·0.25 + 3)·3.
    const expected = [4.5, -3, 3, 12];
    expect(Array.from(floats((await half.run({ x })).y))).toEqual(expected);
    expect(Array.from(floats((await full.run({ x })).y))).toEqual(expected);
  });

  it("of the tiny SD-1.5 float16 UNet: weights.pb linked beside the twin, read through Casts, same result within half precision", async () => {
    const dir = copyTinySdArch("sd15-fp16", path.join(scratch, "sd15-fp16"));
    const unetFile = path.join(dir, "unet/model.onnx");
    const sha = createHash("sha256").update(readFileSync(unetFile)).digest("hex");
    const twinFile = (await float32TwinFile(unetFile, sha))!;
    expect(path.basename(twinFile)).toBe("model.onnx");
    // The weights stay float16 in the one file, hard-linked (same inode) beside the twin.
    expect(statSync(path.join(path.dirname(twinFile), "weights.pb")).ino).toBe(
      statSync(path.join(dir, "unet/weights.pb")).ino,
    );
    expect(float16Mentions(readFileSync(twinFile))).toEqual([]);
    // A second call reuses the written twin.
    const mtime = statSync(twinFile).mtimeMs;
    expect(await float32TwinFile(unetFile, sha)).toBe(twinFile);
    expect(statSync(twinFile).mtimeMs).toBe(mtime);

    const half = await runtime.load(unetFile, { name: "unet" });
    const full = await runtime.load(twinFile, { name: "unet (float32 twin)" });
    expect(full.inputs.map((input) => [input.name, input.type, input.castFrom])).toEqual(
      half.inputs.map((input) => [input.name, input.type, undefined]),
    );
    const sampleSpec = half.inputs.find((input) => input.name === "encoder_hidden_states")!;
    const hiddenSize = sampleSpec.shape.map((dim) => (typeof dim === "number" ? dim : 2));
    const rng = createRng(3);
    const normal = (dims: number[]): HostTensor => ({
      type: "float32",
      data: Float32Array.from({ length: dims.reduce((a, b) => a * b, 1) }, () => rng.normal()),
      dims,
    });
    const feeds = {
      sample: normal([2, 4, 8, 8]),
      timestep: { type: "float32", data: Float32Array.of(500, 500), dims: [2] } as HostTensor,
      encoder_hidden_states: normal([2, ...hiddenSize.slice(1)]),
    };
    const output = half.outputs[0]!.name;
    const a = floats((await half.run(feeds))[output]);
    const b = floats((await full.run(feeds))[output]);
    let worst = 0;
    let scale = 0;
    for (let i = 0; i < a.length; i++) {
      worst = Math.max(worst, Math.abs(a[i]! - b[i]!));
      scale = Math.max(scale, Math.abs(a[i]!));
    }
    // float16 arithmetic vs float32 on the same float16 weights: measured 6.5e-4 of the output's scale.
    expect(worst / scale).toBeLessThan(1e-2);
    expect(worst).toBeGreaterThan(0); // the CPU provider did compute in float16 in the original
  }, 120_000);

  it("are what a WebGPU runtime hands ONNX Runtime where the adapter has no float16 shaders, and only there", async () => {
    const file = path.join(scratch, "probe-half.onnx");
    writeFileSync(file, float16Model());
    // A Linux host with the Vulkan loader; sessions are recorded, not created.
    const host: GpuHost = {
      platform: "linux",
      env: {},
      files: {
        readText: () => undefined,
        list: () => [],
        isFile: (candidate) => candidate.endsWith("libvulkan.so.1"),
      },
    };
    const loaded: string[] = [];
    const createSession: SessionFactory = async (modelPath) => {
      loaded.push(modelPath);
      return { inputMetadata: [], outputMetadata: [], run: async () => ({}), release: async () => undefined };
    };
    const webgpu = async (float16: boolean | undefined) => {
      const probes: ProviderProbes = {
        host,
        adapter: () => expectedAdapter(host),
        cuda: async () => ({ ok: false, detail: "no cuda" }),
        webgpu: async () => ({ ok: true }),
        ...(float16 === undefined ? {} : { webgpuFloat16: async () => float16 }),
      };
      return createOnnxRuntime({ executionProvider: "webgpu", intraOpThreads: 1 }, { createSession, probes });
    };
    await releaseCachedSessions();
    await (await webgpu(false)).load(file);
    await releaseCachedSessions();
    await (await webgpu(true)).load(file);
    await releaseCachedSessions();
    await (await webgpu(undefined)).load(file);
    await releaseCachedSessions();
    expect(loaded).toHaveLength(3);
    expect(loaded[0]).not.toBe(file);
    expect(float16Mentions(readFileSync(loaded[0]!))).toEqual([]);
    expect(loaded.slice(1)).toEqual([file, file]);
  });
});
