/** The DNO loop's public record types (re-exported by ../run-dno.ts) and the state its phases share. */
import type { GradientEstimatorDeclaration } from "@/nodes/kinds/types";
import type { NoisePenaltyGuard } from "@/server/dno/guards/guard";
import type { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import type { ProbabilityRegularizationPool } from "@/server/dno/guards/probability-regularization-pool";
import type { IterationMetrics, ObjectiveConfig } from "@/server/dno/objective";
import type { Optimizer, OptimizerStateSnapshot } from "@/server/dno/optimizers/index";
import type { ImageTensor } from "@/server/models/image";
import type { Conditioning } from "@/server/models/sampler";
import type { DiffusionChain, SamplerSettings } from "../chain";
import type { MemoryModeDecision } from "../chain-memory";
import type { ExecutorEnvironment } from "../environment";
import type { OptimizerParams, RunPlan } from "../plan";
import type { NoiseLayout } from "./noise-layout";

/** One row of the run history (what a RunStep stores), plus the counters the estimators compare on. */
export interface IterationRecord extends IterationMetrics {
  /** Chain passes so far, summed over the batch: forward (sample + decode) and VJP (the reverse chain). */
  evaluations: { forward: number; vjp: number };
  /** Time inside ONNX Runtime during this iteration. */
  onnxMs: number;
  /** Wall time of the whole iteration. */
  totalMs: number;
}

export interface IterationEvent {
  readonly record: IterationRecord;
  /** The image this record scores ([B, 3, H, W] in [−1, 1]). */
  readonly image: ImageTensor;
  /** Whether it is the best so far (by the objective, mean over the batch). */
  readonly isBest: boolean;
}

export type StopReason = "completed" | "early-stop" | "keeper-floor" | "paused";

export interface DnoCheckpoint {
  format: "dno-studio.checkpoint";
  version: 1;
  /**
   * sha256 of the workflow document, the seeds and the model files' hashes: a checkpoint resumes only the
   * run it came from (the same numbers need the same model files).
   */
  fingerprint: string;
  nextIteration: number;
  noise: number[][];
  optimizer: OptimizerStateSnapshot;
  plateau: { best: number | null; stale: number } | null;
  best: { iteration: number; score: number; noise: number[][]; image: number[] } | null;
  initialImage: number[] | null;
  history: IterationRecord[];
  evaluations: { forward: number; vjp: number };
}

export interface DnoResult {
  readonly history: readonly IterationRecord[];
  readonly initialImage: ImageTensor;
  readonly finalImage: ImageTensor;
  readonly bestImage: ImageTensor;
  readonly bestIteration: number;
  /** What the Optimizer outputs: the best image with a keep-best guard, else the final one. */
  readonly resultImage: ImageTensor;
  readonly stopReason: StopReason;
  readonly checkpoint: DnoCheckpoint;
  readonly evaluations: { forward: number; vjp: number };
  /** sha256 of the model files the run used (with the workflow and seeds, they determine the numbers). */
  readonly modelHashes: Readonly<Record<string, string>>;
}

export interface RunDnoOptions {
  readonly plan: RunPlan;
  readonly env: ExecutorEnvironment;
  readonly signal?: AbortSignal;
  readonly onIteration?: (event: IterationEvent) => void | Promise<void>;
  /** Called after every iteration with a checkpoint (serializable; JSON round-trips exactly). */
  readonly onCheckpoint?: (checkpoint: DnoCheckpoint) => void | Promise<void>;
  readonly resume?: DnoCheckpoint;
  /**
   * Worker pool for probability regularization: PR (which depends only on z) then runs on other cores
   * while the model runs forward and backward, instead of after them. The caller owns and closes it.
   */
  readonly prPool?: ProbabilityRegularizationPool;
  /** Stop (reason "paused") after this many iterations of this call; the checkpoint resumes it. */
  readonly pauseAfter?: number;
  readonly log?: (message: string) => void;
}

/** Everything the loop needs that stays the same from one iteration to the next (built by `setUpRun`). */
export interface RunSetup {
  readonly plan: RunPlan;
  /** What the Optimizer's gradient estimator estimates (its declaration in nodes/kinds/gradient-estimators.ts). */
  readonly estimates: GradientEstimatorDeclaration["estimates"];
  readonly env: ExecutorEnvironment;
  readonly signal: AbortSignal | undefined;
  readonly log: (message: string) => void;
  readonly settings: SamplerSettings;
  readonly modelHashes: Record<string, string>;
  readonly fingerprint: string;
  readonly batch: number;
  /** The prompt encoded for the whole batch. */
  readonly conditioning: Conditioning;
  /** The prompt encoded for `rows` images (the estimators evaluate other batch sizes). */
  readonly conditioningFor: (rows: number) => Promise<Conditioning>;
  readonly chain: DiffusionChain;
  /** The backward memory mode this run uses and why (logged when the run starts). */
  readonly memory: MemoryModeDecision;
  readonly config: ObjectiveConfig;
  readonly layout: NoiseLayout;
  /** The optimized noise vectors, one per image; updated in place by the optimizer. */
  readonly zs: Float32Array[];
  readonly noiseGuards: NoisePenaltyGuard[][];
  readonly plateau: PlateauStopGuard | null;
  readonly keepBest: boolean;
  readonly optimizer: Optimizer;
  readonly params: OptimizerParams;
  readonly iterations: number;
}

export interface BestIterate {
  iteration: number;
  score: number;
  noise: Float32Array[];
  image: ImageTensor;
}

/** What the loop carries from one iteration to the next; a checkpoint saves it. */
export interface LoopState {
  history: IterationRecord[];
  evaluations: { forward: number; vjp: number };
  best: BestIterate | null;
  initialImage: ImageTensor | null;
  /** The first iteration this call evaluates. */
  readonly start: number;
  lastImage: ImageTensor | null;
  imageDims: { height: number; width: number } | null;
  stopReason: StopReason;
  ranThisCall: number;
  readonly lossGradients: Float32Array[];
  readonly rewardGradients: Float32Array[];
  readonly prGradients: Float32Array[];
}
