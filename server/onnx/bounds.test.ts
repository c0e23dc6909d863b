/**
 * No model file can wedge the runtime: special files are refused before anything reads them, sizes are
 * capped, and loads and runs end on timeout or cancel (fake sessions stand in for native calls that hang).
 */
import { execFileSync } from "node:child_process";
import { mkdirSync, mkdtempSync, symlinkSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import type * as ort from "onnxruntime-node";
import { describe, expect, it, vi } from "vitest";
import { withOnnxSignal } from "./abort-scope";
import { readOnnxLimits } from "./config";
import { OnnxError } from "./errors";
import { createOnnxRuntime, type SessionFactory, type SessionLike, sessionCreationCount } from "./runtime";
import { addOneModel } from "./tiny-onnx";

const dir = mkdtempSync(path.join(tmpdir(), "dno-onnx-bounds-"));
const addOnePath = path.join(dir, "add-one.onnx");
writeFileSync(addOnePath, addOneModel(["batch", 4]));

let fileCounter = 0;
/** A distinct file per test: sessions are cached process-wide by content hash. */
function uniqueFile(): string {
  fileCounter += 1;
  const file = path.join(dir, `fake-${fileCounter}.onnx`);
  writeFileSync(file, `fake model ${fileCounter} ${Math.random()}`);
  return file;
}

const cpu = { executionProvider: "cpu" as const, intraOpThreads: 1 };

function fakeSession(run: SessionLike["run"], release = vi.fn(async () => undefined)): SessionLike {
  const metadata = [
    { name: "x", isTensor: true, type: "float32", shape: [1, 4] },
  ] as unknown as readonly ort.InferenceSession.ValueMetadata[];
  return {
    inputMetadata: metadata,
    outputMetadata: [
      { name: "y", isTensor: true, type: "float32", shape: [1, 4] },
    ] as unknown as readonly ort.InferenceSession.ValueMetadata[],
    run,
    release,
  };
}

const never = <T>() => new Promise<T>(() => undefined);
const feeds = { x: { type: "float32" as const, data: new Float32Array(4), dims: [1, 4] } };

async function rejection(promise: Promise<unknown>): Promise<{ error: OnnxError; ms: number }> {
  const started = performance.now();
  try {
    await promise;
  } catch (error) {
    if (!(error instanceof OnnxError)) throw error;
    return { error, ms: performance.now() - started };
  }
  throw new Error("expected a rejection");
}

describe("model files are checked before anything reads them", () => {
  const refusal = (why: string) => `Model "scoring model" cannot be loaded: ${why}`;

  it("refuses a FIFO nobody writes to, at once", async () => {
    const fifo = path.join(dir, "pipe.onnx");
    execFileSync("mkfifo", [fifo]);
    const runtime = await createOnnxRuntime(cpu);
    const { error, ms } = await rejection(runtime.load(fifo, { name: "scoring model" }));
    expect(error.message).toBe(
      refusal("it is a named pipe (FIFO), not a regular file. Choose an .onnx file."),
    );
    expect(error.code).toBe("ONNX_MODEL_FILE_REFUSED");
    expect(ms).toBeLessThan(1000);
  });

  it("refuses /dev/zero, also behind a symbolic link", async () => {
    const runtime = await createOnnxRuntime(cpu);
    const expected = refusal("it is a character device, not a regular file. Choose an .onnx file.");
    await expect(runtime.load("/dev/zero", { name: "scoring model" })).rejects.toThrow(expected);
    const link = path.join(dir, "zero-link.onnx");
    symlinkSync("/dev/zero", link);
    const { error, ms } = await rejection(runtime.load(link, { name: "scoring model" }));
    expect(error.message).toBe(expected);
    expect(ms).toBeLessThan(1000);
  });

  it("refuses a folder, a missing file and an empty file", async () => {
    const runtime = await createOnnxRuntime(cpu);
    const folder = path.join(dir, "folder.onnx");
    mkdirSync(folder);
    await expect(runtime.load(folder, { name: "scoring model" })).rejects.toThrow(
      refusal("it is a folder, not a regular file. Choose an .onnx file."),
    );
    await expect(runtime.load(path.join(dir, "nope.onnx"), { name: "scoring model" })).rejects.toThrow(
      refusal("its file does not exist."),
    );
    const empty = path.join(dir, "empty.onnx");
    writeFileSync(empty, "");
    await expect(runtime.load(empty, { name: "scoring model" })).rejects.toThrow(
      refusal("its file is empty."),
    );
  });

  it("refuses a file over the size cap before reading it", async () => {
    const runtime = await createOnnxRuntime({ ...cpu, limits: { maxModelBytes: 10 } });
    const size = addOneModel(["batch", 4]).byteLength;
    await expect(runtime.load(addOnePath, { name: "scoring model" })).rejects.toThrow(
      refusal(
        `its file is ${size} bytes, larger than the 10 bytes limit for model files (ORT_MAX_MODEL_BYTES). ` +
          "Use a smaller model, or ask the administrator to raise the limit.",
      ),
    );
  });

  it("reads the limits from the environment, naming a bad variable", () => {
    expect(readOnnxLimits({})).toEqual({
      maxModelBytes: 8 * 1024 ** 3,
      loadTimeoutMs: 180_000,
      runTimeoutMs: 600_000,
      deviceMemoryBytes: 0,
      shareWeights: "auto",
    });
    expect(readOnnxLimits({ ORT_LOAD_TIMEOUT_MS: "60000" }).loadTimeoutMs).toBe(60_000);
    expect(() => readOnnxLimits({ ORT_RUN_TIMEOUT_MS: "soon" })).toThrow(/ORT_RUN_TIMEOUT_MS/);
  });

  it("still loads and runs a real model within the limits", async () => {
    const runtime = await createOnnxRuntime({
      ...cpu,
      limits: { loadTimeoutMs: 30_000, runTimeoutMs: 30_000 },
    });
    const model = await runtime.load(addOnePath, { name: "add-one" });
    const out = await model.run({
      x: { type: "float32", data: new Float32Array([1, 2, 3, 4]), dims: [1, 4] },
    });
    expect(out.y?.type === "float32" ? Array.from(out.y.data) : null).toEqual([2, 3, 4, 5]);
  });
});

describe("loads are bounded", () => {
  it("a load that never finishes times out with a message naming the model", async () => {
    const createSession: SessionFactory = () => never();
    const runtime = await createOnnxRuntime({ ...cpu, limits: { loadTimeoutMs: 200 } }, { createSession });
    const { error, ms } = await rejection(runtime.load(uniqueFile(), { name: "scoring model" }));
    expect(error.message).toBe(
      'Model "scoring model" took longer than 0.2 s to load and was abandoned. ' +
        "Use a smaller model, or ask the administrator to raise ORT_LOAD_TIMEOUT_MS.",
    );
    expect(error.code).toBe("ONNX_TIMEOUT");
    expect(ms).toBeLessThan(2000);
  });

  it("cancel ends a load that hangs, through the run's signal scope", async () => {
    const createSession: SessionFactory = () => never();
    const runtime = await createOnnxRuntime({ ...cpu, limits: { loadTimeoutMs: 60_000 } }, { createSession });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const { error, ms } = await rejection(
      withOnnxSignal(controller.signal, () => runtime.load(uniqueFile(), { name: "unet" })),
    );
    expect(error.message).toBe('Loading model "unet" was cancelled.');
    expect(ms).toBeLessThan(2000);
  });

  it("a session that arrives after its load was abandoned is released, not cached", async () => {
    const release = vi.fn(async () => undefined);
    let calls = 0;
    const createSession: SessionFactory = async () => {
      calls += 1;
      const late = calls === 1;
      await new Promise((resolve) => setTimeout(resolve, late ? 300 : 0));
      return fakeSession(async () => ({}), late ? release : undefined);
    };
    const runtime = await createOnnxRuntime({ ...cpu, limits: { loadTimeoutMs: 100 } }, { createSession });
    const file = uniqueFile();
    await expect(runtime.load(file)).rejects.toThrow(/took longer than 0\.1 s to load/);
    await new Promise((resolve) => setTimeout(resolve, 400));
    expect(release).toHaveBeenCalledTimes(1);
    const before = sessionCreationCount();
    await runtime.load(file);
    expect(sessionCreationCount()).toBe(before + 1);
    expect(calls).toBe(2);
  });
});

describe("runs are bounded", () => {
  it("a run that never returns times out", async () => {
    const createSession: SessionFactory = async () => fakeSession(() => never());
    const runtime = await createOnnxRuntime({ ...cpu, limits: { runTimeoutMs: 150 } }, { createSession });
    const model = await runtime.load(uniqueFile(), { name: "scoring model" });
    const { error, ms } = await rejection(model.run(feeds));
    expect(error.message).toBe(
      'Model "scoring model" took longer than 0.15 s to run once and was stopped. ' +
        "Use fewer steps or a smaller image or model, or ask the administrator to raise ORT_RUN_TIMEOUT_MS.",
    );
    expect(ms).toBeLessThan(2000);
  });

  it("a run that blocks the thread past its deadline still counts as timed out", async () => {
    // onnxruntime-node runs synchronously: the timer cannot interrupt, the elapsed-time check catches it.
    const createSession: SessionFactory = async () =>
      fakeSession(async () => {
        const until = performance.now() + 80;
        while (performance.now() < until) {
          // busy, like a native call
        }
        return {};
      });
    const runtime = await createOnnxRuntime({ ...cpu, limits: { runTimeoutMs: 20 } }, { createSession });
    const model = await runtime.load(uniqueFile(), { name: "unet" });
    await expect(model.run(feeds)).rejects.toThrow(/^Model "unet" took longer than 0\.02 s to run once/);
  });

  it("a call given up on keeps its input tensors until the native call settles", async () => {
    let finish: (() => void) | undefined;
    let seen: Record<string, ort.Tensor> | undefined;
    const createSession: SessionFactory = async () =>
      fakeSession((inputs) => {
        seen = inputs as Record<string, ort.Tensor>;
        return new Promise((resolve) => {
          finish = () => resolve({});
        });
      });
    const runtime = await createOnnxRuntime({ ...cpu, limits: { runTimeoutMs: 50 } }, { createSession });
    const model = await runtime.load(uniqueFile(), { name: "unet" });
    await expect(model.run(feeds)).rejects.toThrow(/took longer than 0\.05 s to run once/);
    // Still running natively: its inputs must stay readable.
    expect(seen?.x?.data).toBeInstanceOf(Float32Array);
    finish?.();
    await new Promise((resolve) => setTimeout(resolve, 0));
    expect(() => seen?.x?.data).toThrow(/disposed/);
  });

  it("cancel stops a hanging run; a cancelled scope runs nothing more", async () => {
    const run = vi.fn(() => never<ort.InferenceSession.ReturnType>());
    const createSession: SessionFactory = async () => fakeSession(run);
    const runtime = await createOnnxRuntime({ ...cpu, limits: { runTimeoutMs: 60_000 } }, { createSession });
    const model = await runtime.load(uniqueFile(), { name: "unet" });
    const controller = new AbortController();
    setTimeout(() => controller.abort(), 100);
    const { error, ms } = await rejection(withOnnxSignal(controller.signal, () => model.run(feeds)));
    expect(error.message).toBe('Running model "unet" was cancelled.');
    expect(ms).toBeLessThan(2000);
    await expect(withOnnxSignal(controller.signal, () => model.run(feeds))).rejects.toThrow(
      'Running model "unet" was cancelled.',
    );
    expect(run).toHaveBeenCalledTimes(1);
  });
});
