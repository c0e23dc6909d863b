import path from "node:path";
import { describe, expect, it } from "vitest";
import { hashModels } from "@/server/services/runs/model-hashes";
import { listModels, modelDirectories, resolveModelDir, UnknownModelError } from "./discovery";

const directories = modelDirectories({});
const bundledFolder = path.join(directories.bundledDir, "tiny-shapes-sd");

describe("model ids, never paths", () => {
  it("resolves the bundled model by its id", () => {
    expect(resolveModelDir("tiny-shapes-sd", directories)).toBe(bundledFolder);
  });

  it.each([
    bundledFolder,
    "/usr",
    "../../../etc/passwd",
    "..\\..\\x",
    "user:../x",
    "C:\\Windows",
    "%2e%2e/",
    "/dev/zero",
    "tiny-shapes-sd\u0000",
    "models/tiny-shapes-sd",
    `upload:../${"0".repeat(61)}`,
  ])("refuses %j even where such a folder exists", (value) => {
    expect(() => resolveModelDir(value, directories)).toThrow(UnknownModelError);
  });

  it("lists ids without any server path", () => {
    const listed = listModels(directories);
    expect(listed.map((model) => model.id)).toContain("tiny-shapes-sd");
    expect(JSON.stringify(listed)).not.toContain(directories.bundledDir);
  });

  it("hashes only the model's known parts, and records a path as missing without reading it", async () => {
    const started = performance.now();
    expect(await hashModels(["/usr"])).toEqual({ "/usr": "missing" });
    expect(performance.now() - started).toBeLessThan(1000);
    const hashes = await hashModels(["tiny-shapes-sd"]);
    const files = Object.keys(hashes).map((key) => key.slice("tiny-shapes-sd/".length));
    expect(files).toContain("unet/model.onnx");
    expect(files).toContain("model_index.json");
    expect(
      files.every((file) =>
        /^(model_index\.json|(text_encoder|unet|vae_decoder|tokenizer|scheduler|classifier)\/[^/]+)$/.test(
          file,
        ),
      ),
    ).toBe(true);
    expect(files.some((file) => file.startsWith("fixtures/") || file.startsWith("pytorch/"))).toBe(false);
  });
});
