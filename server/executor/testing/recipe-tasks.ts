/**
 * The tasks of `npm run bench:recipes` (scripts/bench-recipes.ts) and of the defaults' promise test
 * (server/executor/recipes.bundled.test.ts): prompt × reward on the bundled model, each run with the paper's
 * recipe and with the node defaults, and the faithfulness measure both report (METHOD.md §7).
 */
import type { ImageClassifier } from "@/server/dno/rewards/classifier";
import { faithfulnessFromLogits } from "@/server/dno/rewards/classifier";
import { type AttributeRole, parsePromptAttributes } from "@/server/dno/rewards/prompt-attributes";
import { imageBatch } from "@/server/dno/rewards/reward";
import type { ImageTensor } from "@/server/models/image";
import type { WorkflowSpec } from "./workflows";

export const RECIPE_MODEL = "tiny-shapes-sd";
/** The paper's iteration count. */
export const RECIPE_ITERATIONS = 100;

export interface RecipeTask {
  name: string;
  prompt: string;
  reward: Record<string, unknown>;
  /** The paper's Adam learning rate for this reward (METHOD.md §7). */
  recipeLearningRate: number;
  /** Optimizer params both runs share (the estimator for a reward without a gradient). */
  optimizer?: Record<string, unknown>;
  /** Whether the defaults' run has a prompt keeper (not when the reward changes what the prompt names). */
  keeper: boolean;
  /** The attribute roles faithfulness measures (not the one the reward is meant to change). */
  kept: readonly AttributeRole[];
}

export const RECIPE_TASKS: readonly RecipeTask[] = [
  {
    name: "brightness",
    prompt: "a red circle on a blue background",
    reward: { kind: "brightness", weight: 100 },
    recipeLearningRate: 0.001,
    keeper: true,
    kept: ["color", "shape", "background"],
  },
  {
    name: "darkness",
    prompt: "a yellow triangle on a white background",
    reward: { kind: "darkness", weight: 100 },
    recipeLearningRate: 0.001,
    keeper: true,
    kept: ["color", "shape", "background"],
  },
  {
    name: "shape change",
    prompt: "a red square on a blue background",
    reward: { kind: "classifier-probability", target: "shape:circle" },
    recipeLearningRate: 0.01,
    keeper: false,
    kept: ["color", "background"],
  },
  {
    name: "jpeg (hybrid)",
    prompt: "a yellow triangle on a green background",
    reward: { kind: "jpeg-compressibility" },
    recipeLearningRate: 0.01,
    optimizer: { estimator: "hybrid" },
    keeper: true,
    kept: ["color", "shape", "background"],
  },
];

export function recipeTask(name: string): RecipeTask {
  const task = RECIPE_TASKS.find((candidate) => candidate.name === name);
  if (!task) throw new RangeError(`No recipe task “${name}”.`);
  return task;
}

/** The paper's recipe: Adam, constant step size, clip 1, 100 iterations, PR (γ 1, 100 shuffles), q 8, μ 0.01. */
export function recipeSpec(task: RecipeTask, seed: number, steps: number): WorkflowSpec {
  return {
    model: RECIPE_MODEL,
    prompt: task.prompt,
    noise: { seed },
    sampler: { steps, eta: 1, guidanceScale: 5 },
    rewards: [{ params: task.reward }],
    guards: [{ params: { kind: "probability-regularization", gamma: 1, permutations: 100 } }],
    optimizer: {
      algorithm: "adam",
      learningRate: task.recipeLearningRate,
      iterations: RECIPE_ITERATIONS,
      gradClip: 1,
      schedule: "constant",
      normalizeGradient: false,
      perturbations: 8,
      smoothing: 0.01,
      ...task.optimizer,
    },
  };
}

/**
 * The defaults: every Optimizer param at its declared default (the estimator chosen where the reward has no
 * gradient), probability regularization and "keep the best picture" at their defaults, and the prompt keeper
 * at its defaults where the task has one — as the example workflows are built.
 */
export function defaultsSpec(task: RecipeTask, seed: number, steps: number): WorkflowSpec {
  return {
    model: RECIPE_MODEL,
    prompt: task.prompt,
    noise: { seed },
    sampler: { steps, eta: 1, guidanceScale: 5 },
    rewards: [{ params: task.reward }],
    guards: [
      { params: { kind: "probability-regularization" } },
      { params: { kind: "keep-best" } },
      ...(task.keeper ? [{ params: { kind: "prompt-keeper" } }] : []),
    ],
    optimizer: { ...task.optimizer },
  };
}

/**
 * The bundled classifier's mean probability of the attributes the task keeps (those its prompt names);
 * faithfulness kept = this on the result over this on the start.
 */
export async function keptProbability(
  classifier: ImageClassifier,
  task: RecipeTask,
  image: ImageTensor,
): Promise<number> {
  const attributes = parsePromptAttributes(task.prompt).attributes.filter((a) => task.kept.includes(a.role));
  const heads = await classifier.forward(imageBatch(image.data, [1, 3, image.height, image.width]));
  return faithfulnessFromLogits(heads, attributes, "prob").scores[0]!;
}
