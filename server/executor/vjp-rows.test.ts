/**
 * Per-row UNet VJP calls (vjp-rows.ts): which UNets get them, and that pulling the CFG rows back one per call
 * gives the gradient of one call over all rows — on the tiny SD-1.5 export (8×8 latents, 2 images = 4 rows,
 * 2 DDIM steps with eta 1, CFG 3). What the test waits for is ONNX Runtime building the UNet VJP session (once:
 * both chains share the runtime and the VJP cache).
 */
import { mkdirSync, mkdtempSync, rmSync, truncateSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { loadModelFolder } from "@/server/models/folder";
import { createRng } from "@/server/models/rng";
import { encodePrompts, latentSize } from "@/server/models/sampler";
import { copyTinySdArch } from "@/server/models/testing/sd-arch-copy";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { addOneModel } from "@/server/onnx/tiny-onnx";
import { DiffusionChain, type SamplerSettings } from "./chain";
import { PER_ROW_VJP_MIN_BYTES, unetVjpRowsPerCall } from "./vjp-rows";

const scratch: string[] = [];
afterAll(() => {
  for (const dir of scratch) rmSync(dir, { recursive: true, force: true });
});

function scratchDir(prefix: string): string {
  const dir = mkdtempSync(path.join(tmpdir(), prefix));
  scratch.push(dir);
  return dir;
}

describe("rows per UNet VJP call", () => {
  /** A UNet folder whose external data takes `bytes` (a sparse file: no disk used). */
  function unetWithWeights(bytes: number) {
    const dir = path.join(scratchDir("dno-vjp-rows-"), "unet");
    mkdirSync(dir);
    writeFileSync(path.join(dir, "model.onnx"), addOneModel([1, 4]));
    writeFileSync(path.join(dir, "weights.pb"), "");
    truncateSync(path.join(dir, "weights.pb"), bytes);
    return { fixedBatch: { unet: null }, unet: { path: path.join(dir, "model.onnx") } };
  }

  it("one row for UNets with 512 MiB of weights or more, all rows below, a fixed batch as exported", () => {
    expect(unetVjpRowsPerCall(unetWithWeights(PER_ROW_VJP_MIN_BYTES), 4)).toBe(1);
    expect(unetVjpRowsPerCall(unetWithWeights(64 * 1024 ** 2), 4)).toBe(4);
    // A request overrides the size rule; a fixed-batch export overrides both.
    expect(unetVjpRowsPerCall(unetWithWeights(64 * 1024 ** 2), 4, 2)).toBe(2);
    const fixed = { ...unetWithWeights(PER_ROW_VJP_MIN_BYTES), fixedBatch: { unet: 2 } };
    expect(unetVjpRowsPerCall(fixed, 4, 1)).toBe(2);
    expect(() => unetVjpRowsPerCall(unetWithWeights(0), 4, 3)).toThrow(/does not divide 4 rows/);
  });
});

describe("per-row UNet VJP on the tiny SD-1.5 export", () => {
  it("gives the gradient of one call over all CFG rows (to 1e-5), in one call per row", async () => {
    const dir = scratchDir("dno-vjp-rows-sd15-");
    copyTinySdArch("sd15", dir);
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const model = await loadModelFolder(dir, { runtime: onnx });
    const cache = { dir: path.join(dir, ".vjp") };
    const batched = new DiffusionChain(model, onnx, cache);
    const perRow = new DiffusionChain(model, onnx, cache, { vjpRowsPerCall: 1 });
    await batched.prepareBackward();
    await perRow.prepareBackward();
    const settings: SamplerSettings = { steps: 2, eta: 1, guidanceScale: 3 };
    const conditioning = await encodePrompts(model, ["a red circle", "a blue square on grass"]);
    const n = 2 * latentSize(model);
    const rng = createRng(11);
    const random = () => Float32Array.from({ length: n }, () => rng.normal());
    const xT = random();
    const z = [random(), random()];
    const forward = await batched.forward(conditioning, xT, z, settings);
    const x0Gradient = random();

    const backward = async (chain: DiffusionChain) => {
      onnx.resetStats();
      const gradient = await chain.samplerBackward(conditioning, forward.latents, x0Gradient, settings, {
        stepNoiseGradients: true,
      });
      return { gradient, calls: onnx.stats().runCalls };
    };
    const all = await backward(batched);
    const rows = await backward(perRow);
    // Small UNets keep one call over the 4 rows per step; per row: 4 calls per step.
    expect(all.calls).toBe(2);
    expect(rows.calls).toBe(8);
    const flat = (g: typeof all.gradient) => [g.xT, ...(g.stepNoises ?? [])];
    const expected = flat(all.gradient);
    const actual = flat(rows.gradient);
    let scale = 0;
    for (const part of expected) for (const value of part) scale = Math.max(scale, Math.abs(value));
    expect(scale).toBeGreaterThan(0);
    for (const [index, part] of expected.entries()) {
      const other = actual[index]!;
      let worst = 0;
      for (let i = 0; i < part.length; i++) worst = Math.max(worst, Math.abs(part[i]! - other[i]!));
      expect(worst / scale).toBeLessThan(1e-5);
    }
  }, 600_000);
});
