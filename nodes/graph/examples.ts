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
      "Makes the picture brighter by optimizing its noise, while probability regularization keeps the noise " +
      "looking like real random noise and the prompt keeper keeps the shape and colours the prompt asked for.",
    document: load("brighten-with-a-guard", brightenWithAGuard),
  },
  {
    slug: "maximize-reward-with-probability-regularization",
    name: "Maximize a reward with probability regularization",
    description:
      "Turns a square into a circle: the shape classifier's probability of “circle” is the reward, probability " +
      "regularization guards against reward hacking, and the best picture along the way is kept.",
    document: load("maximize-reward-with-probability-regularization", maximizeRewardWithPr),
  },
  {
    slug: "jpeg-hybrid-estimator",
    name: "Non-differentiable reward (JPEG) with the hybrid estimator",
    description:
      "Makes the picture compress into a smaller JPEG file. JPEG size has no gradient, so the Optimizer uses " +
      "the hybrid estimator: random nudges score the picture, then the exact path back through the model. " +
      "The prompt keeper keeps the shape and colours while the picture simplifies.",
    document: load("jpeg-hybrid-estimator", jpegHybridEstimator),
  },
];
