/**
 * Single-file scorers share their weights like external-data models (scorer-file.ts, autodiff/external-copy.ts):
 * the committed tiny aesthetic scorer (one .onnx, weights inside) with the size threshold lowered loads its
 * forward and VJP sessions from the external-data copy, both sessions map the one hard-linked `weights.pb`, the
 * upload itself is untouched, and scores and gradients equal those of the single file loaded as it is.
 */
import { createHash } from "node:crypto";
import { copyFileSync, mkdtempSync, readFileSync, statSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { EXTERNAL_WEIGHTS_FILE, getExternalCopy } from "@/server/autodiff/external-copy";
import { decodeModel } from "@/server/autodiff/proto";
import type { ImageBatch } from "@/server/dno/rewards/reward";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import type { OnnxRuntime } from "@/server/onnx/types";
import { createCustomOnnxReward } from "./custom-reward";
import { scorerSessionFile } from "./scorer-file";

const committed = path.resolve(import.meta.dirname, "../../models/sd_arch/tiny/aesthetic/model.onnx");
const sha256 = (file: string) => createHash("sha256").update(readFileSync(file)).digest("hex");

/** How many mappings of `file` this process holds (a session computing from a mapped weights file). */
function mappingsOf(file: string): number {
  let count = 0;
  for (const line of readFileSync("/proc/self/smaps", "utf8").split("\n")) {
    const header = /^[0-9a-f]+-[0-9a-f]+ \S+ \S+ \S+ \S+\s+(.+)$/.exec(line);
    if (header?.[1] === file) count += 1;
  }
  return count;
}

/** An upload as the asset store keeps it: in a folder of its own, named by its hash. */
function storedUpload(): string {
  const dir = mkdtempSync(path.join(tmpdir(), "dno-scorer-upload-"));
  const file = path.join(dir, `${sha256(committed)}.onnx`);
  copyFileSync(committed, file);
  return file;
}

function picture(): ImageBatch {
  const size = 48;
  const data = Float32Array.from(
    { length: 2 * 3 * size * size },
    (_, i) => 0.8 * Math.sin(0.37 * i) * Math.cos(0.011 * i),
  );
  return { data, batch: 2, channels: 3, height: size, width: size };
}

/** The runtime, recording which files it is asked to load. */
function recording(onnx: OnnxRuntime, loaded: string[]): OnnxRuntime {
  const spy = Object.create(onnx) as OnnxRuntime;
  spy.load = (file, options) => {
    loaded.push(file);
    return onnx.load(file, options);
  };
  return spy;
}

const settings = {
  id: "aesthetic",
  modelAsset: "tiny-aesthetic",
  scorerInput: "clip" as const,
  resize: 224,
  mean: [0.5, 0.5, 0.5] as const,
  std: [0.5, 0.5, 0.5] as const,
  outputIndex: 0,
};

describe.runIf(process.platform === "linux")("a large single-file scorer", () => {
  it("loads forward and VJP from one external-data copy whose weights both sessions map; scores and gradients unchanged", async () => {
    const upload = storedUpload();
    const uploadHash = sha256(upload);
    const vjpCache = { dir: mkdtempSync(path.join(tmpdir(), "dno-scorer-cache-")) };
    const onnx = await createOnnxRuntime({
      executionProvider: "cpu",
      intraOpThreads: 1,
      limits: { shareWeights: "auto" },
    });
    const loaded: string[] = [];
    const shared = await createCustomOnnxReward(settings, recording(onnx, loaded), {
      where: "Reward “Aesthetic”",
      assets: { scorerFile: async () => upload },
      vjpCache,
      weightSharing: { minBytes: 64 * 1024 },
    });
    const single = await createCustomOnnxReward(settings, onnx, {
      where: "Reward “Aesthetic”",
      assets: { scorerFile: async () => upload },
      vjpCache,
      weightSharing: { setting: "off" },
    });
    const images = picture();
    const a = await shared.valueAndGradient!(images);
    const b = await single.valueAndGradient!(images);

    // Both sessions were loaded from the copy's folder and the VJP cache, never from the upload.
    const copyDir = path.join(vjpCache.dir, "external", uploadHash);
    expect(loaded).toHaveLength(2);
    expect(loaded[0]).toBe(path.join(copyDir, "model.onnx"));
    const vjpDir = path.dirname(loaded[1]!);
    expect(vjpDir).not.toBe(copyDir);
    const copyWeights = path.join(copyDir, EXTERNAL_WEIGHTS_FILE);
    const vjpWeights = path.join(vjpDir, EXTERNAL_WEIGHTS_FILE);
    // One file (hard link), mapped by the forward session under one name and by the VJP session under the other.
    expect(statSync(vjpWeights).ino).toBe(statSync(copyWeights).ino);
    expect(mappingsOf(copyWeights)).toBeGreaterThan(0);
    expect(mappingsOf(vjpWeights)).toBeGreaterThan(0);
    // The graphs are small: their large initializers all point into weights.pb.
    const forward = decodeModel(readFileSync(loaded[0]!));
    const external = forward.graph.initializers.filter((tensor) => tensor.dataLocation === 1);
    expect(external.length).toBeGreaterThan(10);
    expect(statSync(loaded[0]!).size).toBeLessThan(statSync(upload).size / 4);
    expect(statSync(loaded[1]!).size).toBeLessThan(statSync(upload).size / 2);
    // The upload is untouched and the copy says whose it is.
    expect(sha256(upload)).toBe(uploadHash);
    expect(JSON.parse(readFileSync(path.join(copyDir, "entry.json"), "utf8"))).toMatchObject({
      sourceSha256: uploadHash,
      tensors: external.length,
    });

    // Same numbers: the shared sessions skip some graph rewrites (memory-sharing.ts), hence the tolerance.
    for (let i = 0; i < a.scores.length; i++) expect(a.scores[i]).toBeCloseTo(b.scores[i]!, 5);
    let norm = 0;
    let difference = 0;
    for (let i = 0; i < b.gradient.length; i++) {
      norm += b.gradient[i]! ** 2;
      difference += (a.gradient[i]! - b.gradient[i]!) ** 2;
    }
    expect(norm).toBeGreaterThan(0);
    expect(Math.sqrt(difference / norm)).toBeLessThan(1e-4);
  }, 180_000);

  it("reuses a verified copy, rewrites a damaged one, refuses an upload that changed, and leaves small ones alone", async () => {
    const upload = storedUpload();
    const vjpCache = { dir: mkdtempSync(path.join(tmpdir(), "dno-scorer-cache-")) };
    const first = await getExternalCopy(upload, vjpCache);
    expect(first.source).toBe("written");
    expect((await getExternalCopy(upload, vjpCache)).source).toBe("hit");
    writeFileSync(first.file, Buffer.from("not a model"));
    const again = await getExternalCopy(upload, vjpCache);
    expect(again).toMatchObject({ source: "written", rejected: "model.onnx checksum mismatch" });
    expect(readFileSync(again.file).length).toBeGreaterThan(1000);

    await expect(getExternalCopy(upload, { ...vjpCache, expectedSha256: "0".repeat(64) })).rejects.toThrow(
      "the stored model file no longer matches its recorded sha256",
    );
    // Below the threshold (512 MiB by default), with sharing off, or on a GPU: the upload itself loads.
    expect(await scorerSessionFile(upload, { provider: "cpu", setting: "auto", vjpCache })).toBe(upload);
    expect(await scorerSessionFile(upload, { provider: "cpu", setting: "off", minBytes: 0, vjpCache })).toBe(
      upload,
    );
    expect(await scorerSessionFile(upload, { provider: "cuda", minBytes: 0, vjpCache })).toBe(upload);
    expect(
      await scorerSessionFile(upload, { provider: "cpu", setting: "auto", minBytes: 1024, vjpCache }),
    ).toBe(again.file);
  }, 60_000);
});
