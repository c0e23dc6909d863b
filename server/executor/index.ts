/**
 * The executor's public surface, for the run worker, the CLI and the benchmark: read a workflow file, plan
 * it (refusing what cannot run, before any model loads), and run the DNO loop with callbacks for progress
 * and checkpoints. No database here: persisting RunStep rows and streaming belong to the worker.
 */
export { DiffusionChain, type ChainForward, type ChainGradient, type SamplerSettings } from "./chain";
export { createExecutorEnvironment, type ExecutorEnvironment } from "./environment";
export {
  ExecutorError,
  type ExecutorErrorCode,
  PlanRefusedError,
  RunCancelledError,
  WorkflowInvalidError,
} from "./errors";
export { type LoadedWorkflow, parseWorkflowText } from "./load-workflow";
export {
  describePlan,
  type GradientRule,
  guardReportKeys,
  type GuardAttachment,
  type PlannedGuard,
  type PlannedNode,
  type PlannedReward,
  planRun,
  type RunPlan,
} from "./plan";
export {
  type DnoCheckpoint,
  type DnoResult,
  type IterationEvent,
  type IterationRecord,
  planFingerprint,
  type RunDnoOptions,
  runDno,
  type StopReason,
} from "./run-dno";
