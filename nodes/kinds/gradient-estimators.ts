/**
 * The Optimizer's gradient estimators, each declared once: label, help, which params apply, and what it
 * estimates — which the planner reads (refusing backprop through a reward without a gradient, handing
 * nodes to the estimator) and the DNO loop dispatches on (server/executor/dno-loop/iteration.ts).
 */
import type { GradientEstimatorDeclaration } from "./types";

export const gradientEstimators = [
  {
    id: "backprop",
    order: 1,
    label: "Backprop (exact)",
    help: "Computes the direction exactly; every reward must have a gradient.",
    params: [],
    estimates: "none",
  },
  {
    id: "zeroth-order",
    order: 2,
    label: "Zeroth-order (random tries)",
    help: "Tries random nudges and compares scores; works with any reward but needs many tries.",
    params: ["perturbations", "smoothing"],
    estimates: "everything",
  },
  {
    id: "hybrid",
    order: 3,
    label: "Hybrid",
    help:
      "Random nudges only to score the picture, then the exact path back through the model: the best " +
      "choice for rewards without a gradient.",
    params: ["perturbations", "smoothing"],
    estimates: "rewards-without-gradient",
  },
] as const satisfies readonly GradientEstimatorDeclaration[];

export type GradientEstimator = (typeof gradientEstimators)[number]["id"];

export function getGradientEstimator(id: string): GradientEstimatorDeclaration | undefined {
  return gradientEstimators.find((estimator) => estimator.id === id);
}
