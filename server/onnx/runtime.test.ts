import { mkdtempSync, writeFileSync } from "node:fs";
import { availableParallelism, tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it, vi } from "vitest";
import { readOnnxConfig } from "./config";
import { ExecutionProviderUnavailableError, OnnxError, OnnxFeedError } from "./errors";
import { createOnnxRuntime, sessionCreationCount, sessionOptions } from "./runtime";
import { addOneModel } from "./tiny-onnx";

const dir = mkdtempSync(path.join(tmpdir(), "dno-onnx-"));
const addOnePath = path.join(dir, "add-one.onnx");
writeFileSync(addOnePath, addOneModel(["batch", 4]));

describe("configuration", () => {
  it("defaults to cpu on every CPU the process may use; 0 leaves the count to ONNX Runtime", () => {
    expect(readOnnxConfig({})).toEqual({ executionProvider: "cpu", intraOpThreads: availableParallelism() });
    expect(readOnnxConfig({ ORT_THREADS: "Auto" }).intraOpThreads).toBe(availableParallelism());
    expect(readOnnxConfig({ ORT_THREADS: "0" }).intraOpThreads).toBe(0);
  });
  it("reads provider and threads", () => {
    expect(readOnnxConfig({ ORT_EXECUTION_PROVIDER: "AUTO", ORT_THREADS: "2" })).toEqual({
      executionProvider: "auto",
      intraOpThreads: 2,
    });
  });
  it("rejects an unknown provider and a bad thread count, naming the variable", () => {
    expect(() => readOnnxConfig({ ORT_EXECUTION_PROVIDER: "tpu" })).toThrow(/ORT_EXECUTION_PROVIDER/);
    expect(() => readOnnxConfig({ ORT_THREADS: "two" })).toThrow(/ORT_THREADS/);
  });
});

describe("execution provider", () => {
  it("cuda requested on a host without the CUDA build: a typed error with install instructions", async () => {
    const attempt = createOnnxRuntime({ executionProvider: "cuda", intraOpThreads: 1 });
    await expect(attempt).rejects.toBeInstanceOf(ExecutionProviderUnavailableError);
    await expect(attempt).rejects.toThrow(/ONNXRUNTIME_NODE_INSTALL=cuda12 npm install onnxruntime-node/);
  });
  it("auto falls back to the cpu when cuda cannot load", async () => {
    const runtime = await createOnnxRuntime({ executionProvider: "auto", intraOpThreads: 1 });
    expect(runtime.executionProvider).toBe("cpu");
  });
});

describe("sessions and runs", () => {
  it("runs a model and reports its declared inputs", async () => {
    const runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const model = await runtime.load(addOnePath, { name: "add-one" });
    expect(model.inputs).toEqual([{ name: "x", type: "float32", shape: ["batch", 4] }]);
    const out = await model.run({
      x: { type: "float32", data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] },
    });
    expect(out.y?.type === "float32" ? Array.from(out.y.data) : null).toEqual([2, 3, 4, 5]);
    expect(runtime.stats().runCalls).toBe(1);
  });

  it("caches sessions by file hash: a copy of the same file reuses the session", async () => {
    const runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    await runtime.load(addOnePath);
    const before = sessionCreationCount();
    const copyPath = path.join(dir, "copy-of-add-one.onnx");
    writeFileSync(copyPath, addOneModel(["batch", 4]));
    const again = await runtime.load(addOnePath);
    const copy = await runtime.load(copyPath);
    expect(sessionCreationCount()).toBe(before);
    expect(copy.sha256).toBe(again.sha256);
    const otherPath = path.join(dir, "other.onnx");
    writeFileSync(otherPath, addOneModel(["batch", 8]));
    await runtime.load(otherPath);
    expect(sessionCreationCount()).toBe(before + 1);
  });

  it("a session without the memory pattern is its own cached session, computing the same", async () => {
    const runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const usual = await runtime.load(addOnePath);
    const before = sessionCreationCount();
    const unplanned = await runtime.load(addOnePath, { memoryPattern: false });
    expect(sessionCreationCount()).toBe(before + 1);
    await runtime.load(addOnePath, { memoryPattern: false });
    await runtime.load(addOnePath, { memoryPattern: true });
    expect(sessionCreationCount()).toBe(before + 1);
    const x = { type: "float32", data: new Float32Array([1, -2, 3, 0.5]), dims: [1, 4] } as const;
    expect(await unplanned.run({ x })).toEqual(await usual.run({ x }));
    const options = (memoryPattern: boolean) =>
      sessionOptions("cpu", 1, { shareWeights: false, deviceOutputs: [], memoryPattern });
    expect(options(false).enableMemPattern).toBe(false);
    // The default leaves ONNX Runtime's own default (on) in place.
    expect(options(true)).not.toHaveProperty("enableMemPattern");
  });

  it("the cache survives a module reload (Next hot reload re-evaluates modules, globalThis stays)", async () => {
    const runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    await runtime.load(addOnePath);
    const before = sessionCreationCount();
    vi.resetModules();
    const reloaded = await import("./runtime");
    expect(reloaded.sessionCreationCount()).toBe(before);
    const fresh = await reloaded.createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    await fresh.load(addOnePath);
    expect(reloaded.sessionCreationCount()).toBe(before);
  });

  it("writes into preallocated outputs", async () => {
    const runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const model = await runtime.load(addOnePath);
    const target = { type: "float32" as const, data: new Float32Array(8), dims: [2, 4] };
    const out = await model.run(
      { x: { type: "float32", data: new Float32Array([0, 1, 2, 3, 4, 5, 6, 7]), dims: [2, 4] } },
      { outputs: { y: target } },
    );
    expect(out.y).toBe(target);
    expect(Array.from(target.data)).toEqual([1, 2, 3, 4, 5, 6, 7, 8]);
  });

  it("a corrupt file is a load error naming the model and the file, never its server path", async () => {
    const runtime = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const corrupt = path.join(dir, "corrupt.onnx");
    writeFileSync(corrupt, "this is not protobuf");
    const attempt = runtime.load(corrupt, { name: "unet" });
    await expect(attempt).rejects.toBeInstanceOf(OnnxError);
    await expect(attempt).rejects.toThrow(
      /^Model "unet" \(corrupt\.onnx\) could not be loaded by ONNX Runtime \(.*Protobuf parsing failed\)/,
    );
    await expect(attempt).rejects.not.toThrow(dir);
  });
});

describe("feed checks", () => {
  const load = async () =>
    (await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 })).load(addOnePath, {
      name: "add-one",
    });

  it("names a missing input", async () => {
    const model = await load();
    await expect(model.run({})).rejects.toThrow('Model "add-one" needs input "x" (float32 [batch, 4])');
  });
  it("names an unknown input", async () => {
    const model = await load();
    await expect(
      model.run({
        x: { type: "float32", data: new Float32Array(4), dims: [1, 4] },
        z: { type: "float32", data: new Float32Array(4), dims: [1, 4] },
      }),
    ).rejects.toThrow('Model "add-one" has no input named "z"; its inputs are: x.');
  });
  it("names a wrong element type", async () => {
    const model = await load();
    await expect(model.run({ x: { type: "int32", data: new Int32Array(4), dims: [1, 4] } })).rejects.toThrow(
      'Model "add-one" input "x" expects element type float32, was given int32.',
    );
  });
  it("names expected vs given shape", async () => {
    const model = await load();
    const attempt = model.run({ x: { type: "float32", data: new Float32Array(6), dims: [2, 3] } });
    await expect(attempt).rejects.toBeInstanceOf(OnnxFeedError);
    await expect(attempt).rejects.toThrow(
      'Model "add-one" input "x" expects shape [batch, 4], was given [2, 3].',
    );
  });
  it("catches data that does not fill the shape", async () => {
    const model = await load();
    await expect(
      model.run({ x: { type: "float32", data: new Float32Array(5), dims: [2, 4] } }),
    ).rejects.toThrow("shape [2, 4] needs 8 elements, the data has 5");
  });
});
