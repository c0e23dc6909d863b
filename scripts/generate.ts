/**
 * Generates one image from the command line with the same code the app runs (server/models):
 *
 *   npm run generate -- --prompt "a red circle on a blue background" --seed 42 --steps 50 --eta 1 --cfg 5 \
 *     --out out.png [--model DIR|ID] [--negative "…"] [--size PX]
 *
 * Prints the time taken. Bad flags name the flag and its allowed range; a bad model folder prints the
 * loader's full report.
 */
import { existsSync, statSync, writeFileSync } from "node:fs";
import path from "node:path";
import { parseArgs } from "node:util";
import { DEFAULT_MODEL_ID } from "@/nodes/defs/sampler";
import { IMAGE_SIZE_LIMIT, MODEL_DEFAULT_IMAGE_SIZE } from "@/nodes/image-size";
import { resolveModelDir } from "@/server/models/discovery";
import { ModelFolderError } from "@/server/models/errors";
import { loadModelFolder } from "@/server/models/folder";
import { encodePng, imageToRgb8 } from "@/server/models/image";
import { ImageSizeError, modelAtImageSize } from "@/server/models/image-size";
import { seededNoise } from "@/server/models/noise";
import { encodePrompts, latentSize, sample } from "@/server/models/sampler";
import { OnnxError } from "@/server/onnx/errors";
import { formatDevice } from "@/server/onnx/providers";
import { getOnnxRuntime } from "@/server/onnx/runtime";

class UsageError extends Error {}

const usage =
  'Usage: npm run generate -- --prompt "…" --seed N --steps S --eta E --cfg W --out file.png [--model DIR] [--negative "…"] [--size PX] [--final-step-noise]';

function numberFlag(
  values: Record<string, unknown>,
  name: string,
  fallback: number,
  range: { min: number; max: number; integer: boolean },
): number {
  const raw = values[name];
  if (raw === undefined) return fallback;
  const value = Number(raw);
  const kind = range.integer ? "an integer" : "a number";
  if (
    typeof raw !== "string" ||
    raw.trim() === "" ||
    !Number.isFinite(value) ||
    (range.integer && !Number.isInteger(value)) ||
    value < range.min ||
    value > range.max
  ) {
    throw new UsageError(`--${name} must be ${kind} in [${range.min}, ${range.max}], got "${String(raw)}"`);
  }
  return value;
}

function parseFlags(argv: string[]) {
  let parsed: ReturnType<typeof parseArgs>;
  try {
    parsed = parseArgs({
      args: argv,
      options: {
        prompt: { type: "string" },
        negative: { type: "string" },
        seed: { type: "string" },
        steps: { type: "string" },
        eta: { type: "string" },
        cfg: { type: "string" },
        out: { type: "string" },
        model: { type: "string" },
        // The Sampler's Image size: square pixels, 0 = the model's default (nodes/image-size.ts).
        size: { type: "string" },
        // diffusers' convention: noise on the last DDIM step too (default: a noise-free last step).
        "final-step-noise": { type: "boolean" },
        help: { type: "boolean" },
      },
      strict: true,
      allowPositionals: false,
    });
  } catch (error) {
    throw new UsageError(error instanceof Error ? error.message : String(error));
  }
  const values = parsed.values as Record<string, unknown>;
  if (values.help) throw new UsageError("");
  const prompt = values.prompt;
  if (typeof prompt !== "string" || prompt.trim() === "")
    throw new UsageError("--prompt is required (the text to draw)");
  const out = values.out;
  if (typeof out !== "string" || !out.toLowerCase().endsWith(".png")) {
    throw new UsageError(
      `--out must name a .png file, got ${typeof out === "string" ? `"${out}"` : "nothing"}`,
    );
  }
  return {
    prompt,
    negative: typeof values.negative === "string" ? values.negative : "",
    seed: numberFlag(values, "seed", 42, { min: 0, max: 4294967295, integer: true }),
    steps: numberFlag(values, "steps", 50, { min: 1, max: 1000, integer: true }),
    eta: numberFlag(values, "eta", 1, { min: 0, max: 1, integer: false }),
    cfg: numberFlag(values, "cfg", 5, { min: 0, max: 30, integer: false }),
    out: path.resolve(out),
    model: typeof values.model === "string" ? values.model : DEFAULT_MODEL_ID,
    size: numberFlag(values, "size", MODEL_DEFAULT_IMAGE_SIZE, {
      min: 0,
      max: IMAGE_SIZE_LIMIT,
      integer: true,
    }),
    finalStepNoise: values["final-step-noise"] === true,
  };
}

async function main(): Promise<void> {
  const flags = parseFlags(process.argv.slice(2));
  const started = performance.now();
  const modelDir =
    existsSync(flags.model) && statSync(flags.model).isDirectory()
      ? path.resolve(flags.model)
      : resolveModelDir(flags.model);
  const runtime = await getOnnxRuntime();
  console.log(`Device: ${formatDevice(runtime.device)}`);
  if (runtime.device.note) console.log(`  (${runtime.device.note})`);
  const folder = await loadModelFolder(modelDir, { runtime });
  let model: typeof folder;
  try {
    model = modelAtImageSize(folder, flags.size);
  } catch (error) {
    if (error instanceof ImageSizeError) throw new UsageError(`--size ${error.message}`);
    throw error;
  }
  for (const warning of model.warnings) console.warn(`warning: ${warning.file}: ${warning.message}`);
  const loaded = performance.now();
  const conditioning = await encodePrompts(model, [flags.prompt], flags.negative);
  const noise = seededNoise({
    seeds: [flags.seed],
    latentSize: latentSize(model),
    steps: flags.steps,
    withStepNoise: flags.eta > 0,
  });
  const result = await sample({
    model,
    conditioning,
    xT: noise.xT,
    stepNoises: flags.eta > 0 ? noise.stepNoises : null,
    steps: flags.steps,
    eta: flags.eta,
    guidanceScale: flags.cfg,
    finalStepNoise: flags.finalStepNoise,
  });
  if (!result.image) throw new Error("The sampler returned no image");
  const generated = performance.now();
  const png = encodePng(imageToRgb8(result.image, 0), {
    Software: "DNO Studio",
    parameters: JSON.stringify({
      prompt: flags.prompt,
      negative: flags.negative,
      seed: flags.seed,
      steps: flags.steps,
      eta: flags.eta,
      cfg: flags.cfg,
      // The last-step convention that ran (METHOD.md §2), so the PNG says how to reproduce it.
      finalStepNoise: flags.finalStepNoise,
      // --size as given (0 = the model's default; the PNG's own width and height say what that was).
      size: flags.size,
      model: model.name,
      device: formatDevice(runtime.device),
    }),
  });
  writeFileSync(flags.out, png);
  console.log(
    `Wrote ${flags.out} (${result.image.width}×${result.image.height}) with ${model.name} on ${runtime.executionProvider}: ` +
      `${(generated - loaded).toFixed(0)} ms generating (${flags.steps} steps, eta ${flags.eta}, cfg ${flags.cfg}), ` +
      `${(performance.now() - started).toFixed(0)} ms in all.`,
  );
}

main().catch((error: unknown) => {
  if (error instanceof UsageError) {
    if (error.message) console.error(`Error: ${error.message}`);
    console.error(usage);
    process.exit(2);
  }
  if (error instanceof ModelFolderError || error instanceof OnnxError) {
    console.error(error.message);
    process.exit(1);
  }
  console.error(error instanceof Error ? (error.stack ?? error.message) : String(error));
  process.exit(1);
});
