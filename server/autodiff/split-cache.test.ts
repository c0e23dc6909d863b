/**
 * Cached split VJP models (store mode): built once then read back, rebuilt when corrupt, and — for the tiny
 * SD-1.5-architecture UNet, whose weights live in unet/weights.pb — both parts load from the cache through the
 * app's runtime and (b)∘(a) equals the whole VJP model.
 */
import { existsSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { createOnnxRuntime } from "../onnx/runtime";
import type { HostTensor } from "../onnx/types";
import { getVjpModelForFile } from "./cache";
import { getSplitVjpModelForFile } from "./split-cache";
import { cotangentInputName, gradientOutputName } from "./vjp";

const dirs: string[] = [];
afterAll(() => {
  for (const dir of dirs) rmSync(dir, { recursive: true, force: true });
});
function tempDir(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "dno-split-cache-"));
  dirs.push(dir);
  return dir;
}

const BUNDLED_UNET = path.resolve(import.meta.dirname, "../../models/tiny-shapes-sd/unet/model.onnx");
const TINY_SD15_UNET = path.resolve(import.meta.dirname, "../../models/sd_arch/tiny/sd15/unet/model.onnx");
const runtimePromise = createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });

function seeded(seed: number, count: number): Float32Array {
  let state = seed >>> 0;
  return Float32Array.from({ length: count }, () => {
    state = (Math.imul(state, 1664525) + 1013904223) >>> 0;
    return state / 2 ** 31 - 1;
  });
}

/** (b)∘(a) through the app's runtime, and the whole VJP model's gradient, for the same feeds. */
async function bothGradients(
  modelFile: string,
  cacheDir: string,
  feeds: Record<string, HostTensor>,
  cotangent: HostTensor,
): Promise<{ split: Float32Array; whole: Float32Array; residualCount: number }> {
  const runtime = await runtimePromise;
  const entry = await getSplitVjpModelForFile(
    modelFile,
    { wrt: ["sample"], of: "out_sample" },
    { dir: cacheDir },
  );
  const forward = await runtime.load(entry.forwardFile, { name: "forward" });
  const backward = await runtime.load(entry.backwardFile, { name: "backward" });
  const outputs = await forward.run(feeds);
  const backwardFeeds: Record<string, HostTensor> = { [cotangentInputName("out_sample")]: cotangent };
  for (const input of backward.inputs) {
    if (input.name in backwardFeeds) continue;
    const value = outputs[input.name] ?? feeds[input.name];
    if (!value) throw new Error(`no value for backward input ${input.name}`);
    backwardFeeds[input.name] = value;
  }
  const splitOut = (await backward.run(backwardFeeds))[gradientOutputName("sample")];
  const vjpEntry = await getVjpModelForFile(
    modelFile,
    { wrt: ["sample"], of: "out_sample" },
    { dir: cacheDir },
  );
  const vjp = await runtime.load(vjpEntry.file, { name: "vjp" });
  const wholeOut = (await vjp.run({ ...feeds, [cotangentInputName("out_sample")]: cotangent }))[
    gradientOutputName("sample")
  ];
  if (splitOut?.type !== "float32" || wholeOut?.type !== "float32") throw new Error("no float32 gradient");
  return { split: splitOut.data, whole: wholeOut.data, residualCount: entry.residuals.length };
}

function expectClose(split: Float32Array, whole: Float32Array, relative: number): void {
  expect(split.length).toBe(whole.length);
  let worst = 0;
  let scale = 0;
  for (let i = 0; i < whole.length; i++) {
    worst = Math.max(worst, Math.abs(split[i]! - whole[i]!));
    scale = Math.max(scale, Math.abs(whole[i]!));
  }
  expect(scale).toBeGreaterThan(0);
  expect(worst, `max |split − whole| vs max |whole| ${scale}`).toBeLessThanOrEqual(relative * scale);
}

describe.skipIf(!existsSync(BUNDLED_UNET))("split VJP cache", () => {
  it("builds once, then reads back; a corrupt entry is rebuilt", async () => {
    const dir = tempDir();
    const request = { wrt: ["sample"], of: "out_sample" };
    const first = await getSplitVjpModelForFile(BUNDLED_UNET, request, { dir });
    expect(first.source).toBe("built");
    expect(first.residuals.length).toBeGreaterThan(0);
    const again = await getSplitVjpModelForFile(BUNDLED_UNET, request, { dir });
    expect(again.source).toBe("hit");
    expect(again.residuals).toEqual(first.residuals);
    writeFileSync(first.backwardFile, "not a model");
    const rebuilt = await getSplitVjpModelForFile(BUNDLED_UNET, request, { dir });
    expect(rebuilt.source).toBe("built");
  }, 60_000);

  it("bundled UNet: (b)∘(a) through the runtime equals the VJP model", async () => {
    const { split, whole } = await bothGradients(
      BUNDLED_UNET,
      tempDir(),
      {
        sample: { type: "float32", dims: [2, 4, 8, 8], data: seeded(1, 512) },
        timestep: { type: "int64", dims: [2], data: BigInt64Array.from([981n, 421n]) },
        encoder_hidden_states: { type: "float32", dims: [2, 16, 64], data: seeded(2, 2048) },
      },
      { type: "float32", dims: [2, 4, 8, 8], data: seeded(3, 512) },
    );
    expectClose(split, whole, 1e-5);
  }, 120_000);
});

describe.skipIf(!existsSync(TINY_SD15_UNET))(
  "split VJP of the tiny SD-1.5-architecture UNet (external data)",
  () => {
    it("both parts load from the cache and (b)∘(a) equals the VJP model", async () => {
      const { split, whole, residualCount } = await bothGradients(
        TINY_SD15_UNET,
        tempDir(),
        {
          sample: { type: "float32", dims: [2, 4, 8, 8], data: seeded(4, 512) },
          timestep: { type: "float32", dims: [2], data: Float32Array.from([801, 801]) },
          encoder_hidden_states: { type: "float32", dims: [2, 77, 32], data: seeded(5, 2 * 77 * 32) },
        },
        { type: "float32", dims: [2, 4, 8, 8], data: seeded(6, 512) },
      );
      expect(residualCount).toBeGreaterThan(0);
      expectClose(split, whole, 1e-5);
    }, 900_000);
  },
);
