import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { describe, expect, it } from "vitest";
import type { OnnxRuntime } from "@/server/onnx/types";
import { OnnxImageClassifier } from "./classifier";

// Never reached: the folder checks fail before anything is loaded.
const noRuntime = {} as OnnxRuntime;

async function failure(attempt: Promise<unknown>): Promise<Error> {
  try {
    await attempt;
  } catch (error) {
    if (error instanceof Error) return error;
  }
  throw new Error("expected a failure");
}

describe("classifier messages", () => {
  it("name the model folder, never its server path", async () => {
    const modelDir = path.join(mkdtempSync(path.join(tmpdir(), "dno-classifier-")), "my-sd");
    mkdirSync(modelDir);
    const missing = await failure(
      OnnxImageClassifier.load(modelDir, noRuntime, { needer: "Reward “Circle”" }),
    );
    expect(missing.message).toBe(
      "Reward “Circle” needs an image classifier, but the model “my-sd” has no classifier/model.onnx and classifier/labels.json. Pick a model that ships one (the bundled tiny-shapes-sd does) or another reward.",
    );
    mkdirSync(path.join(modelDir, "classifier"));
    writeFileSync(path.join(modelDir, "classifier", "model.onnx"), "x");
    writeFileSync(path.join(modelDir, "classifier", "labels.json"), "{");
    const bad = await failure(OnnxImageClassifier.load(modelDir, noRuntime, { needer: "Reward “Circle”" }));
    expect(bad.message).toMatch(
      /^Reward “Circle”: classifier\/labels.json of the model “my-sd” is not a valid labels file/,
    );
    expect(bad.message).not.toContain(tmpdir());
  });
});
