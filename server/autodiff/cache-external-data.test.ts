// Issue 15: VJP models of models whose weights live in an external file (SD UNets: unet/weights.pb) load from
// the cache — the entry gets a folder of its own with the weights linked beside it.
import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxRuntime } from "../onnx/runtime";
import type { HostTensor } from "../onnx/types";
import { constantTensor, singleOpModel } from "./builder";
import { getVjpModelForFile } from "./cache";
import { encodeModel } from "./proto";
import { cotangentInputName, gradientOutputName } from "./vjp";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});

/** y = x·W with W [3, 4] stored in `<folder>/weights.pb`, as the diffusers export stores the UNet's weights. */
function writeExternalModel(folder: string, weights: number[], location = "weights.pb"): string {
  mkdirSync(folder, { recursive: true });
  const model = singleOpModel({
    op: "MatMul",
    opset: 14,
    inputs: [{ name: "x", type: "float32", dims: [2, 3] }, constantTensor("w", "float32", [3, 4], weights)],
    outputs: [{ name: "y", type: "float32", dims: [2, 4] }],
  });
  const tensor = model.graph.initializers[0]!;
  const raw = tensor.rawData as Uint8Array;
  writeFileSync(path.join(folder, "weights.pb"), raw);
  tensor.rawData = new Uint8Array(0);
  tensor.dataLocation = 1;
  tensor.externalData = [
    { key: "location", value: location },
    { key: "offset", value: "0" },
    { key: "length", value: String(raw.length) },
  ];
  const file = path.join(folder, "model.onnx");
  writeFileSync(file, encodeModel(model));
  return file;
}

const runtimePromise = createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });

/** Loads a VJP model file through the app's runtime (as the chain does) and returns dL/dx. */
async function gradientOf(file: string, feeds: Record<string, HostTensor>): Promise<number[]> {
  const model = await (await runtimePromise).load(file, { name: "vjp" });
  const out = (await model.run(feeds))[gradientOutputName("x")];
  if (out?.type !== "float32") throw new Error("no float32 gradient");
  return Array.from(out.data);
}

function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "dno-vjp-external-"));
  dirs.push(dir);
  return dir;
}

describe("VJP cache with external data", () => {
  it("the cached VJP model loads and uses its own model's weights (two folders, same graph file)", async () => {
    const root = tempDir();
    const cache = path.join(root, "cache");
    const weightsA = Array.from({ length: 12 }, (_, i) => i);
    const weightsB = Array.from({ length: 12 }, (_, i) => -2 * i);
    const fileA = writeExternalModel(path.join(root, "a", "unet"), weightsA);
    const fileB = writeExternalModel(path.join(root, "b", "unet"), weightsB);
    const request = { wrt: ["x"], of: "y" };
    const feeds: Record<string, HostTensor> = {
      x: { type: "float32", dims: [2, 3], data: new Float32Array(6).fill(1) },
      [cotangentInputName("y")]: { type: "float32", dims: [2, 4], data: new Float32Array(8).fill(1) },
    };
    for (const [file, weights] of [
      [fileA, weightsA],
      [fileB, weightsB],
    ] as const) {
      const cached = await getVjpModelForFile(file, request, { dir: cache });
      // dL/dx = dy · Wᵀ: with dy = 1, row k of W summed.
      const expected = [0, 1, 2].map((k) => weights.slice(4 * k, 4 * k + 4).reduce((a, b) => a + b, 0));
      expect(await gradientOf(cached.file, feeds)).toEqual([...expected, ...expected]);
    }
    // A second request is a cache hit that still loads.
    const again = await getVjpModelForFile(fileA, request, { dir: cache });
    expect(again.source).toBe("hit");
    expect((await gradientOf(again.file, feeds))[0]).toBe(6);
  });

  it("a location outside the model's folder is refused by name", async () => {
    const root = tempDir();
    const file = writeExternalModel(
      path.join(root, "m"),
      Array.from({ length: 12 }, () => 1),
      "../weights.pb",
    );
    await expect(
      getVjpModelForFile(file, { wrt: ["x"], of: "y" }, { dir: path.join(root, "cache") }),
    ).rejects.toThrow(/names external data "..\/weights.pb" outside its folder/);
  });
});
