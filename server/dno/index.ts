/**
 * The pure-TypeScript numerical core of the DNO engine (no ONNX Runtime here): probability
 * regularization and the other guards, image rewards, optimizers, gradient estimators and the
 * objective that combines them. The executor supplies the model parts (forward, VJP, classifier).
 */
export {
  applyNoiseGuards,
  evaluateRewardStage,
  type IterationMetrics,
  iterationMetrics,
  type NoiseStage,
  type ObjectiveConfig,
  objectiveValues,
  projectIntoTrustRegions,
  type RewardStage,
  validateObjectiveConfig,
} from "./objective";
export * from "./estimators/estimator";
export { type HybridOptions, hybridEstimate } from "./estimators/hybrid";
export { type ZerothOrderOptions, zerothOrderEstimate } from "./estimators/zeroth-order";
export { BestIterateTracker } from "./guards/best-iterate";
export { type GuardReport, iterationSeed, type NoisePenaltyGuard } from "./guards/guard";
export { KeeperFloorGuard, type KeeperFloorOptions, type KeeperFloorReport } from "./guards/keeper-floor";
export { NormPriorGuard, type NormPriorOptions } from "./guards/norm-prior";
export { PlateauStopGuard, type PlateauStopOptions } from "./guards/plateau-stop";
export * from "./guards/probability-regularization";
export {
  ProbabilityRegularizationPool,
  type ProbabilityRegularizationPoolOptions,
} from "./guards/probability-regularization-pool";
export {
  ProbabilityRegularizationGuard,
  type ProbabilityRegularizationGuardOptions,
} from "./guards/probability-regularization-guard";
export { TrustRegionGuard, type TrustRegionOptions } from "./guards/trust-region";
export * from "./optimizers/index";
export * from "./rewards/classifier";
export * from "./rewards/image-statistics";
export * from "./rewards/jpeg";
export * from "./rewards/prompt-attributes";
export * from "./rewards/reward";
export * from "./rewards/weighted-sum";
export * from "./tensor";
