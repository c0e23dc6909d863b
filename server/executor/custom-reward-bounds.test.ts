/**
 * A scoring model whose file is special or whose load hangs fails at its Reward node with the runtime's own
 * sentence (never "upload a valid ONNX file", which would send the user the wrong way).
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { AssetFiles } from "@/server/assets/asset-store";
import { createOnnxRuntime, type SessionFactory } from "@/server/onnx/runtime";
import { type CustomRewardSettings, createCustomOnnxReward } from "./custom-reward";

const settings: CustomRewardSettings = {
  id: "custom",
  modelAsset: "casset0000000001",
  resize: 3,
  mean: [0.4, 0.5, 0.6],
  std: [0.2, 0.3, 0.25],
  outputIndex: 0,
};
/** An asset store that hands out a chosen file (the real one only hands out regular uploaded files). */
const storeOf = (file: string): AssetFiles => ({ scorerFile: async () => file });

describe("custom reward under the runtime's bounds", () => {
  it("a load that hangs times out at the Reward node with the runtime's message", async () => {
    const file = path.join(mkdtempSync(path.join(tmpdir(), "dno-scorer-bounds-")), "scorer.onnx");
    writeFileSync(file, `not loaded anyway ${Math.random()}`);
    const createSession: SessionFactory = () => new Promise(() => undefined);
    const onnx = await createOnnxRuntime(
      { executionProvider: "cpu", intraOpThreads: 1, limits: { loadTimeoutMs: 200 } },
      { createSession },
    );
    const started = performance.now();
    await expect(
      createCustomOnnxReward(settings, onnx, { where: "Reward “Mine”", assets: storeOf(file) }),
    ).rejects.toMatchObject({
      code: "MODEL_UNAVAILABLE",
      nodeId: "custom",
      message:
        'Reward “Mine”: Model "scoring model" took longer than 0.2 s to load and was abandoned. ' +
        "Use a smaller model, or ask the administrator to raise ORT_LOAD_TIMEOUT_MS.",
    });
    expect(performance.now() - started).toBeLessThan(2000);
  });

  it("a character device is refused at once, naming the node", async () => {
    const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
    await expect(
      createCustomOnnxReward(settings, onnx, { where: "Reward “Mine”", assets: storeOf("/dev/zero") }),
    ).rejects.toMatchObject({
      nodeId: "custom",
      message:
        'Reward “Mine”: Model "scoring model" cannot be loaded: it is a character device, not a regular file. Choose an .onnx file.',
    });
  });
});
