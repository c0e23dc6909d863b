/**
 * Weights shared between sessions: with ORT_SHARE_WEIGHTS the sessions of the tiny SD-1.5 UNet compute from a
 * mapping of its weights file, and two sessions of two folders that hard-link one weights file (as the VJP
 * cache does) map the same file; without it, no session maps it (each holds its own copy).
 */
import { copyFileSync, linkSync, mkdirSync, mkdtempSync, readFileSync, statSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, describe, expect, it } from "vitest";
import { readOnnxLimits } from "./config";
import { externalDataBytesBeside, SHARE_WEIGHTS_AUTO_MIN_BYTES, sharesWeights } from "./memory-sharing";
import { createOnnxRuntime, releaseCachedSessions } from "./runtime";
import type { HostTensor } from "./types";

const tinyUnet = path.resolve("models/sd_arch/tiny/sd15/unet");

/** Mappings of this process whose file is `file` (by path), from /proc/self/smaps. */
function mappingsOf(file: string): number {
  const smaps = readFileSync("/proc/self/smaps", "utf8");
  let count = 0;
  for (const line of smaps.split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s+(.+)$/.exec(line);
    if (header?.[1] === file) count += 1;
  }
  return count;
}

/** A folder holding a copy of the tiny UNet's graph and a hard link to its weights (the VJP cache's layout). */
function linkedFolder(root: string, name: string): string {
  const dir = path.join(root, name);
  mkdirSync(dir);
  copyFileSync(path.join(tinyUnet, "model.onnx"), path.join(dir, "model.onnx"));
  linkSync(path.join(tinyUnet, "weights.pb"), path.join(dir, "weights.pb"));
  return dir;
}

function feeds(): Record<string, HostTensor> {
  const sample = new Float32Array(4 * 8 * 8).map((_, i) => Math.sin(i));
  const context = new Float32Array(8 * 32).map((_, i) => Math.cos(i));
  return {
    sample: { type: "float32", data: sample, dims: [1, 4, 8, 8] },
    timestep: { type: "float32", data: new Float32Array([500]), dims: [1] },
    encoder_hidden_states: { type: "float32", data: context, dims: [1, 8, 32] },
  };
}

afterAll(async () => {
  await releaseCachedSessions();
});

describe("the decision", () => {
  it("auto shares large external data on the CPU only; on and off force it; no external data, no sharing", () => {
    const big = SHARE_WEIGHTS_AUTO_MIN_BYTES;
    expect(sharesWeights({ setting: "auto", provider: "cpu", externalDataBytes: big })).toBe(true);
    expect(sharesWeights({ setting: "auto", provider: "cpu", externalDataBytes: big - 1 })).toBe(false);
    expect(sharesWeights({ setting: "auto", provider: "webgpu", externalDataBytes: big })).toBe(false);
    expect(sharesWeights({ setting: "on", provider: "cpu", externalDataBytes: 1 })).toBe(true);
    expect(sharesWeights({ setting: "on", provider: "cpu", externalDataBytes: 0 })).toBe(false);
    expect(sharesWeights({ setting: "off", provider: "cpu", externalDataBytes: big })).toBe(false);
  });

  it("reads ORT_SHARE_WEIGHTS, naming it when wrong", () => {
    expect(readOnnxLimits({}).shareWeights).toBe("auto");
    expect(readOnnxLimits({ ORT_SHARE_WEIGHTS: "OFF" }).shareWeights).toBe("off");
    expect(() => readOnnxLimits({ ORT_SHARE_WEIGHTS: "sometimes" })).toThrow(/ORT_SHARE_WEIGHTS/);
  });

  it("counts the data files beside a model, not its graph or configs", () => {
    expect(externalDataBytesBeside(path.join(tinyUnet, "model.onnx"))).toBe(
      statSync(path.join(tinyUnet, "weights.pb")).size,
    );
  });
});

describe.runIf(process.platform === "linux")("sessions of the tiny SD-1.5 UNet", () => {
  it("map one hard-linked weights file from two folders when shared, and compute what a private copy computes", async () => {
    const root = mkdtempSync(path.join(tmpdir(), "dno-share-"));
    const forward = linkedFolder(root, "forward");
    const other = linkedFolder(root, "other");
    const privateCopy = linkedFolder(root, "private");
    const shared = await createOnnxRuntime({
      executionProvider: "cpu",
      intraOpThreads: 1,
      limits: { shareWeights: "on" },
    });
    const unshared = await createOnnxRuntime({
      executionProvider: "cpu",
      intraOpThreads: 1,
      limits: { shareWeights: "off" },
    });
    const a = await shared.load(path.join(forward, "model.onnx"));
    const b = await shared.load(path.join(other, "model.onnx"));
    const c = await unshared.load(path.join(privateCopy, "model.onnx"));
    // One inode, mapped by both shared sessions (the page cache holds its pages once).
    expect(statSync(path.join(forward, "weights.pb")).ino).toBe(statSync(path.join(other, "weights.pb")).ino);
    expect(mappingsOf(path.join(forward, "weights.pb"))).toBeGreaterThan(0);
    expect(mappingsOf(path.join(other, "weights.pb"))).toBeGreaterThan(0);
    // The private session read its weights into its own memory: nothing of the file stays mapped.
    expect(mappingsOf(path.join(privateCopy, "weights.pb"))).toBe(0);
    const [outA, outB, outC] = await Promise.all([a.run(feeds()), b.run(feeds()), c.run(feeds())]);
    const [x, y, z] = [outA.out_sample!.data, outB.out_sample!.data, outC.out_sample!.data];
    expect(x.length).toBe(4 * 8 * 8);
    let maxDiff = 0;
    for (let i = 0; i < x.length; i++)
      maxDiff = Math.max(
        maxDiff,
        Math.abs(Number(x[i]) - Number(z[i])),
        Math.abs(Number(x[i]) - Number(y[i])),
      );
    // Other kernels (no NCHWc, no prepacking) sum in another order: float rounding only.
    expect(maxDiff).toBeLessThan(1e-4);
  }, 120_000);
});
