import { Adam } from "./adam";
import type { Optimizer } from "./optimizer";
import { Sgd } from "./sgd";

export { Adam, type AdamOptions } from "./adam";
export {
  clipGradientNorm,
  globalNorm,
  type Optimizer,
  type OptimizerKind,
  type OptimizerStateSnapshot,
} from "./optimizer";
export { Sgd, type SgdOptions } from "./sgd";

/** What an Optimizer node's params map to. Weight decay is explicit and 0 unless set. */
export type OptimizerConfig =
  | {
      kind: "adam" | "adamw";
      learningRate: number;
      beta1?: number;
      beta2?: number;
      epsilon?: number;
      weightDecay?: number;
    }
  | { kind: "sgd"; learningRate: number; momentum?: number; nesterov?: boolean; weightDecay?: number };

/** Creates an optimizer for tensors of the given lengths. */
export function createOptimizer(sizes: readonly number[], config: OptimizerConfig): Optimizer {
  switch (config.kind) {
    case "adam":
    case "adamw":
      return new Adam(sizes, { ...config, decoupledWeightDecay: config.kind === "adamw" });
    case "sgd":
      return new Sgd(sizes, config);
  }
}
