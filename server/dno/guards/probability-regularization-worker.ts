/**
 * Worker thread of the PR pool: computes `shuffledProbabilityTerms` for one chunk of permutations on
 * the shared noise buffer, accumulating its gradient into the chunk's shared float64 buffer.
 */
import { parentPort } from "node:worker_threads";
import {
  createProbabilityRegularizationWorkspace,
  type ProbabilityRegularizationWorkspace,
  shuffledProbabilityTerms,
} from "./probability-regularization";

export interface ChunkRequest {
  id: number;
  z: SharedArrayBuffer;
  float64: boolean;
  seed: number;
  blockSize: number;
  from: number;
  to: number;
  /** Float64 gradient of this chunk (zeroed by the pool), or null for value only. */
  gradient: SharedArrayBuffer | null;
  gradientScale: number;
}

export interface ChunkResponse {
  id: number;
  sum: number;
  active: number;
  error?: string;
}

let workspace: ProbabilityRegularizationWorkspace | null = null;

parentPort?.on("message", (request: ChunkRequest) => {
  try {
    const z = request.float64 ? new Float64Array(request.z) : new Float32Array(request.z);
    if (!workspace || workspace.length !== z.length || workspace.blockSize !== request.blockSize) {
      workspace = createProbabilityRegularizationWorkspace(z.length, request.blockSize);
    }
    const result = shuffledProbabilityTerms(
      z,
      {
        seed: request.seed,
        blockSize: request.blockSize,
        from: request.from,
        to: request.to,
        gradient: request.gradient ? new Float64Array(request.gradient) : undefined,
        gradientScale: request.gradientScale,
      },
      workspace,
    );
    parentPort?.postMessage({
      id: request.id,
      sum: result.sum,
      active: result.active,
    } satisfies ChunkResponse);
  } catch (error) {
    parentPort?.postMessage({
      id: request.id,
      sum: 0,
      active: 0,
      error: error instanceof Error ? error.message : String(error),
    } satisfies ChunkResponse);
  }
});
