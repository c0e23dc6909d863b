/**
 * The Optimizer's algorithms, each declared once (id stored in documents, label, help, which params apply).
 * Their update rules live in server/dno/optimizers; server/kinds/optimizer-algorithms.ts maps each id to its
 * configuration, complete by type.
 */
import type { OptimizerAlgorithmDeclaration } from "./types";

export const optimizerAlgorithms = [
  {
    id: "adam",
    order: 1,
    label: "Adam",
    help: "The paper's choice (learning rate 0.01, 100 iterations; 0.001 for brightness or darkness).",
    params: ["betas"],
  },
  {
    id: "adamw",
    order: 2,
    label: "AdamW",
    help: "Adam with weight decay: the noise shrinks a little at every step.",
    params: ["betas", "weightDecay"],
  },
  {
    id: "sgd-nesterov",
    order: 3,
    label: "SGD with Nesterov momentum",
    help:
      "Gradient steps with Nesterov momentum, as ReNO uses. The default: with the direction normalized and a " +
      "cosine schedule it reaches the paper's reward in a fraction of the iterations.",
    params: ["momentum"],
  },
] as const satisfies readonly OptimizerAlgorithmDeclaration[];

export type OptimizerAlgorithm = (typeof optimizerAlgorithms)[number]["id"];
