import { execFile } from "node:child_process";
import { mkdtempSync, readFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { promisify } from "node:util";
import { describe, expect, it } from "vitest";
import { decodePng, readPngText } from "@/server/models/image";
import { copyTinySdArch } from "@/server/models/testing/sd-arch-copy";
import { writeTinyModelFolder } from "@/server/models/testing/tiny-folder";

const run = promisify(execFile);
const root = path.resolve(import.meta.dirname, "..");
const tsx = path.join(root, "node_modules/.bin/tsx");

async function generate(args: string[]): Promise<{ code: number; stdout: string; stderr: string }> {
  try {
    const { stdout, stderr } = await run(tsx, ["scripts/generate.ts", ...args], { cwd: root });
    return { code: 0, stdout, stderr };
  } catch (error) {
    const failed = error as { code?: number; stdout?: string; stderr?: string };
    return { code: failed.code ?? -1, stdout: failed.stdout ?? "", stderr: failed.stderr ?? "" };
  }
}

describe("npm run generate", () => {
  it("writes a PNG with its parameters embedded and prints the time taken", async () => {
    const out = path.join(mkdtempSync(path.join(tmpdir(), "dno-generate-")), "out.png");
    const model = writeTinyModelFolder();
    const result = await generate([
      "--prompt",
      "a red circle",
      "--seed",
      "7",
      "--steps",
      "5",
      "--out",
      out,
      "--model",
      model,
    ]);
    expect(result.stderr).toBe("");
    expect(result.stdout).toMatch(
      /Wrote .*out\.png \(4×4\) .* ms generating \(5 steps, eta 1, cfg 5\), \d+ ms in all\./,
    );
    const parameters = JSON.parse(readPngText(readFileSync(out)).parameters ?? "{}");
    expect(parameters).toMatchObject({ prompt: "a red circle", seed: 7, steps: 5, finalStepNoise: false });
  });

  it("--size draws an SD export at that size and records it; a fixed-size model refuses another", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dno-generate-size-"));
    const model = copyTinySdArch("sd15", path.join(dir, "sd15"));
    const common = ["--prompt", "a red circle", "--seed", "7", "--steps", "2", "--model", model];
    const sized = await generate([...common, "--size", "128", "--out", path.join(dir, "sized.png")]);
    // The tiny export has no vae_decoder/config.json: the loader's warning is all stderr says.
    expect(sized.code).toBe(0);
    expect(sized.stderr).not.toContain("Error");
    expect(sized.stdout).toMatch(/Wrote .*sized\.png \(128×128\)/);
    const png = readFileSync(path.join(dir, "sized.png"));
    expect([decodePng(png).width, decodePng(png).height]).toEqual([128, 128]);
    expect(JSON.parse(readPngText(png).parameters ?? "{}")).toMatchObject({ size: 128 });
    const refused = await generate([
      ...["--prompt", "a red circle", "--size", "128", "--out", path.join(dir, "refused.png")],
    ]);
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain(
      "Error: --size 128 px is not possible: this model draws only 64×64 px (its graphs fix the size)",
    );
  });

  it("--final-step-noise samples with diffusers' last step and records it in the PNG", async () => {
    const dir = mkdtempSync(path.join(tmpdir(), "dno-generate-"));
    const model = writeTinyModelFolder();
    const common = ["--prompt", "a red circle", "--seed", "7", "--steps", "3", "--model", model];
    const plain = await generate([...common, "--out", path.join(dir, "plain.png")]);
    const noisy = await generate([...common, "--final-step-noise", "--out", path.join(dir, "noisy.png")]);
    expect([plain.stderr, noisy.stderr]).toEqual(["", ""]);
    const png = (name: string) => readFileSync(path.join(dir, name));
    expect(JSON.parse(readPngText(png("noisy.png")).parameters ?? "{}")).toMatchObject({
      finalStepNoise: true,
    });
    // The pixels differ (not only the embedded parameters).
    const pixels = (name: string) => Buffer.from(decodePng(png(name)).data);
    expect(pixels("noisy.png").equals(pixels("plain.png"))).toBe(false);
  });

  it("names a bad flag and its allowed range", async () => {
    const result = await generate(["--prompt", "x", "--eta", "1.5", "--out", "x.png"]);
    expect(result.code).toBe(2);
    expect(result.stderr).toContain('--eta must be a number in [0, 1], got "1.5"');
  });

  it("prints the loader's full report for a bad model folder", async () => {
    const model = writeTinyModelFolder({
      overrides: { "unet/model.onnx": null, "scheduler/scheduler_config.json": "{" },
    });
    const result = await generate(["--prompt", "x", "--out", "x.png", "--model", model]);
    expect(result.code).toBe(1);
    expect(result.stderr).toContain("missing file unet/model.onnx");
    expect(result.stderr).toContain("scheduler/scheduler_config.json: not valid JSON");
  });
});
