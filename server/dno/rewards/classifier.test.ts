import { describe, expect, it } from "vitest";
import { gaussian } from "@/server/models/rng";
import {
  classScoresFromLogits,
  createClassProbabilityReward,
  createPromptFaithfulnessReward,
  faithfulnessFromLogits,
  type HeadLogits,
  type ImageClassifier,
} from "./classifier";
import { parsePromptAttributes } from "./prompt-attributes";
import { imageBatch, type ImageBatch } from "./reward";

describe("class scores from logits", () => {
  it("log-softmax and softmax by hand", () => {
    const { scores } = classScoresFromLogits(Float64Array.from([1, 2, 3]), 3, 2, "log");
    const logSum = Math.log(Math.exp(1) + Math.exp(2) + Math.exp(3));
    expect(scores[0]).toBeCloseTo(3 - logSum, 14);
    expect(classScoresFromLogits(Float64Array.from([1, 2, 3]), 3, 0, "prob").scores[0]).toBeCloseTo(
      Math.exp(1 - logSum),
      14,
    );
    // Large logits do not overflow.
    expect(classScoresFromLogits(Float64Array.from([1000, 0]), 2, 0).scores[0]).toBeCloseTo(0, 12);
  });

  it("gradients w.r.t. the logits match finite differences (log and prob, batched)", () => {
    for (const mode of ["log", "prob"] as const) {
      const logits = Float64Array.from(gaussian(3, 8), (v) => 2 * v);
      const { gradient } = classScoresFromLogits(logits, 4, 1, mode);
      const h = 1e-6;
      for (let i = 0; i < logits.length; i++) {
        const original = logits[i]!;
        const row = Math.floor(i / 4);
        logits[i] = original + h;
        const plus = classScoresFromLogits(logits, 4, 1, mode).scores[row]!;
        logits[i] = original - h;
        const minus = classScoresFromLogits(logits, 4, 1, mode).scores[row]!;
        logits[i] = original;
        expect(gradient[i]).toBeCloseTo((plus - minus) / (2 * h), 6);
      }
    }
  });
});

describe("prompt attributes", () => {
  it("parses the captions of the bundled data set", () => {
    const simple = parsePromptAttributes("a red circle on a blue background");
    expect(simple.attributes.map((a) => [a.role, a.label])).toEqual([
      ["count", "one"],
      ["color", "red"],
      ["shape", "circle"],
      ["background", "blue"],
    ]);
    expect(simple.unknownWords).toEqual([]);
    const plural = parsePromptAttributes("Two small green squares on a yellow background.");
    expect(plural.attributes.map((a) => [a.role, a.label])).toEqual([
      ["count", "two"],
      ["size", "small"],
      ["color", "green"],
      ["shape", "square"],
      ["background", "yellow"],
    ]);
  });

  it("handles synonyms, missing parts, renamed heads, and reports unknown words", () => {
    const parsed = parsePromptAttributes("three big grey triangles against black", undefined, {
      color: "object_color",
    });
    expect(parsed.attributes.map((a) => [a.head, a.label])).toEqual([
      ["count", "three"],
      ["size", "large"],
      ["object_color", "gray"],
      ["shape", "triangle"],
      ["background", "black"],
    ]);
    const shapeOnly = parsePromptAttributes("circle");
    expect(shapeOnly.attributes.map((a) => a.label)).toEqual(["circle"]);
    expect(parsePromptAttributes("a shiny red circle on a plaid background").unknownWords).toEqual([
      "shiny",
      "plaid",
    ]);
  });
});

/**
 * A real (tiny) two-head linear classifier, logits = W·image + b per head, with its exact VJP — the
 * same interface the ONNX classifier and its autodiff VJP provide.
 */
function linearClassifier(pixels: number, heads: Record<string, readonly string[]>): ImageClassifier {
  const weights: Record<string, Float32Array> = {};
  let seed = 40;
  for (const [head, labels] of Object.entries(heads))
    weights[head] = gaussian(seed++, labels.length * pixels);
  return {
    forward(images: ImageBatch) {
      const out: Record<string, HeadLogits> = {};
      for (const [head, labels] of Object.entries(heads)) {
        const w = weights[head]!;
        const logits = new Float64Array(images.batch * labels.length);
        for (let b = 0; b < images.batch; b++) {
          for (let c = 0; c < labels.length; c++) {
            let sum = 0.1 * c;
            for (let p = 0; p < pixels; p++) sum += w[c * pixels + p]! * images.data[b * pixels + p]!;
            logits[b * labels.length + c] = sum;
          }
        }
        out[head] = { logits, labels };
      }
      return out;
    },
    vjp(images: ImageBatch, cotangents: Record<string, Float32Array>) {
      const grad = new Float32Array(images.data.length);
      for (const [head, cotangent] of Object.entries(cotangents)) {
        const classes = heads[head]!.length;
        const w = weights[head]!;
        for (let b = 0; b < images.batch; b++) {
          for (let c = 0; c < classes; c++) {
            const g = cotangent[b * classes + c]!;
            for (let p = 0; p < pixels; p++)
              grad[b * pixels + p] = grad[b * pixels + p]! + g * w[c * pixels + p]!;
          }
        }
      }
      return grad;
    },
  };
}

describe("classifier rewards", () => {
  const heads = {
    shape: ["circle", "square", "triangle"],
    color: ["red", "green", "blue"],
    background: ["red", "green", "blue", "yellow"],
  };
  const classifier = linearClassifier(3 * 2 * 2, heads);
  const data = Float64Array.from(gaussian(8, 2 * 12), (v) => 0.3 * v);
  const images = imageBatch(data, [2, 3, 2, 2]);

  it("faithfulness is the mean log-probability of the parsed attributes; unknown heads are skipped", async () => {
    const attributes = parsePromptAttributes("a small red circle on a yellow background").attributes;
    const logits = await classifier.forward(images);
    const result = faithfulnessFromLogits(logits, attributes);
    expect(result.used.map((a) => a.role)).toEqual(["color", "shape", "background"]);
    expect(result.skipped.map((s) => s.attribute.role)).toEqual(["count", "size"]);
    const expected =
      (classScoresFromLogits(logits.color!.logits, 3, 0).scores[1]! +
        classScoresFromLogits(logits.shape!.logits, 3, 0).scores[1]! +
        classScoresFromLogits(logits.background!.logits, 4, 3).scores[1]!) /
      3;
    expect(result.scores[1]).toBeCloseTo(expected, 12);
  });

  it("class-probability and faithfulness rewards: gradient through the classifier VJP matches finite differences", async () => {
    const rewards = [
      createClassProbabilityReward({ classifier, head: "shape", label: "square", mode: "prob" }),
      createPromptFaithfulnessReward({ classifier, prompt: "a green triangle on a blue background" }),
    ];
    for (const reward of rewards) {
      const { gradient } = await reward.valueAndGradient!(images);
      const h = 1e-6;
      for (let i = 0; i < data.length; i++) {
        const original = data[i]!;
        const b = Math.floor(i / 12);
        data[i] = original + h;
        const plus = (await reward.evaluate(images))[b]!;
        data[i] = original - h;
        const minus = (await reward.evaluate(images))[b]!;
        data[i] = original;
        expect(gradient[i]).toBeCloseTo((plus - minus) / (2 * h), 5);
      }
    }
  });

  it("refuses a prompt with no attribute and a class the classifier lacks", async () => {
    expect(() => createPromptFaithfulnessReward({ classifier, prompt: "a photo of a duck" })).toThrow(
      /no attribute/,
    );
    const reward = createClassProbabilityReward({ classifier, head: "shape", label: "hexagon" });
    await expect(reward.evaluate(images)).rejects.toThrow(/no label "hexagon"/);
  });
});
