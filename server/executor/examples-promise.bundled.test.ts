/**
 * Every example workflow keeps the promise its description makes (issue 11: "examples that visibly do what
 * their descriptions say"), run exactly as people get it: the seeded document (`exampleWorkflows`, the same
 * object the seeding stores), its own seed, steps and iterations, through planRun → runDno like the worker.
 * What a person sees is measured on the result picture (`testing/picture-measures.ts`):
 *
 * - the bundled classifier's probabilities of the shape and colours (the prompt's, or the reward's target);
 * - the background's mean colour, and how far it moved in CIE L*a*b*: hue and chroma (the a*b* distance) and
 *   the whole ΔE*ab. The bound, ΔE ≤ 10 and a*b* ≤ 10: about 2.3 is a just-noticeable difference and the
 *   model's own colours vary by up to 12/255 per channel in training (ΔE up to about 8 on its blue); a
 *   background that turned another colour (the old "brighten" example's blue → light cyan) moves 35–45;
 * - the outline's roundness for the square → circle example: the spread of the edge's distance from the
 *   centroid (0.03 for a drawn disc, 0.09–0.11 for the model's squares, 0.25–0.30 for the lumpy blobs the
 *   classifier alone accepted).
 *
 * The numbers in the comments were measured with these documents; each test prints its own. An example with
 * no promise here fails the last test: a new example needs one. With EXAMPLES_PNG_DIR set, the start and
 * result pictures are written there (4× enlarged) to look at.
 * Skipped while the model folder is absent.
 */
import { existsSync, mkdirSync, writeFileSync } from "node:fs";
import path from "node:path";
import { beforeAll, describe, expect, it } from "vitest";
import { type ExampleWorkflow, exampleWorkflows } from "@/nodes/graph/examples";
import { parsePromptAttributes } from "@/server/dno/rewards/prompt-attributes";
import { encodePng, type ImageTensor, imageToRgb8 } from "@/server/models/image";
import { createOnnxRuntime } from "@/server/onnx/runtime";
import { OnnxImageClassifier } from "./classifier";
import { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
import { planRun } from "./plan";
import { type DnoResult, runDno } from "./run-dno";
import {
  backgroundColour,
  colourChange,
  type HeadProbabilities,
  headProbabilities,
  meanBrightness,
  type ShapeOutline,
  shapeOutline,
  topLabel,
} from "./testing/picture-measures";

const MODEL = "tiny-shapes-sd";
const modelPresent = existsSync(path.join(import.meta.dirname, "../../models", MODEL, "unet/model.onnx"));
/** The backgrounds' bound (ΔE*ab and its a*b* part), justified above. */
const BACKGROUND_BOUND = 10;
/** Each test is one example's full run: up to a few minutes on a loaded 2-core machine. */
const TIMEOUT_MS = 1_200_000;

let env: ExecutorEnvironment;
let classifier: OnnxImageClassifier;

beforeAll(async () => {
  if (!modelPresent) return;
  const onnx = await createOnnxRuntime({ executionProvider: "cpu", intraOpThreads: 1 });
  env = await createExecutorEnvironment({ onnx });
  const model = await env.diffusion.loadModel(MODEL);
  classifier = await OnnxImageClassifier.load(model.dir, env.onnx, { needer: "test" });
});

interface Seen {
  readonly result: DnoResult;
  readonly seconds: number;
  readonly start: HeadProbabilities;
  readonly end: HeadProbabilities;
  readonly background: ReturnType<typeof colourChange>;
  readonly outline: readonly [ShapeOutline, ShapeOutline];
  readonly brightness: readonly [number, number];
  /** The first reward's value at iteration 0 and at the result's iteration. */
  readonly reward: readonly [number, number];
}

function enlarged(image: ImageTensor, scale = 4): Buffer {
  const rgb = imageToRgb8(image);
  const width = rgb.width * scale;
  const height = rgb.height * scale;
  const data = new Uint8Array(width * height * 3);
  for (let y = 0; y < height; y++)
    for (let x = 0; x < width; x++)
      for (let c = 0; c < 3; c++)
        data[(y * width + x) * 3 + c] =
          rgb.data[(Math.floor(y / scale) * rgb.width + Math.floor(x / scale)) * 3 + c]!;
  return encodePng({ width, height, data });
}

/** Runs the example exactly as seeded and measures what a person sees. */
async function runExample(example: ExampleWorkflow): Promise<Seen> {
  const started = performance.now();
  const result = await runDno({ plan: planRun(structuredClone(example.document)), env });
  const seconds = (performance.now() - started) / 1000;
  const rewardId = example.document.nodes.find((node) => node.type === "reward")!.id;
  const seen: Seen = {
    result,
    seconds,
    start: await headProbabilities(classifier, result.initialImage),
    end: await headProbabilities(classifier, result.resultImage),
    background: colourChange(
      backgroundColour(result.initialImage).rgb,
      backgroundColour(result.resultImage).rgb,
    ),
    outline: [shapeOutline(result.initialImage), shapeOutline(result.resultImage)],
    brightness: [meanBrightness(result.initialImage), meanBrightness(result.resultImage)],
    reward: [result.history[0]!.rewards[rewardId]!, result.history[result.bestIteration]!.rewards[rewardId]!],
  };
  const directory = process.env.EXAMPLES_PNG_DIR;
  if (directory) {
    mkdirSync(directory, { recursive: true });
    writeFileSync(path.join(directory, `${example.slug}-start.png`), enlarged(result.initialImage));
    writeFileSync(path.join(directory, `${example.slug}-result.png`), enlarged(result.resultImage));
  }
  const round = (value: number) => Number(value.toFixed(3));
  console.log(
    `${example.slug}: ${seconds.toFixed(0)} s, ${result.history.length} iterations (result: ${result.bestIteration}); ` +
      `shape ${JSON.stringify(seen.end.shape, (_k, v) => (typeof v === "number" ? round(v) : v))}; ` +
      `background ΔE ${seen.background.deltaE.toFixed(1)} (a*b* ${seen.background.hueChroma.toFixed(1)}); ` +
      `outline spread ${seen.outline[0].radialSpread.toFixed(3)} → ${seen.outline[1].radialSpread.toFixed(3)}; ` +
      `brightness ${seen.brightness.map(round).join(" → ")}; reward ${seen.reward.map(round).join(" → ")}`,
  );
  return seen;
}

/** The classifier still sees each attribute the prompt names (except `except`), with probability ≥ `floor`. */
function expectPromptKept(example: ExampleWorkflow, seen: Seen, floor: number, except: string[] = []) {
  const prompt = String(example.document.nodes.find((node) => node.type === "prompt")!.params.text);
  for (const attribute of parsePromptAttributes(prompt).attributes) {
    if (except.includes(attribute.role) || !seen.end[attribute.head]) continue;
    expect(
      seen.end[attribute.head]![attribute.label],
      `${attribute.role} “${attribute.label}” on the result`,
    ).toBeGreaterThanOrEqual(floor);
  }
}

function expectBackgroundKept(seen: Seen) {
  expect(seen.background.deltaE, "background colour change ΔE*ab").toBeLessThanOrEqual(BACKGROUND_BOUND);
  expect(seen.background.hueChroma, "background hue/chroma change").toBeLessThanOrEqual(BACKGROUND_BOUND);
}

const example = (slug: string) => exampleWorkflows.find((candidate) => candidate.slug === slug)!;

/**
 * The prompt keeper's floor is 0.9 and it pushes back only below it, so kept attributes end near 0.9
 * (measured 0.90–1.0); 0.85 leaves room for float differences between machines.
 */
const KEPT = 0.85;

/** slug → the promise its description makes, checked on what a person sees. */
const PROMISES: Record<string, (example: ExampleWorkflow, seen: Seen) => void> = {
  "maximize-reward-with-probability-regularization": (ex, seen) => {
    // "Turns a red square into a red disc on the same blue background": the start is a square, the result a
    // circle by a clear margin and round to the eye (one piece, an even outline: measured p(circle) 0.13 →
    // 0.87 against 0.09 for "square", outline spread 0.128 → 0.058 — the model's own circles read 0.06–0.14),
    // red on blue as the prompt says (measured 1.0 and 0.98; background ΔE 3.2).
    expect(topLabel(seen.start.shape!).label).toBe("square");
    const shape = topLabel(seen.end.shape!);
    expect(shape.label).toBe("circle");
    expect(shape.margin).toBeGreaterThanOrEqual(0.7);
    expect(seen.outline[1].pieces).toBe(1);
    expect(seen.outline[1].radialSpread).toBeLessThan(seen.outline[0].radialSpread);
    expect(seen.outline[1].radialSpread).toBeLessThanOrEqual(0.07);
    expectPromptKept(ex, seen, 0.9, ["shape"]);
    expectBackgroundKept(seen);
  },
  "brighten-with-a-guard": (ex, seen) => {
    // "Expect the yellow circle to grow (the brightness score rises by about a tenth) while the background
    // stays the same blue": measured brightness 0.445 → 0.487, circle 0.91, yellow 1.0, blue 0.99, ΔE 4.5.
    expect(seen.reward[1] - seen.reward[0]).toBeGreaterThanOrEqual(0.03);
    expect(seen.brightness[1]).toBeGreaterThan(seen.brightness[0]);
    expect(seen.outline[1].share).toBeGreaterThan(seen.outline[0].share);
    expectPromptKept(ex, seen, KEPT);
    expectBackgroundKept(seen);
  },
  "jpeg-hybrid-estimator": (ex, seen) => {
    // "The JPEG about a tenth smaller … keeps the shape and colours": JPEG size is a step function and the
    // estimator's nudges see its steps, so the run follows float rounding: the shipped seed saved 12 % with
    // ConvTranspose input gradients and 9.3 % with the flipped convolutions (equal to 4e-7); seeds 1–4 saved
    // 9.6–16.6 % and 8.9–12.4 %. Triangle 0.91, yellow 0.91, green 1.0, background ΔE 1.4 (measured earlier).
    const saved = 1 - seen.reward[1] / seen.reward[0];
    expect(saved).toBeGreaterThanOrEqual(0.08);
    expectPromptKept(ex, seen, KEPT);
    expectBackgroundKept(seen);
  },
};

describe.skipIf(!modelPresent)(
  "the example workflows keep their promises (bundled model, shipped defaults)",
  () => {
    for (const slug of Object.keys(PROMISES)) {
      it(
        slug,
        async () => {
          const ex = example(slug);
          expect(ex, `example “${slug}”`).toBeDefined();
          PROMISES[slug]!(ex, await runExample(ex));
        },
        TIMEOUT_MS,
      );
    }

    it("every example has a promise here", () => {
      expect(exampleWorkflows.map((ex) => ex.slug).sort()).toEqual(Object.keys(PROMISES).sort());
    });
  },
);
