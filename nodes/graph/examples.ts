/**
 * The example workflows seeded on first start. The documents live as JSON fixtures (also used by tests and
 * usable as import files); this module is the one place the seeding code reads them from.
 */
import { type GraphDocument, parseGraphDocument } from "./document";
import brightenWithAGuard from "./fixtures/brighten-with-a-guard.json";
import jpegHybridEstimator from "./fixtures/jpeg-hybrid-estimator.json";
import maximizeRewardWithPr from "./fixtures/maximize-reward-with-probability-regularization.json";

export interface ExampleWorkflow {
  /** Stable id for seeding: an example is seeded once, by slug. */
  slug: string;
  name: string;
  description: string;
  document: GraphDocument;
}

function load(slug: string, json: unknown): GraphDocument {
  const result = parseGraphDocument(json);
  if (!result.ok) throw new Error(`Example workflow “${slug}” is broken: ${result.error.message}`);
  return result.document;
}

export const exampleWorkflows: readonly ExampleWorkflow[] = [
  {
    slug: "brighten-with-a-guard",
    name: "Brighten with a guard",
    description:
      "Makes the picture brighter by optimizing its noise: expect the yellow circle to grow (the brightness " +
      "score rises by about a tenth) while the background stays the same blue. The prompt keeper keeps the " +
      "shape and colours the prompt asked for, probability regularization keeps the noise looking like real " +
      "random noise, and the Sampler adds no fresh noise at its steps (eta 0), so the picture stays one the " +
      "model could draw. 20 iterations: under a minute on a 2-core machine.",
    document: load("brighten-with-a-guard", brightenWithAGuard),
  },
  {
    slug: "maximize-reward-with-probability-regularization",
    name: "Maximize a reward with probability regularization",
    description:
      "Turns a red square into a red disc on the same blue background. The reward is the shape classifier's " +
      "probability of “circle” (about 0.13 at the start, about 0.87 at the end); the best picture along the way " +
      "is kept. The Sampler adds no fresh noise at its steps (eta 0), so only the starting noise changes and " +
      "the picture stays one the model could draw — a rounded disc, not a lumpy blob that only fools the " +
      "classifier. Probability regularization watches for reward hacking. 20 iterations: under a minute on " +
      "a 2-core machine.",
    document: load("maximize-reward-with-probability-regularization", maximizeRewardWithPr),
  },
  {
    slug: "jpeg-hybrid-estimator",
    name: "Non-differentiable reward (JPEG) with the hybrid estimator",
    description:
      "Makes the picture compress into a smaller JPEG file: expect the yellow triangle to become smaller and " +
      "simpler on a cleaner green, and the JPEG about a tenth smaller (the run shows the share saved). JPEG size " +
      "has no gradient, so the Optimizer uses the hybrid estimator: random nudges score the picture, then the " +
      "exact path back through the model. The prompt keeper keeps the shape and colours. 50 iterations of 9 " +
      "pictures each: a few minutes on a 2-core machine.",
    document: load("jpeg-hybrid-estimator", jpegHybridEstimator),
  },
];
