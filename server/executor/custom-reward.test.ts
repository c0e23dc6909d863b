import { createHash } from "node:crypto";
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { type AssetFiles, assetLocation, assetStorageKey } from "@/server/assets/asset-store";
import type { ImageBatch, Reward } from "@/server/dno/rewards/reward";
import { createRng } from "@/server/models/rng";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { buildTinyOnnx } from "@/server/onnx/tiny-onnx";
import { createAssetFiles } from "@/server/services/assets/resolve-asset-file";
import { createTestDatabase, type TestDatabase } from "@/server/services/test-database";
import { CLIP_SIZE, clipPreprocess } from "./clip-preprocess";
import { bilinearTaps, type CustomRewardSettings, createCustomOnnxReward, preprocess } from "./custom-reward";

/** A scorer: two 1×1-conv channels through tanh, averaged over the image → [batch, 2]. */
function scorerBytes(): Uint8Array {
  return buildTinyOnnx({
    inputs: [{ name: "pixels", type: "float32", shape: ["batch", 3, "h", "w"] }],
    outputs: [{ name: "scores", type: "float32", shape: ["batch", 2] }],
    initializers: [{ name: "weight", dims: [2, 3, 1, 1], values: [0.8, -0.5, 0.3, -0.2, 0.6, 0.9] }],
    nodes: [
      { op: "Conv", inputs: ["pixels", "weight"], outputs: ["conv"] },
      { op: "Tanh", inputs: ["conv"], outputs: ["act"] },
      {
        op: "ReduceMean",
        inputs: ["act"],
        outputs: ["scores"],
        intsAttributes: { axes: [2, 3] },
        intAttributes: { keepdims: 0 },
      },
    ],
  });
}

/** Stores the scorer as an uploaded asset (row + file under the store), as an upload would. */
async function storeScorer(database: TestDatabase, dataDir: string): Promise<string> {
  const bytes = scorerBytes();
  const sha256 = createHash("sha256").update(bytes).digest("hex");
  const file = assetLocation("scorer", sha256, dataDir);
  mkdirSync(path.dirname(file), { recursive: true });
  writeFileSync(file, bytes);
  const asset = await database.db.asset.create({
    data: {
      kind: "scorer",
      name: "scorer.onnx",
      sha256,
      byteSize: bytes.length,
      storageKey: assetStorageKey("scorer", sha256),
    },
  });
  return asset.id;
}

let reward: Reward;
let database: TestDatabase;
let assets: AssetFiles;
let scorerId: string;
const settings = (assetId: string): CustomRewardSettings => ({
  id: "custom",
  modelAsset: assetId,
  resize: 3,
  mean: [0.4, 0.5, 0.6],
  std: [0.2, 0.3, 0.25],
  outputIndex: 1,
});

beforeAll(async () => {
  const dir = mkdtempSync(path.join(tmpdir(), "dno-scorer-"));
  database = await createTestDatabase();
  assets = createAssetFiles(database.ctx, dir);
  scorerId = await storeScorer(database, dir);
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  reward = await createCustomOnnxReward(settings(scorerId), onnx, {
    vjpCache: { dir },
    where: "Reward “Mine”",
    assets,
  });
});

afterAll(async () => {
  await database.close();
});

describe("custom ONNX reward", () => {
  it("resizes with half-pixel bilinear taps (identity at the same size)", () => {
    const same = bilinearTaps(4, 4);
    expect(Array.from(same.i0)).toEqual([0, 1, 2, 3]);
    expect(Array.from(same.w1)).toEqual([0, 0, 0, 0]);
    const image: ImageBatch = {
      data: new Float32Array(3 * 4).fill(0.2),
      batch: 1,
      channels: 3,
      height: 2,
      width: 2,
    };
    const out = preprocess(image, { ...settings("x"), resize: 5 });
    expect(out[0]).toBeCloseTo((0.6 - 0.4) / 0.2, 5);
  });

  it("differentiates preprocessing and the scoring model (central finite differences)", async () => {
    const rng = createRng(3);
    const batch = 2;
    const data = Float32Array.from({ length: batch * 3 * 4 * 4 }, () => rng.uniform() * 1.6 - 0.8);
    const images: ImageBatch = { data, batch, channels: 3, height: 4, width: 4 };
    const { scores, gradient } = await reward.valueAndGradient!(images);
    expect(scores).toHaveLength(batch);
    const direction = Float32Array.from({ length: data.length }, () => rng.normal());
    let analytic = 0;
    for (let i = 0; i < data.length; i++) analytic += gradient[i]! * direction[i]!;
    const h = 1e-2;
    const at = async (sign: number) => {
      const shifted = data.map((v, i) => v + sign * h * direction[i]!);
      const values = await reward.evaluate({ ...images, data: shifted });
      return values[0]! + values[1]!;
    };
    const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
    expect(Math.abs(analytic - numeric)).toBeLessThan(1e-3 * Math.max(1, Math.abs(numeric)));
    expect(Math.abs(numeric)).toBeGreaterThan(1e-3);
  });

  it("finds the scorer only by asset id: unknown ids and paths get one message naming the node", async () => {
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    for (const id of ["cnotuploaded0000", "/dev/zero", "../../../etc/passwd", "scorer.onnx"]) {
      const attempt = createCustomOnnxReward(settings(id), onnx, { where: "Reward “Mine”", assets });
      await expect(attempt).rejects.toMatchObject({
        code: "MODEL_UNAVAILABLE",
        nodeId: "custom",
        message: `Reward “Mine”: the uploaded scoring model “${id}” is not on this server (it was deleted or never uploaded). Upload it again or pick another.`,
      });
    }
  });

  it("refuses an empty choice and a deleted asset", async () => {
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    await expect(
      createCustomOnnxReward(settings(""), onnx, { where: "Reward “Mine”", assets }),
    ).rejects.toThrow(
      "Reward “Mine”: no scoring model is chosen. Upload an ONNX scoring model in the node's “Scoring model” field.",
    );
    await database.db.asset.update({ where: { id: scorerId }, data: { deletedAt: new Date() } });
    try {
      await expect(
        createCustomOnnxReward(settings(scorerId), onnx, { where: "Reward “Mine”", assets }),
      ).rejects.toThrow(/is not on this server \(it was deleted or never uploaded\)/);
    } finally {
      await database.db.asset.update({ where: { id: scorerId }, data: { deletedAt: null } });
    }
  });
});

describe("custom ONNX reward with CLIP scorer input", () => {
  it("a scorer that declares another fixed size is told to use the stretch at its size", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "dno-fixed-")), "fixed.onnx");
    writeFileSync(
      file,
      buildTinyOnnx({
        inputs: [{ name: "image", type: "float32", shape: ["batch", 3, 64, 64] }],
        outputs: [{ name: "score", type: "float32", shape: ["batch", 3] }],
        nodes: [
          {
            op: "ReduceMean",
            inputs: ["image"],
            outputs: ["score"],
            intsAttributes: { axes: [2, 3] },
            intAttributes: { keepdims: 0 },
          },
        ],
      }),
    );
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    await expect(
      createCustomOnnxReward({ ...settings("fixed"), scorerInput: "clip" }, onnx, {
        where: "Reward “Mine”",
        assets: { scorerFile: async () => file },
      }),
    ).rejects.toThrow(
      "Reward “Mine”: the scoring model expects images of 3×64×64, got 3×224×224. Set “Scorer input” to “As set below” and “Input size” to 64.",
    );
  });

  it("feeds the scorer CLIP's 224 px preprocessing and differentiates through it (finite differences)", async () => {
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    const clipReward = await createCustomOnnxReward(
      // Input size and normalization are set to other values: CLIP must ignore them.
      { ...settings(scorerId), scorerInput: "clip" },
      onnx,
      {
        vjpCache: { dir: mkdtempSync(path.join(tmpdir(), "dno-clip-vjp-")) },
        where: "Reward “Mine”",
        assets,
      },
    );
    const rng = createRng(5);
    const batch = 2;
    const size = 64;
    const data = Float32Array.from({ length: batch * 3 * size * size }, () => rng.uniform() * 1.8 - 0.9);
    const images: ImageBatch = { data, batch, channels: 3, height: size, width: size };
    // The scorer by hand on the CLIP input: output 1 is mean(tanh(−0.2 r + 0.6 g + 0.9 b)).
    const input = clipPreprocess(images);
    const plane = CLIP_SIZE * CLIP_SIZE;
    const { scores, gradient } = await clipReward.valueAndGradient!(images);
    for (let b = 0; b < batch; b++) {
      let expected = 0;
      for (let p = 0; p < plane; p++) {
        const at = b * 3 * plane + p;
        expected += Math.tanh(-0.2 * input[at]! + 0.6 * input[at + plane]! + 0.9 * input[at + 2 * plane]!);
      }
      expect(scores[b]).toBeCloseTo(expected / plane, 5);
    }
    const direction = Float32Array.from({ length: data.length }, () => rng.normal());
    let analytic = 0;
    for (let i = 0; i < data.length; i++) analytic += gradient[i]! * direction[i]!;
    const h = 1e-2;
    const at = async (sign: number) => {
      const values = await clipReward.evaluate({
        ...images,
        data: data.map((v, i) => v + sign * h * direction[i]!),
      });
      return values[0]! + values[1]!;
    };
    const numeric = ((await at(1)) - (await at(-1))) / (2 * h);
    expect(Math.abs(numeric)).toBeGreaterThan(1e-3);
    expect(Math.abs(analytic - numeric)).toBeLessThan(2e-3 * Math.max(1, Math.abs(numeric)));
  });
});
