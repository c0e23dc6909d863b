import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { buildTinyOnnx } from "@/server/onnx/tiny-onnx";
import { ModelFolderError } from "./errors";
import { inspectModelFolder, loadModelFolder } from "./folder";
import { writeTinyModelFolder } from "./testing/tiny-folder";

const runtimePromise = createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });

async function problemsOf(dir: string): Promise<ModelFolderError> {
  const runtime = await runtimePromise;
  try {
    await loadModelFolder(dir, { runtime });
  } catch (error) {
    if (error instanceof ModelFolderError) return error;
    throw error;
  }
  throw new Error(`expected ${dir} to be rejected`);
}

describe("loadModelFolder on a valid folder", () => {
  it("loads and reads sizes from the models and configs", async () => {
    const model = await loadModelFolder(writeTinyModelFolder(), { runtime: await runtimePromise });
    expect(model.latent).toEqual({ channels: 4, height: 4, width: 4 });
    expect(model.tokens).toBe(6);
    expect(model.hiddenWidth).toBe(8);
    expect(model.vaeScalingFactor).toBe(0.5);
    expect(model.io.timestep).toEqual({ type: "int64", rank: 1 });
    expect(model.warnings).toEqual([]);
    expect(model.tokenizer.encode("a red circle")).toEqual([0, 3, 4, 6, 1, 1]);
  });
});

describe("loader errors, each with its message", () => {
  it("a folder that does not exist", async () => {
    const error = await problemsOf("/nonexistent/model");
    expect(error.problems).toEqual([
      {
        code: "folder-missing",
        severity: "error",
        file: ".",
        message: "/nonexistent/model is not a directory",
      },
    ]);
  });

  it("missing files are all listed, not just the first", async () => {
    const error = await problemsOf(
      writeTinyModelFolder({
        overrides: { "unet/model.onnx": null, "tokenizer/tokenizer.json": null, "model_index.json": null },
      }),
    );
    const missing = error.problems
      .filter((problem) => problem.code === "file-missing")
      .map((problem) => problem.file);
    expect(missing).toEqual(
      expect.arrayContaining(["model_index.json", "unet/model.onnx", "tokenizer/tokenizer.json"]),
    );
    expect(error.message).toContain("missing file unet/model.onnx");
    expect(error.message).toContain("missing file tokenizer/tokenizer.json");
    expect(error.message).toContain("missing file model_index.json");
  });

  it("a corrupt ONNX file names the file", async () => {
    const error = await problemsOf(
      writeTinyModelFolder({ overrides: { "vae_decoder/model.onnx": "not an onnx file" } }),
    );
    expect(error.problems).toContainEqual(
      expect.objectContaining({ code: "corrupt-onnx", file: "vae_decoder/model.onnx" }),
    );
    expect(error.message).toMatch(/vae_decoder\/model\.onnx: cannot be loaded as ONNX/);
  });

  it("bad JSON names the file and the parse error", async () => {
    const error = await problemsOf(
      writeTinyModelFolder({ overrides: { "scheduler/scheduler_config.json": "{ nope" } }),
    );
    expect(error.problems).toContainEqual(
      expect.objectContaining({ code: "bad-json", file: "scheduler/scheduler_config.json" }),
    );
    expect(error.message).toMatch(/scheduler\/scheduler_config\.json: not valid JSON/);
  });

  it("an unsupported scheduler lists the supported ones", async () => {
    const dir = writeTinyModelFolder({
      overrides: {
        "scheduler/scheduler_config.json": JSON.stringify({ _class_name: "FlowMatchEulerDiscreteScheduler" }),
      },
    });
    const error = await problemsOf(dir);
    expect(error.message).toContain(
      'scheduler _class_name "FlowMatchEulerDiscreteScheduler" is not supported; supported: DDIMScheduler, PNDMScheduler',
    );
    // The same report is available without loading ONNX (for the model list).
    expect(inspectModelFolder(dir).problems.map((problem) => problem.code)).toContain(
      "unsupported-scheduler",
    );
  });

  it("an unknown prediction type is refused, a clip_sample config only warned about", async () => {
    const error = await problemsOf(
      writeTinyModelFolder({
        overrides: {
          "scheduler/scheduler_config.json": JSON.stringify({
            _class_name: "DDIMScheduler",
            prediction_type: "flow_prediction",
            clip_sample: true,
          }),
        },
      }),
    );
    expect(error.message).toContain(
      'prediction_type "flow_prediction" is not supported; supported: epsilon, v_prediction, sample',
    );
    expect(error.problems).toContainEqual(
      expect.objectContaining({ severity: "warning", code: "unsupported-option" }),
    );
  });

  it("wrong input names: the model, the missing input, what it has", async () => {
    const renamed = buildTinyOnnx({
      inputs: [{ name: "latents", type: "float32", shape: ["batch", 4, 4, 4] }],
      outputs: [{ name: "sample", type: "float32", shape: ["batch", 4, 4, 4] }],
      nodes: [{ op: "Identity", inputs: ["latents"], outputs: ["sample"] }],
    });
    const error = await problemsOf(
      writeTinyModelFolder({ overrides: { "vae_decoder/model.onnx": renamed } }),
    );
    expect(error.message).toContain(
      'vae_decoder/model.onnx: model has no input "latent_sample" (expected float32 [batch, channels, height, width]); its inputs are: latents float32 [batch, 4, 4, 4]',
    );
    expect(error.message).toContain('unexpected input "latents"');
  });

  it("wrong input shapes: the model, the input, expected vs found", async () => {
    const flatIds = buildTinyOnnx({
      inputs: [{ name: "input_ids", type: "int64", shape: ["batch"] }],
      outputs: [{ name: "last_hidden_state", type: "float32", shape: ["batch", 8] }],
      initializers: [{ name: "table", dims: [10, 8], values: Array.from({ length: 80 }, () => 0) }],
      nodes: [
        {
          op: "Gather",
          inputs: ["table", "input_ids"],
          outputs: ["last_hidden_state"],
          intAttributes: { axis: 0 },
        },
      ],
    });
    const error = await problemsOf(
      writeTinyModelFolder({ overrides: { "text_encoder/model.onnx": flatIds } }),
    );
    expect(error.message).toContain(
      'text_encoder/model.onnx: input "input_ids" has shape [batch], expected int64 or int32 [batch, tokens]',
    );
    expect(error.message).toContain(
      'text_encoder/model.onnx: output "last_hidden_state" has shape [batch, 8], expected [batch, tokens, width]',
    );
  });

  it("models that do not fit together: which sizes disagree", async () => {
    const narrow = buildTinyOnnx({
      inputs: [{ name: "input_ids", type: "int64", shape: ["batch", 6] }],
      outputs: [{ name: "last_hidden_state", type: "float32", shape: ["batch", 6, 5] }],
      initializers: [{ name: "table", dims: [10, 5], values: Array.from({ length: 50 }, () => 0) }],
      nodes: [
        {
          op: "Gather",
          inputs: ["table", "input_ids"],
          outputs: ["last_hidden_state"],
          intAttributes: { axis: 0 },
        },
      ],
    });
    const error = await problemsOf(
      writeTinyModelFolder({ overrides: { "text_encoder/model.onnx": narrow } }),
    );
    expect(error.problems).toEqual([
      {
        code: "incompatible",
        severity: "error",
        file: "unet/model.onnx",
        message: "encoder_hidden_states width is 8 but the text encoder's output width is 5",
      },
    ]);
  });

  it("a float16 export loads: the app sees float32, the runtime casts at the boundary", async () => {
    const fp16 = buildTinyOnnx({
      inputs: [{ name: "latent_sample", type: "float16", shape: ["batch", 4, "h", "w"] }],
      outputs: [{ name: "sample", type: "float32", shape: ["batch", 3, "h", "w"] }],
      initializers: [{ name: "weight", dims: [3, 4, 1, 1], values: Array.from({ length: 12 }, () => 0.1) }],
      nodes: [
        { op: "Cast", inputs: ["latent_sample"], outputs: ["latent32"], intAttributes: { to: 1 } },
        { op: "Conv", inputs: ["latent32", "weight"], outputs: ["sample"] },
      ],
    });
    const model = await loadModelFolder(
      writeTinyModelFolder({ overrides: { "vae_decoder/model.onnx": fp16 } }),
      { runtime: await runtimePromise },
    );
    expect(model.vaeDecoder.inputs[0]).toMatchObject({ type: "float32", castFrom: "float16" });
    const outputs = await model.vaeDecoder.run({
      latent_sample: { type: "float32", data: new Float32Array(4 * 4 * 4).fill(1.5), dims: [1, 4, 4, 4] },
    });
    // 4 channels × 0.1 × 1.5, through a float16 input.
    expect(outputs.sample?.data[0]).toBeCloseTo(0.6, 5);
  });

  it("a decoder that does not output RGB", async () => {
    const identity = buildTinyOnnx({
      inputs: [{ name: "latent_sample", type: "float32", shape: ["batch", 4, 4, 4] }],
      outputs: [{ name: "sample", type: "float32", shape: ["batch", 4, 4, 4] }],
      nodes: [{ op: "Identity", inputs: ["latent_sample"], outputs: ["sample"] }],
    });
    const error = await problemsOf(
      writeTinyModelFolder({ overrides: { "vae_decoder/model.onnx": identity } }),
    );
    expect(error.message).toContain(
      'vae_decoder/model.onnx: output "sample" has shape [batch, 4, 4, 4], expected [batch, 3, height, width]',
    );
  });

  it("a CLIP tokenizer given as vocab.json + merges.txt loads; another slow tokenizer is reported", async () => {
    const fixtures = path.join(import.meta.dirname, "fixtures");
    const slowFiles = {
      "tokenizer/tokenizer.json": null,
      "tokenizer/vocab.json": readFileSync(path.join(fixtures, "clip-bpe-vocab.json"), "utf8"),
      "tokenizer/merges.txt": readFileSync(path.join(fixtures, "clip-bpe-merges.txt"), "utf8"),
    };
    const model = await loadModelFolder(
      writeTinyModelFolder({
        overrides: {
          ...slowFiles,
          "tokenizer/tokenizer_config.json": JSON.stringify({
            tokenizer_class: "CLIPTokenizer",
            model_max_length: 6,
          }),
        },
      }),
      { runtime: await runtimePromise },
    );
    expect(model.tokenizer.encode("a red circle")).toEqual([59, 26, 53, 58, 60, 60]);
    const error = await problemsOf(
      writeTinyModelFolder({
        overrides: {
          ...slowFiles,
          "tokenizer/tokenizer_config.json": JSON.stringify({ tokenizer_class: "T5Tokenizer" }),
        },
      }),
    );
    expect(error.message).toContain(
      "missing file tokenizer/tokenizer.json (vocab.json/merges.txt of a T5Tokenizer found",
    );
  });

  it("a latent size the export leaves open: SD's default with a warning naming unet/config.json", async () => {
    const model = await loadModelFolder(writeTinyModelFolder({ overrides: { "unet/config.json": null } }), {
      runtime: await runtimePromise,
    });
    expect(model.latent).toEqual({ channels: 4, height: 64, width: 64 });
    expect(model.warnings).toContainEqual(
      expect.objectContaining({
        file: "unet/config.json",
        message: expect.stringContaining("using 64×64 latents (512×512 pixels)"),
      }),
    );
  });

  it("a missing VAE config is a warning with the default scaling factor", async () => {
    const model = await loadModelFolder(
      writeTinyModelFolder({ overrides: { "vae_decoder/config.json": null } }),
      {
        runtime: await runtimePromise,
      },
    );
    expect(model.vaeScalingFactor).toBe(0.18215);
    expect(model.warnings[0]?.message).toContain("using diffusers' default latent scaling factor 0.18215");
  });
});
