/**
 * The model folder's image classifier (`classifier/model.onnx` + `classifier/labels.json`, written by the
 * bundled model's build) as the DNO engine's `ImageClassifier`: forward through an ONNX session, and the
 * VJP through the autodiff's VJP model of the classifier (∂(cotangentᵀ·logits)/∂image).
 *
 * labels.json: { output, input: { name }, heads: [{ name, offset, classes }] } — the logits of several heads
 * concatenated. Heads are exposed under the role names the reward code uses ("shape", "color",
 * "background"), so "shape_colour" answers for "color" and "background_colour" for "background".
 */
import { existsSync, readFileSync } from "node:fs";
import path from "node:path";
import { z } from "zod";
import { getVjpModelForFile, type VjpCacheOptions } from "@/server/autodiff/cache";
import { cotangentInputName, gradientOutputName } from "@/server/autodiff/vjp";
import type { HeadLogits, ImageClassifier } from "@/server/dno/rewards/classifier";
import type { ImageBatch } from "@/server/dno/rewards/reward";
import type { OnnxModel, OnnxRuntime } from "@/server/onnx/types";
import { ExecutorError } from "./errors";

const labelsSchema = z.object({
  output: z.string().default("logits"),
  input: z.object({ name: z.string().default("image") }).default({ name: "image" }),
  heads: z
    .array(z.object({ name: z.string(), offset: z.int().min(0), classes: z.array(z.string()).min(1) }))
    .min(1),
});

export type ClassifierLabels = z.output<typeof labelsSchema>;

/** "shape_colour" → "color", "background_colour" → "background", "shape" → "shape". */
export function headRole(name: string): string {
  const lower = name.toLowerCase();
  if (lower.includes("background")) return "background";
  if (lower.includes("colo")) return "color";
  return lower;
}

export class OnnxImageClassifier implements ImageClassifier {
  private vjpModel: OnnxModel | null = null;
  readonly width: number;

  private constructor(
    private readonly model: OnnxModel,
    readonly labels: ClassifierLabels,
    private readonly onnx: OnnxRuntime,
    private readonly vjpCache: VjpCacheOptions,
  ) {
    const last = labels.heads[labels.heads.length - 1]!;
    this.width = last.offset + last.classes.length;
  }

  /** Loads `<modelDir>/classifier`; `needer` names the node that needs it, for the error message. */
  static async load(
    modelDir: string,
    onnx: OnnxRuntime,
    options: { vjpCache?: VjpCacheOptions; needer: string },
  ): Promise<OnnxImageClassifier> {
    const dir = path.join(modelDir, "classifier");
    const modelFile = path.join(dir, "model.onnx");
    const labelsFile = path.join(dir, "labels.json");
    if (!existsSync(modelFile) || !existsSync(labelsFile)) {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        // The model's folder name, not its server path: this message reaches users.
        `${options.needer} needs an image classifier, but the model “${path.basename(modelDir)}” has no classifier/model.onnx and classifier/labels.json. Pick a model that ships one (the bundled tiny-shapes-sd does) or another reward.`,
      );
    }
    let labels: ClassifierLabels;
    try {
      labels = labelsSchema.parse(JSON.parse(readFileSync(labelsFile, "utf8")));
    } catch (error) {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        `${options.needer}: classifier/labels.json of the model “${path.basename(modelDir)}” is not a valid labels file (${error instanceof Error ? error.message : String(error)}).`,
        { cause: error },
      );
    }
    const model = await onnx.load(modelFile, { name: "classifier" });
    return new OnnxImageClassifier(model, labels, onnx, options.vjpCache ?? {});
  }

  /** Role name → labels, for messages and target checks. */
  get heads(): Record<string, readonly string[]> {
    return Object.fromEntries(this.labels.heads.map((head) => [headRole(head.name), head.classes]));
  }

  /**
   * The classifier's declared picture size must match the Sampler's pictures; said in words here, before
   * ONNX Runtime's own shape error (the caller adds which Reward node it is).
   */
  private checkImageSize(images: ImageBatch): void {
    const declared = this.model.inputs.find((input) => input.name === this.labels.input.name)?.shape;
    const expected = declared?.slice(1) ?? [];
    const actual = [images.channels, images.height, images.width];
    if (expected.length === 3 && expected.some((size, i) => typeof size === "number" && size !== actual[i])) {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        `the classifier expects images of ${expected.join("×")}, got ${actual.join("×")}. Its model makes pictures of another size: pick a model whose classifier fits, or another reward.`,
      );
    }
  }

  private async logits(images: ImageBatch): Promise<Float32Array> {
    this.checkImageSize(images);
    const outputs = await this.model.run({
      [this.labels.input.name]: {
        type: "float32",
        data: Float32Array.from(images.data),
        dims: [images.batch, images.channels, images.height, images.width],
      },
    });
    const logits = outputs[this.labels.output];
    if (logits?.type !== "float32" || logits.data.length !== images.batch * this.width) {
      throw new ExecutorError(
        "MODEL_UNAVAILABLE",
        `The classifier's output "${this.labels.output}" does not hold ${this.width} logits per image as labels.json says.`,
      );
    }
    return logits.data;
  }

  async forward(images: ImageBatch): Promise<Record<string, HeadLogits>> {
    const logits = await this.logits(images);
    const heads: Record<string, HeadLogits> = {};
    for (const head of this.labels.heads) {
      const classes = head.classes.length;
      const slice = new Float32Array(images.batch * classes);
      for (let b = 0; b < images.batch; b++) {
        for (let j = 0; j < classes; j++) slice[b * classes + j] = logits[b * this.width + head.offset + j]!;
      }
      heads[headRole(head.name)] = { logits: slice, labels: head.classes };
    }
    return heads;
  }

  async vjp(images: ImageBatch, logitCotangents: Record<string, Float32Array>): Promise<Float32Array> {
    if (!this.vjpModel) {
      const cached = await getVjpModelForFile(
        this.model.path,
        { wrt: [this.labels.input.name], of: this.labels.output },
        this.vjpCache,
      );
      this.vjpModel = await this.onnx.load(cached.file, { name: "classifier VJP" });
    }
    const cotangent = new Float32Array(images.batch * this.width);
    for (const head of this.labels.heads) {
      const given = logitCotangents[headRole(head.name)];
      if (!given) continue;
      const classes = head.classes.length;
      for (let b = 0; b < images.batch; b++) {
        for (let j = 0; j < classes; j++)
          cotangent[b * this.width + head.offset + j] = given[b * classes + j]!;
      }
    }
    const dims = [images.batch, images.channels, images.height, images.width];
    const outputs = await this.vjpModel.run({
      [this.labels.input.name]: { type: "float32", data: Float32Array.from(images.data), dims },
      [cotangentInputName(this.labels.output)]: {
        type: "float32",
        data: cotangent,
        dims: [images.batch, this.width],
      },
    });
    const gradient = outputs[gradientOutputName(this.labels.input.name)];
    if (gradient?.type !== "float32") {
      throw new ExecutorError("MODEL_UNAVAILABLE", "The classifier's VJP model returned no image gradient.");
    }
    return gradient.data;
  }
}
