/**
 * The worker: claims queued runs from the queue (`concurrency` at a time on its device; 1 by default, since
 * one DNO run saturates a GPU), hands each to the executor, and persists what comes back: a RunStep with its
 * PNG per iteration, a checkpoint every K iterations, status and timings, the error with the failing node.
 * Nothing a run does can take the process down: every failure ends that run only.
 */
import { randomUUID } from "node:crypto";
import { metricKeyNodes } from "@/nodes/kinds/metric-labels";
import type { GraphDocument } from "@/nodes";
import { encodePng } from "@/server/models/image";
import type { ServiceContext } from "../services/context";
import { appendRunLog } from "../services/runs/append-run-log";
import type { ClaimedRun } from "../services/runs/claim-next-run";
import { finishRun } from "../services/runs/finish-run";
import { readCheckpoint } from "../services/runs/read-checkpoint";
import { recordRunStep } from "../services/runs/record-run-step";
import { listRunSteps } from "../services/runs/list-run-steps";
import { isJavaScriptInternalError, sanitizeErrorMessage } from "../sanitize-message";
import { errorNodeIdOf, type ExecutorIteration, type RunExecutor } from "./executor-port";
import type { RunQueue } from "./queue";
import { publishRunEvent, subscribeRunEvents } from "./run-events";

export interface RunWorkerOptions {
  ctx: ServiceContext;
  queue: RunQueue;
  executor: RunExecutor;
  /** Runs at a time on this worker's device. */
  concurrency?: number;
  /** How often an idle worker looks at the queue without being woken (other processes may queue runs). */
  pollMs?: number;
  workerId?: string;
  /**
   * After a cancel (or stop), how long the worker waits for the executor to give up before it stops waiting,
   * records the run's end and takes the next run. A native model call cannot be interrupted; this keeps one
   * stuck call from holding the queue.
   */
  abandonAfterMs?: number;
  /** How often a running run's row is checked for a cancel requested elsewhere (another process). */
  cancelPollMs?: number;
}

/** The executor did not return within the grace period after a cancel or stop. */
class AbandonedRun extends Error {
  constructor(readonly afterMs: number) {
    super(`The run did not stop within ${afterMs} ms of being asked to`);
  }
}

/**
 * Resolves with `work`, or rejects once `signal` has been aborted for `graceMs` without `work` settling. The
 * abandoned promise keeps running; its late rejection is swallowed here and its late results are ignored by
 * the caller (which checks the signal).
 */
async function settleOrAbandon<T>(work: Promise<T>, signal: AbortSignal, graceMs: number): Promise<T> {
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const abandoned = new Promise<never>((_, reject) => {
    onAbort = () => {
      timer = setTimeout(() => reject(new AbandonedRun(graceMs)), graceMs);
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener("abort", onAbort, { once: true });
  });
  work.catch(() => undefined);
  try {
    return await Promise.race([work, abandoned]);
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal.removeEventListener("abort", onAbort);
  }
}

/** A failure inside one iteration that belongs to a node (NaN reward, …). */
class NodeFailure extends Error {
  constructor(
    message: string,
    readonly nodeId: string,
  ) {
    super(message);
  }
}

/** The failure as the run page shows it: no server paths, ONNX Runtime source locations or JS internals. */
function describeFailure(error: unknown, runId: string): string {
  if (error instanceof RangeError && /allocation|memory/i.test(error.message)) {
    return `Out of memory: ${sanitizeErrorMessage(error.message)}. Use fewer steps, a smaller batch or a smaller model.`;
  }
  if (error instanceof Error) {
    if (/out of memory|bad_alloc|Failed to allocate/i.test(error.message)) {
      return `Out of memory: ${sanitizeErrorMessage(error.message)}. Use fewer steps, a smaller batch or a smaller model.`;
    }
    if (isJavaScriptInternalError(error)) {
      return `Something went wrong on the server (run ${runId}). The details are in the server log.`;
    }
    return sanitizeErrorMessage(error.message);
  }
  return sanitizeErrorMessage(String(error));
}

/** Metrics are keyed by node id, or for guards by the report keys their kind declares: find the node either way. */
function nodeIdForMetricKey(document: GraphDocument, key: string): string {
  return metricKeyNodes(document)[key] ?? key;
}

function firstNonFinite(
  document: GraphDocument,
  iteration: ExecutorIteration,
): { nodeId: string; what: string } | null {
  for (const [key, value] of Object.entries(iteration.metrics.rewards)) {
    if (!Number.isFinite(value))
      return { nodeId: nodeIdForMetricKey(document, key), what: `reward ${value}` };
  }
  for (const [key, guard] of Object.entries(iteration.metrics.guards)) {
    if (!Number.isFinite(guard.value)) {
      return { nodeId: nodeIdForMetricKey(document, key), what: `guard value ${guard.value}` };
    }
  }
  return null;
}

export class RunWorker {
  readonly workerId: string;
  private readonly options: Required<Omit<RunWorkerOptions, "workerId">>;
  private readonly stopController = new AbortController();
  private readonly loops: Promise<void>[] = [];
  private readonly active = new Map<string, AbortController>();

  constructor(options: RunWorkerOptions) {
    this.workerId = options.workerId ?? `worker-${process.pid}-${randomUUID().slice(0, 8)}`;
    this.options = {
      ctx: options.ctx,
      queue: options.queue,
      executor: options.executor,
      concurrency: Math.max(1, options.concurrency ?? 1),
      pollMs: options.pollMs ?? 1000,
      abandonAfterMs: options.abandonAfterMs ?? 3000,
      cancelPollMs: options.cancelPollMs ?? 2000,
    };
  }

  get activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  start(): void {
    if (this.loops.length > 0) return;
    for (let slot = 0; slot < this.options.concurrency; slot++) this.loops.push(this.loop());
  }

  /** Stops taking runs; running ones are aborted and end as interrupted (resumable), not cancelled. */
  async stop(): Promise<void> {
    this.stopController.abort();
    for (const controller of this.active.values()) controller.abort(new Error("worker stopping"));
    await Promise.all(this.loops);
  }

  private async loop(): Promise<void> {
    const { queue, executor, pollMs } = this.options;
    const stopSignal = this.stopController.signal;
    while (!stopSignal.aborted) {
      let claimed: ClaimedRun | null = null;
      try {
        claimed = await queue.claim({ workerId: this.workerId, device: executor.device });
      } catch (error) {
        console.error(`Run worker ${this.workerId}: claiming failed, retrying:`, error);
      }
      if (!claimed) {
        await queue.waitForWork(pollMs, stopSignal);
        continue;
      }
      await this.execute(claimed);
    }
  }

  private async execute(claimed: ClaimedRun): Promise<void> {
    const { ctx, executor } = this.options;
    const runId = claimed.id;
    const controller = new AbortController();
    this.active.set(runId, controller);
    let cancelRequested = false;
    const unsubscribe = subscribeRunEvents(runId, (event) => {
      if (event.type === "cancel-requested") {
        cancelRequested = true;
        controller.abort(new Error("cancelled"));
      }
    });
    // A cancel from another process reaches this worker only through the row; a run busy loading models
    // records no step for a long time, so look at the row periodically too.
    const cancelWatch = setInterval(() => {
      if (controller.signal.aborted) return;
      ctx.db.run
        .findUnique({ where: { id: runId }, select: { cancelRequestedAt: true } })
        .then((row) => {
          if (row?.cancelRequestedAt && !controller.signal.aborted) {
            cancelRequested = true;
            controller.abort(new Error("cancelled"));
          }
        })
        .catch(() => undefined);
    }, this.options.cancelPollMs);
    const log = (
      message: string,
      level: "info" | "warning" | "error" = "info",
      nodeId: string | null = null,
    ) => {
      publishRunEvent({ type: "log", runId, level, message, nodeId });
      return appendRunLog(ctx, { runId, message, level, nodeId }).catch(() => undefined);
    };
    const planned = claimed.config.iterations;
    try {
      // A cancel may have landed between queueing and claiming.
      const fresh = await ctx.db.run.findUnique({
        where: { id: runId },
        select: { cancelRequestedAt: true },
      });
      if (fresh?.cancelRequestedAt) {
        cancelRequested = true;
        controller.abort(new Error("cancelled"));
      }
      let resume: { checkpoint: Uint8Array; afterIteration: number } | null = null;
      let elapsedOffset = 0;
      if (claimed.checkpoint) {
        resume = {
          checkpoint: await readCheckpoint(ctx, { artifactId: claimed.checkpoint.artifactId }),
          afterIteration: claimed.checkpoint.iteration,
        };
        const { steps } = await listRunSteps(ctx, {
          runId,
          afterIteration: claimed.checkpoint.iteration - 1,
        });
        elapsedOffset = steps.at(-1)?.elapsedMs ?? 0;
      }
      publishRunEvent({ type: "status", runId, status: "running", error: null, errorNodeId: null });
      await log(
        resume
          ? `Resumed on ${executor.device} after iteration ${resume.afterIteration}.`
          : `Started on ${executor.device}.`,
      );
      const attemptStart = performance.now();
      let iterationsThisAttempt = 0;
      const execution = executor.execute({
        runId,
        document: claimed.config.document,
        signal: controller.signal,
        resume,
        onLog: (entry) => void log(entry.message, entry.level, entry.nodeId ?? null),
        onIteration: async (report) => {
          if (controller.signal.aborted) return;
          const bad = firstNonFinite(claimed.config.document, report);
          if (bad) {
            throw new NodeFailure(
              `Iteration ${report.metrics.iteration} produced a non-finite ${bad.what}. Lower the learning rate or check the reward's inputs.`,
              bad.nodeId,
            );
          }
          const elapsedMs = elapsedOffset + (performance.now() - attemptStart);
          iterationsThisAttempt++;
          const checkpointEvery = claimed.config.checkpointEvery;
          const iteration = report.metrics.iteration;
          const lastPlanned = iteration + 1 >= planned;
          const wantCheckpoint =
            report.checkpoint !== null && ((iteration + 1) % checkpointEvery === 0 || lastPlanned);
          const png = encodePng(report.image);
          const recorded = await recordRunStep(ctx, {
            runId,
            workerId: this.workerId,
            metrics: report.metrics,
            elapsedMs,
            image: { png, width: report.image.width, height: report.image.height },
            checkpoint: wantCheckpoint ? report.checkpoint : null,
          });
          const perIteration = (performance.now() - attemptStart) / iterationsThisAttempt;
          publishRunEvent({
            type: "iteration",
            runId,
            iterationsPlanned: planned,
            etaMs: Math.max(0, planned - (iteration + 1)) * perIteration,
            step: {
              iteration,
              metrics: { ...report.metrics, ms: report.metrics.ms ?? {} },
              imageArtifactId: recorded.imageArtifactId,
              elapsedMs,
            },
          });
          if (recorded.cancelRequested && !controller.signal.aborted) {
            cancelRequested = true;
            controller.abort(new Error("cancelled"));
          }
        },
      });
      const result = await settleOrAbandon(execution, controller.signal, this.options.abandonAfterMs);
      if (controller.signal.aborted) throw controller.signal.reason ?? new Error("aborted");
      const summary = await finishRun(ctx, {
        runId,
        workerId: this.workerId,
        status: "succeeded",
        message: result.stoppedEarly
          ? `Finished early after ${result.iterations} iterations (a guard stopped it).`
          : `Finished ${result.iterations} iterations.`,
      });
      if (summary)
        publishRunEvent({ type: "status", runId, status: "succeeded", error: null, errorNodeId: null });
    } catch (error) {
      if (error instanceof AbandonedRun) {
        await log(
          `The run's current model call did not stop within ${Math.round(error.afterMs / 100) / 10} s; ` +
            "the worker moved on and lets that call end in the background.",
          "warning",
        );
      }
      if (cancelRequested) {
        const summary = await finishRun(ctx, {
          runId,
          workerId: this.workerId,
          status: "cancelled",
          message: "Cancelled; the iterations done so far are kept.",
        }).catch(() => null);
        if (summary)
          publishRunEvent({ type: "status", runId, status: "cancelled", error: null, errorNodeId: null });
      } else if (this.stopController.signal.aborted) {
        // Shutting down: leave it resumable, exactly like a crash would (but tidily).
        await ctx.db.run
          .updateMany({
            where: { id: runId, status: "running", workerId: this.workerId },
            data: { status: "interrupted", finishedAt: new Date(), workerId: null },
          })
          .catch(() => undefined);
        await log(
          "Interrupted: the worker stopped. Resume it to continue from the last checkpoint.",
          "warning",
        );
        publishRunEvent({ type: "status", runId, status: "interrupted", error: null, errorNodeId: null });
      } else {
        // The full error (stack, paths) goes to the log; the run keeps the sanitized sentence.
        console.error(`Run ${runId} failed:`, error);
        const message = describeFailure(error, runId);
        const nodeId = error instanceof NodeFailure ? error.nodeId : errorNodeIdOf(error);
        const summary = await finishRun(ctx, {
          runId,
          workerId: this.workerId,
          status: "failed",
          error: message,
          errorNodeId: nodeId,
        }).catch((finishError: unknown) => {
          console.error(`Run ${runId}: could not record its failure:`, finishError);
          return null;
        });
        if (summary)
          publishRunEvent({ type: "status", runId, status: "failed", error: message, errorNodeId: nodeId });
      }
    } finally {
      clearInterval(cancelWatch);
      unsubscribe();
      this.active.delete(runId);
    }
  }
}
