/**
 * Device-resident tensors and the host↔device copy count, on SwiftShader's WebGPU (testing/swiftshader.ts)
 * and on the CPU provider, with one-node models: an output kept on the device feeds the next run without
 * crossing the host, uploads cross once, and a GPU tensor is never handed to a CPU session (onnxruntime-node
 * would read its GPU handle as host memory and return wrong numbers without an error).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { createOnnxRuntime } from "./runtime";
import { selectSwiftShader } from "./testing/swiftshader";
import { addOneModel, buildTinyOnnx } from "./tiny-onnx";
import type { HostTensor, OnnxRuntime } from "./types";

const dir = mkdtempSync(path.join(tmpdir(), "dno-device-tensors-"));
const addOneFile = path.join(dir, "add-one.onnx");
/** y = x + 1 and z = x · 2 (two outputs: one kept on the device, one for the host). */
const twoOutputsFile = path.join(dir, "two-outputs.onnx");
let gpu: OnnxRuntime;
let cpu: OnnxRuntime;

beforeAll(async () => {
  selectSwiftShader();
  writeFileSync(addOneFile, addOneModel(["batch", 4]));
  writeFileSync(
    twoOutputsFile,
    buildTinyOnnx({
      inputs: [{ name: "x", type: "float32", shape: ["batch", 4] }],
      outputs: [
        { name: "y", type: "float32", shape: ["batch", 4] },
        { name: "z", type: "float32", shape: ["batch", 4] },
      ],
      initializers: [
        { name: "one", dims: [], values: [1] },
        { name: "two", dims: [], values: [2] },
      ],
      nodes: [
        { op: "Add", inputs: ["x", "one"], outputs: ["y"] },
        { op: "Mul", inputs: ["x", "two"], outputs: ["z"] },
      ],
    }),
  );
  gpu = await createOnnxRuntime({ executionProvider: "webgpu", intraOpThreads: 1 });
  cpu = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
}, 120_000);

const x = (): HostTensor => ({ type: "float32", data: Float32Array.from([1, 2, 3, 4]), dims: [1, 4] });
const values = (tensor: HostTensor | undefined) => Array.from(tensor?.data ?? [], Number);

describe.each([
  ["webgpu", () => gpu, true],
  ["cpu", () => cpu, false],
] as const)("device tensors on %s", (_name, runtime, copies) => {
  it("keeps an output on the device, feeds it to the next run, and counts only host tensors crossing", async () => {
    const onnx = runtime();
    const keeping = await onnx.load(twoOutputsFile, { name: "two", deviceOutputs: ["y"] });
    const addOne = await onnx.load(addOneFile, { name: "add-one" });
    onnx.resetStats();
    const first = await keeping.runKeeping({ x: x() });
    expect(Object.keys(first.host)).toEqual(["z"]);
    expect(values(first.host.z)).toEqual([2, 4, 6, 8]);
    const y = first.device.y!;
    expect(y).toMatchObject({ type: "device", elementType: "float32", dims: [1, 4], byteLength: 16 });
    // The kept tensor feeds two more runs of another model, read in place.
    const second = await addOne.runKeeping({ x: y });
    const third = await addOne.run({ x: y });
    expect(values(second.host.y)).toEqual([3, 4, 5, 6]);
    expect(values(third.y)).toEqual([3, 4, 5, 6]);
    // In: x once. Out: z, and add-one's y twice; the device tensor y crossed nothing.
    expect(onnx.stats().transfers).toEqual(
      copies
        ? { toDevice: 1, toDeviceBytes: 16, toHost: 3, toHostBytes: 48 }
        : { toDevice: 0, toDeviceBytes: 0, toHost: 0, toHostBytes: 0 },
    );
    y.dispose();
    expect(y.disposed).toBe(true);
    await expect(addOne.run({ x: y })).rejects.toThrow(/already released/);
  });

  it("uploads once for many runs, bound runs included", async () => {
    const onnx = runtime();
    const addOne = await onnx.load(addOneFile, { name: "add-one" });
    onnx.resetStats();
    const source = Float32Array.from([1, 2, 3, 4]);
    const kept = await addOne.upload("x", { type: "float32", data: source, dims: [1, 4] });
    source.fill(0);
    const out: HostTensor = { type: "float32", data: new Float32Array(4), dims: [1, 4] };
    const bound = addOne.bind({ x: kept }, { y: out });
    await bound.run();
    await bound.run();
    bound.dispose();
    // The upload is a snapshot: rewriting the host array afterwards changes nothing.
    expect(values(out)).toEqual([2, 3, 4, 5]);
    expect(onnx.stats().transfers).toEqual(
      copies
        ? { toDevice: 1, toDeviceBytes: 16, toHost: 2, toHostBytes: 32 }
        : { toDevice: 0, toDeviceBytes: 0, toHost: 0, toHostBytes: 0 },
    );
    // Bound runs leave the device tensor alone: it still feeds runs after the binding is gone.
    expect(values((await addOne.run({ x: kept })).y)).toEqual([2, 3, 4, 5]);
    kept.dispose();
  });
});

describe("device tensors across providers", () => {
  it("refuses a WebGPU tensor in a CPU session, and a host-backed one feeds WebGPU as a counted copy", async () => {
    const onGpu = await gpu.load(addOneFile, { name: "add-one" });
    const onCpu = await cpu.load(addOneFile, { name: "add-one" });
    const gpuTensor = await onGpu.upload("x", x());
    await expect(onCpu.run({ x: gpuTensor })).rejects.toThrow(
      /runs on cpu but input "x" is a tensor in webgpu memory/,
    );
    gpuTensor.dispose();
    const hostBacked = await onCpu.upload("x", x());
    gpu.resetStats();
    expect(values((await onGpu.run({ x: hostBacked })).y)).toEqual([2, 3, 4, 5]);
    expect(gpu.stats().transfers).toMatchObject({ toDevice: 1, toDeviceBytes: 16, toHost: 1 });
  });
});
