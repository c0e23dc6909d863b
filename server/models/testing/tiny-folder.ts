/**
 * Writes a small but complete model folder in the diffusers ONNX layout, with real (tiny, untrained) ONNX
 * graphs: the loader's error cases break one part of it at a time, and the sampler's plumbing (CFG batch,
 * buffers, decode, PNG) runs against it without the bundled model.
 *
 *   text_encoder: Gather from a [vocab, W] table          input_ids int64 [batch, T] → [batch, T, W]
 *   unet:         0.5·sample + mean(encoder_hidden_states) + 0·timestep-free   → out_sample
 *   vae_decoder:  1×1 convolution C → 3, then Tanh         latent_sample → sample [batch, 3, h, w]
 */
import { mkdirSync, mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { buildTinyOnnx, type TinyDim } from "@/server/onnx/tiny-onnx";

export interface TinyFolderOptions {
  tokens?: number;
  width?: number;
  channels?: number;
  size?: number;
  /** Override any file's content (string or bytes); null deletes it. */
  overrides?: Record<string, string | Uint8Array | null>;
  /** Dimension used for the latent's height/width in the UNet's declared input (default: symbolic). */
  unetSpatial?: TinyDim;
}

export const TINY_VOCAB = [
  "<|startoftext|>",
  "<|endoftext|>",
  "<|unk|>",
  "a",
  "red",
  "blue",
  "circle",
  "square",
  "on",
  "background",
];

export function tinyTokenizerJson(tokens: number): unknown {
  const vocab = Object.fromEntries(TINY_VOCAB.map((token, id) => [token, id]));
  const special = (token: string) => ({ SpecialToken: { id: token, type_id: 0 } });
  return {
    version: "1.0",
    truncation: { direction: "Right", max_length: tokens, strategy: "LongestFirst", stride: 0 },
    padding: null,
    added_tokens: ["<|startoftext|>", "<|endoftext|>", "<|unk|>"].map((content) => ({
      id: vocab[content],
      content,
      single_word: false,
      lstrip: false,
      rstrip: false,
      normalized: false,
      special: true,
    })),
    normalizer: { type: "Lowercase" },
    pre_tokenizer: { type: "Whitespace" },
    post_processor: {
      type: "TemplateProcessing",
      single: [special("<|startoftext|>"), { Sequence: { id: "A", type_id: 0 } }, special("<|endoftext|>")],
      pair: [
        special("<|startoftext|>"),
        { Sequence: { id: "A", type_id: 0 } },
        { Sequence: { id: "B", type_id: 1 } },
      ],
      special_tokens: {
        "<|startoftext|>": { id: "<|startoftext|>", ids: [0], tokens: ["<|startoftext|>"] },
        "<|endoftext|>": { id: "<|endoftext|>", ids: [1], tokens: ["<|endoftext|>"] },
      },
    },
    decoder: null,
    model: { type: "WordLevel", vocab, unk_token: "<|unk|>" },
  };
}

export function writeTinyModelFolder(options: TinyFolderOptions = {}): string {
  const tokens = options.tokens ?? 6;
  const width = options.width ?? 8;
  const channels = options.channels ?? 4;
  const size = options.size ?? 4;
  const dir = mkdtempSync(path.join(tmpdir(), "dno-tiny-model-"));
  const spatial = options.unetSpatial ?? "height";
  const spatialW = options.unetSpatial ?? "width";
  const table = Array.from({ length: TINY_VOCAB.length * width }, (_, i) => Math.sin(i * 0.7) * 0.5);
  const files: Record<string, string | Uint8Array> = {
    "model_index.json": JSON.stringify({
      _class_name: "OnnxStableDiffusionPipeline",
      _diffusers_version: "0.30.0",
    }),
    "tokenizer/tokenizer.json": JSON.stringify(tinyTokenizerJson(tokens)),
    "tokenizer/tokenizer_config.json": JSON.stringify({
      model_max_length: tokens,
      bos_token: "<|startoftext|>",
      eos_token: "<|endoftext|>",
      unk_token: "<|unk|>",
      pad_token: "<|endoftext|>",
    }),
    "text_encoder/model.onnx": buildTinyOnnx({
      inputs: [{ name: "input_ids", type: "int64", shape: ["batch", tokens] }],
      outputs: [{ name: "last_hidden_state", type: "float32", shape: ["batch", tokens, width] }],
      initializers: [{ name: "table", dims: [TINY_VOCAB.length, width], values: table }],
      nodes: [
        {
          op: "Gather",
          inputs: ["table", "input_ids"],
          outputs: ["last_hidden_state"],
          intAttributes: { axis: 0 },
        },
      ],
    }),
    "unet/model.onnx": buildTinyOnnx({
      inputs: [
        { name: "sample", type: "float32", shape: ["batch", channels, spatial, spatialW] },
        { name: "timestep", type: "int64", shape: ["batch"] },
        { name: "encoder_hidden_states", type: "float32", shape: ["batch", tokens, width] },
      ],
      outputs: [{ name: "out_sample", type: "float32", shape: ["batch", channels, spatial, spatialW] }],
      initializers: [
        { name: "half", dims: [], values: [0.5] },
        { name: "shape4", dims: [4], values: [-1, 1, 1, 1], type: "int64" },
        { name: "tscale", dims: [], values: [0.001] },
      ],
      nodes: [
        { op: "Mul", inputs: ["sample", "half"], outputs: ["scaled"] },
        {
          op: "ReduceMean",
          inputs: ["encoder_hidden_states"],
          outputs: ["meanh"],
          intsAttributes: { axes: [1, 2] },
          intAttributes: { keepdims: 0 },
        },
        { op: "Reshape", inputs: ["meanh", "shape4"], outputs: ["bias"] },
        { op: "Cast", inputs: ["timestep"], outputs: ["tfloat"], intAttributes: { to: 1 } },
        { op: "Mul", inputs: ["tfloat", "tscale"], outputs: ["tsmall"] },
        { op: "Reshape", inputs: ["tsmall", "shape4"], outputs: ["tbias"] },
        { op: "Add", inputs: ["scaled", "bias"], outputs: ["partial"] },
        { op: "Add", inputs: ["partial", "tbias"], outputs: ["out_sample"] },
      ],
    }),
    "vae_decoder/model.onnx": buildTinyOnnx({
      inputs: [{ name: "latent_sample", type: "float32", shape: ["batch", channels, "h", "w"] }],
      outputs: [{ name: "sample", type: "float32", shape: ["batch", 3, "h", "w"] }],
      initializers: [
        {
          name: "weight",
          dims: [3, channels, 1, 1],
          values: Array.from({ length: 3 * channels }, (_, i) => ((i % 5) - 2) * 0.3),
        },
      ],
      nodes: [
        { op: "Conv", inputs: ["latent_sample", "weight"], outputs: ["conv"] },
        { op: "Tanh", inputs: ["conv"], outputs: ["sample"] },
      ],
    }),
    "vae_decoder/config.json": JSON.stringify({ scaling_factor: 0.5, latent_channels: channels }),
    "unet/config.json": JSON.stringify({ in_channels: channels, sample_size: size }),
    "scheduler/scheduler_config.json": JSON.stringify({
      _class_name: "DDIMScheduler",
      num_train_timesteps: 1000,
      beta_start: 0.00085,
      beta_end: 0.012,
      beta_schedule: "scaled_linear",
      clip_sample: false,
      set_alpha_to_one: false,
      steps_offset: 1,
      timestep_spacing: "leading",
      prediction_type: "epsilon",
    }),
  };
  for (const [file, content] of Object.entries({ ...files, ...(options.overrides ?? {}) })) {
    if (content === null) continue;
    const full = path.join(dir, file);
    mkdirSync(path.dirname(full), { recursive: true });
    writeFileSync(full, content);
  }
  return dir;
}
