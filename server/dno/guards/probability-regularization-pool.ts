/**
 * PR on worker threads. The R permutations are independent, so they are split into a FIXED number of
 * chunks (default 8, whatever the number of workers) computed in parallel; chunk results are summed in
 * chunk order, so a run gives the same numbers on a 2-core laptop and a 32-core server. The value equals
 * the single-threaded `probabilityRegularization` exactly except for float summation order (≈1e-15
 * relative); the gradient is accumulated per chunk in float64.
 *
 * Use it to take PR off the critical path: start `evaluate(z)` before the model's forward pass (PR only
 * depends on z) and await it after the backward pass. The worker module is TypeScript; each worker thread
 * registers tsx's loader first (./probability-regularization-worker-entry.mjs).
 */
import os from "node:os";
import { Worker } from "node:worker_threads";
import type { FloatArray } from "../tensor";
import {
  DEFAULT_PR_BLOCK_SIZE,
  DEFAULT_PR_PERMUTATIONS,
  type ProbabilityRegularizationResult,
  probabilityRegularization,
  probabilityRegularizationFloor,
} from "./probability-regularization";
import type { ChunkRequest, ChunkResponse } from "./probability-regularization-worker";

export interface ProbabilityRegularizationPoolOptions {
  /** Worker threads (default: available cores − 1, at most 8, at least 1). */
  workers?: number;
  /** Chunks the permutations are split into (default 8); fixes the summation order. */
  chunks?: number;
}

interface PendingChunk {
  resolve: (response: ChunkResponse) => void;
  reject: (error: Error) => void;
}

export class ProbabilityRegularizationPool {
  readonly workerCount: number;
  readonly chunks: number;
  private readonly workers: Worker[] = [];
  private readonly idle: Worker[] = [];
  private readonly queue: { request: ChunkRequest; pending: PendingChunk }[] = [];
  private readonly pending = new Map<number, PendingChunk>();
  private nextId = 0;
  private sharedZ: SharedArrayBuffer | null = null;
  private sharedGradients: SharedArrayBuffer[] = [];
  private closed = false;

  constructor(options: ProbabilityRegularizationPoolOptions = {}) {
    const cores =
      typeof os.availableParallelism === "function" ? os.availableParallelism() : os.cpus().length;
    this.workerCount = options.workers ?? Math.max(1, Math.min(8, cores - 1));
    this.chunks = options.chunks ?? 8;
    if (!Number.isInteger(this.workerCount) || this.workerCount < 1) {
      throw new RangeError(`PR pool: workers must be an integer ≥ 1, got ${this.workerCount}.`);
    }
    if (!Number.isInteger(this.chunks) || this.chunks < 1) {
      throw new RangeError(`PR pool: chunks must be an integer ≥ 1, got ${this.chunks}.`);
    }
  }

  /**
   * PR of z like `probabilityRegularization(z, options)`; with options.gradient, gradientScale·∂PR/∂z is
   * added into it when the promise resolves. z must not change until then (it is copied at the start).
   */
  async evaluate(
    z: FloatArray,
    options: {
      seed: number;
      permutations?: number;
      blockSize?: number;
      gradient?: FloatArray;
      gradientScale?: number;
    },
  ): Promise<ProbabilityRegularizationResult> {
    if (this.closed) throw new Error("PR pool: evaluate() after close(); create a new pool.");
    const permutations = options.permutations ?? DEFAULT_PR_PERMUTATIONS;
    const blockSize = options.blockSize ?? DEFAULT_PR_BLOCK_SIZE;
    const gradientScale = options.gradientScale ?? 1;
    // The sequential blocks are one cheap pass: done here, into the caller's gradient.
    const sequential = probabilityRegularization(z, {
      seed: options.seed,
      permutations: 0,
      blockSize,
      gradient: options.gradient,
      gradientScale,
    });
    if (permutations === 0) return sequential;

    const float64 = z instanceof Float64Array;
    const bytes = z.length * (float64 ? 8 : 4);
    if (!this.sharedZ || this.sharedZ.byteLength !== bytes) this.sharedZ = new SharedArrayBuffer(bytes);
    (float64 ? new Float64Array(this.sharedZ) : new Float32Array(this.sharedZ)).set(z);
    const chunkCount = Math.min(this.chunks, permutations);
    if (options.gradient) {
      while (this.sharedGradients.length < chunkCount)
        this.sharedGradients.push(new SharedArrayBuffer(z.length * 8));
      for (let c = 0; c < chunkCount; c++) {
        if (this.sharedGradients[c]!.byteLength !== z.length * 8)
          this.sharedGradients[c] = new SharedArrayBuffer(z.length * 8);
        new Float64Array(this.sharedGradients[c]!).fill(0);
      }
    }
    const requests: Promise<ChunkResponse>[] = [];
    for (let c = 0; c < chunkCount; c++) {
      const from = Math.floor((c * permutations) / chunkCount);
      const to = Math.floor(((c + 1) * permutations) / chunkCount);
      requests.push(
        this.submit({
          id: this.nextId++,
          z: this.sharedZ,
          float64,
          seed: options.seed,
          blockSize,
          from,
          to,
          gradient: options.gradient ? this.sharedGradients[c]! : null,
          gradientScale: gradientScale / permutations,
        }),
      );
    }
    const responses = await Promise.all(requests);
    let sum = 0;
    let active = 0;
    for (const response of responses) {
      sum += response.sum;
      active += response.active;
    }
    if (options.gradient) {
      const gradient = options.gradient;
      for (let c = 0; c < chunkCount; c++) {
        const partial = new Float64Array(this.sharedGradients[c]!);
        for (let i = 0; i < gradient.length; i++) gradient[i] = gradient[i]! + partial[i]!;
      }
    }
    const shuffledPart = sum / permutations;
    return {
      ...sequential,
      value: sequential.sequentialPart + shuffledPart,
      floor: probabilityRegularizationFloor(permutations),
      fired: sequential.fired || active > 0,
      shuffledPart,
      shuffledActiveFraction: active / permutations,
    };
  }

  /** Stops the workers. */
  async close(): Promise<void> {
    this.closed = true;
    for (const { pending } of this.queue.splice(0)) pending.reject(new Error("PR pool closed."));
    for (const pending of this.pending.values()) pending.reject(new Error("PR pool closed."));
    this.pending.clear();
    await Promise.all(this.workers.map((worker) => worker.terminate()));
    this.workers.length = 0;
    this.idle.length = 0;
  }

  private submit(request: ChunkRequest): Promise<ChunkResponse> {
    return new Promise<ChunkResponse>((resolve, reject) => {
      this.queue.push({ request, pending: { resolve, reject } });
      this.dispatch();
    });
  }

  private dispatch(): void {
    while (this.queue.length > 0) {
      let worker = this.idle.pop();
      if (!worker && this.workers.length < this.workerCount) worker = this.spawn();
      if (!worker) return;
      const { request, pending } = this.queue.shift()!;
      this.pending.set(request.id, pending);
      worker.postMessage(request);
    }
  }

  private spawn(): Worker {
    const worker = new Worker(new URL("./probability-regularization-worker-entry.mjs", import.meta.url));
    worker.on("message", (response: ChunkResponse) => {
      const pending = this.pending.get(response.id);
      this.pending.delete(response.id);
      this.idle.push(worker);
      if (pending) {
        if (response.error) pending.reject(new Error(`PR worker: ${response.error}`));
        else pending.resolve(response);
      }
      this.dispatch();
    });
    worker.on("error", (error) => {
      for (const pending of this.pending.values()) pending.reject(error);
      this.pending.clear();
    });
    this.workers.push(worker);
    return worker;
  }
}
