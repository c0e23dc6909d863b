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
    help: "The paper's choice and a safe default.",
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
    help: "Plain gradient steps with Nesterov momentum, as ReNO uses.",
    params: ["momentum"],
  },
] as const satisfies readonly OptimizerAlgorithmDeclaration[];

export type OptimizerAlgorithm = (typeof optimizerAlgorithms)[number]["id"];
