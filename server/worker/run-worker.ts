/**
 * The worker: claims queued runs from the queue (`concurrency` at a time on its device; 1 by default, since
 * one DNO run saturates a GPU), hands each to the executor, and persists what comes back: a RunStep with its
 * PNG per iteration, a checkpoint every K iterations, status and timings, the error with the failing node.
 * Nothing a run does can take the process down: every failure ends that run only.
 * Leases (CLUSTER.md): every claim holds a lease on the Run row, renewed each heartbeat; a failed renewal
 * aborts the run without writing anything more (writes are fenced anyway). Each heartbeat also reaps runs
 * whose lease expired (their worker died) back into the queue. Stopping hands runs back to the queue after
 * their current iteration; it never marks them interrupted.
 */
import { randomUUID } from "node:crypto";
import { hostname } from "node:os";
import { metricKeyNodes } from "@/nodes/kinds/metric-labels";
import type { GraphDocument } from "@/nodes";
import { encodePng } from "@/server/models/image";
import { AppError } from "../errors";
import type { ServiceContext } from "../services/context";
import { appendRunLog } from "../services/runs/append-run-log";
import type { ClaimedRun } from "../services/runs/claim-run";
import { finishRun } from "../services/runs/finish-run";
import { listRunSteps } from "../services/runs/list-run-steps";
import { readCheckpoint } from "../services/runs/read-checkpoint";
import { reapExpiredRuns } from "../services/runs/reap-expired-runs";
import { recordRunStep } from "../services/runs/record-run-step";
import { releaseRun } from "../services/runs/release-run";
import { renewRunLeases } from "../services/runs/renew-run-leases";
import { heartbeatWorker } from "../services/workers/heartbeat-worker";
import { registerWorker } from "../services/workers/register-worker";
import { stopWorker } from "../services/workers/stop-worker";
import { isJavaScriptInternalError, sanitizeErrorMessage } from "../sanitize-message";
import { errorNodeIdOf, type ExecutorIteration, type RunExecutor } from "./executor-port";
import type { RunQueue } from "./queue";
import { wakeLocalWorkers } from "./queue/local-wake";
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
  /** A claim's lease; renewed every `heartbeatMs`. Past it, other workers presume this one dead. */
  leaseMs?: number;
  heartbeatMs?: number;
  /** Claims of one run before the reaper fails it instead of queueing it again. */
  maxAttempts?: number;
  /** On stop, how long the current iteration may take to finish before the run is handed back anyway. */
  drainTimeoutMs?: number;
  /** Write a Worker row (admin page) at start, heartbeat it, mark it stopped (default true). */
  register?: boolean;
}

/** Why a run's controller was aborted, when it was not a cancel. */
class LeaseLost extends Error {
  constructor() {
    super("the worker lost the run's lease");
  }
}
class Released extends Error {
  constructor() {
    super("the worker is stopping");
  }
}
class Halted extends Error {
  constructor() {
    super("the worker halted");
  }
}

function isLeaseLostError(error: unknown): boolean {
  return error instanceof AppError && error.code === "CONFLICT" && error.details.reason === "lease-lost";
}

interface ActiveRun {
  controller: AbortController;
  attempt: number;
  draining: boolean;
  drainTimer: ReturnType<typeof setTimeout> | null;
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
  private readonly active = new Map<string, ActiveRun>();
  private registered: Promise<void> = Promise.resolve();
  private heartbeatTimer: ReturnType<typeof setInterval> | null = null;
  private ticking: Promise<void> = Promise.resolve();
  private tickBusy = false;
  private ticks = 0;
  private halted = false;
  private unsubscribeQueued: () => void = () => undefined;

  constructor(options: RunWorkerOptions) {
    this.workerId = options.workerId ?? `worker-${hostname()}-${process.pid}-${randomUUID().slice(0, 8)}`;
    const leaseMs = options.leaseMs ?? 30_000;
    this.options = {
      ctx: options.ctx,
      queue: options.queue,
      executor: options.executor,
      concurrency: Math.max(1, options.concurrency ?? 1),
      pollMs: options.pollMs ?? 1000,
      abandonAfterMs: options.abandonAfterMs ?? 3000,
      cancelPollMs: options.cancelPollMs ?? 2000,
      leaseMs,
      heartbeatMs: options.heartbeatMs ?? Math.min(5000, Math.floor(leaseMs / 3)),
      maxAttempts: options.maxAttempts ?? 3,
      drainTimeoutMs: options.drainTimeoutMs ?? 60_000,
      register: options.register ?? true,
    };
  }

  get activeRunIds(): string[] {
    return [...this.active.keys()];
  }

  start(): void {
    if (this.loops.length > 0) return;
    const { ctx, executor, concurrency, register } = this.options;
    if (register) {
      this.registered = registerWorker(ctx, {
        id: this.workerId,
        host: hostname(),
        pid: process.pid,
        device: executor.device,
        concurrency,
      }).catch((error: unknown) => console.error(`Run worker ${this.workerId}: registering failed:`, error));
    }
    // A run queued by another process (its status event arrives through the run-event bridge) wakes the
    // idle slots now rather than at their next poll.
    this.unsubscribeQueued = subscribeRunEvents("*", (event) => {
      if (event.type === "status" && event.status === "queued") wakeLocalWorkers();
    });
    // The first tick reaps runs of workers that died before this one started (only expired leases).
    this.runTick();
    this.heartbeatTimer = setInterval(() => this.runTick(), this.options.heartbeatMs);
    for (let slot = 0; slot < concurrency; slot++) this.loops.push(this.loop());
  }

  /**
   * Graceful stop (SIGTERM): takes no more runs; each running run finishes its current iteration, records it
   * with a checkpoint and goes back to the queue (its lease released) to continue on another worker; then
   * the Worker row is marked stopped. A run that does not reach the end of its iteration within
   * `drainTimeoutMs` is handed back from its last checkpoint.
   */
  async stop(): Promise<void> {
    this.stopController.abort();
    for (const entry of this.active.values()) {
      entry.draining = true;
      entry.drainTimer = setTimeout(
        () => entry.controller.abort(new Released()),
        this.options.drainTimeoutMs,
      );
    }
    await Promise.all(this.loops);
    this.unsubscribeQueued();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    await this.ticking;
    if (this.options.register && !this.halted) {
      await this.registered;
      await stopWorker(this.options.ctx, { id: this.workerId }).catch(() => undefined);
    }
  }

  /**
   * Stops at once and writes nothing more, as a killed process would (the second SIGTERM; tests of lost
   * workers): runs stay `running` under this worker until their lease expires and a reaper queues them again.
   */
  async halt(): Promise<void> {
    this.halted = true;
    this.unsubscribeQueued();
    if (this.heartbeatTimer) clearInterval(this.heartbeatTimer);
    this.stopController.abort();
    for (const entry of this.active.values()) entry.controller.abort(new Halted());
    await Promise.all(this.loops);
  }

  private runTick(): void {
    if (this.tickBusy) return;
    this.tickBusy = true;
    this.ticking = this.tick().finally(() => {
      this.tickBusy = false;
    });
  }

  /** One heartbeat: renew the leases held (abort runs whose lease was lost), the Worker row, then reap. */
  private async tick(): Promise<void> {
    const { ctx, queue, leaseMs, maxAttempts, heartbeatMs } = this.options;
    try {
      if (this.halted) return;
      const held = [...this.active.entries()].map(([id, entry]) => ({ id, attempt: entry.attempt }));
      if (held.length > 0) {
        const lost = await renewRunLeases(ctx, { workerId: this.workerId, leaseMs, runs: held });
        for (const runId of lost) {
          const entry = this.active.get(runId);
          if (entry && !entry.controller.signal.aborted) entry.controller.abort(new LeaseLost());
        }
      }
      if (this.halted) return;
      if (this.options.register) {
        await this.registered;
        await heartbeatWorker(ctx, { id: this.workerId });
      }
      const reaped = await reapExpiredRuns(ctx, { leaseMs, maxAttempts });
      if (reaped.requeued.length > 0) {
        await queue.enqueue(reaped.requeued);
        for (const runId of reaped.requeued) {
          publishRunEvent({ type: "status", runId, status: "queued", error: null, errorNodeId: null });
        }
      }
      for (const runId of reaped.failed) {
        const run = await ctx.db.run.findUnique({ where: { id: runId }, select: { error: true } });
        publishRunEvent({
          type: "status",
          runId,
          status: "failed",
          error: run?.error ?? null,
          errorNodeId: null,
        });
      }
      // About once a lease: make sure no queued run lost its job (pg-boss; a no-op on the embedded queue).
      if (this.ticks++ % Math.max(1, Math.round(leaseMs / heartbeatMs)) === 0) await queue.sweep();
    } catch (error) {
      console.error(`Run worker ${this.workerId}: heartbeat failed, retrying at the next one:`, error);
    }
  }

  private async loop(): Promise<void> {
    const { queue, executor, pollMs, leaseMs } = this.options;
    const stopSignal = this.stopController.signal;
    await this.registered;
    while (!stopSignal.aborted) {
      let claimed: ClaimedRun | null = null;
      try {
        claimed = await queue.claim({ workerId: this.workerId, device: executor.device, leaseMs });
      } catch (error) {
        console.error(`Run worker ${this.workerId}: claiming failed, retrying:`, error);
      }
      if (!claimed) {
        await queue.waitForWork(pollMs, stopSignal);
        continue;
      }
      if (stopSignal.aborted) {
        // Stopped while claiming: hand it straight back (halted: write nothing, the lease will expire).
        if (!this.halted) await this.handBack(claimed.id, claimed.attempt);
        break;
      }
      await this.execute(claimed);
    }
  }

  private async handBack(runId: string, attempt: number): Promise<void> {
    const { ctx, queue } = this.options;
    const released = await releaseRun(ctx, { runId, workerId: this.workerId, attempt }).catch(
      (error: unknown) => {
        console.error(`Run ${runId}: handing it back failed (its lease will expire instead):`, error);
        return false;
      },
    );
    if (!released) return;
    publishRunEvent({ type: "status", runId, status: "queued", error: null, errorNodeId: null });
    await queue.enqueue([runId]).catch((error: unknown) => {
      console.error(`Run ${runId}: re-queueing failed (the sweep will find it):`, error);
    });
  }

  private async execute(claimed: ClaimedRun): Promise<void> {
    const { ctx, executor } = this.options;
    const runId = claimed.id;
    const controller = new AbortController();
    const entry: ActiveRun = { controller, attempt: claimed.attempt, draining: false, drainTimer: null };
    this.active.set(runId, entry);
    let cancelRequested = false;
    let leaseLost = false;
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
      // A worker that lost the lease (or halted) writes nothing more, not even log lines.
      if (leaseLost || this.halted || controller.signal.reason instanceof LeaseLost) return Promise.resolve();
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
        onLog: (logEntry) => void log(logEntry.message, logEntry.level, logEntry.nodeId ?? null),
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
          // A stopping worker checkpoints the iteration it finishes, so the next worker loses nothing.
          const wantCheckpoint =
            report.checkpoint !== null &&
            ((iteration + 1) % checkpointEvery === 0 || lastPlanned || entry.draining);
          const png = encodePng(report.image);
          const recorded = await recordRunStep(ctx, {
            runId,
            workerId: this.workerId,
            attempt: claimed.attempt,
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
          } else if (entry.draining && !lastPlanned && !controller.signal.aborted) {
            controller.abort(new Released());
          }
        },
      });
      const result = await settleOrAbandon(execution, controller.signal, this.options.abandonAfterMs);
      if (controller.signal.aborted) throw controller.signal.reason ?? new Error("aborted");
      const summary = await finishRun(ctx, {
        runId,
        workerId: this.workerId,
        attempt: claimed.attempt,
        status: "succeeded",
        message: result.stoppedEarly
          ? `Finished early after ${result.iterations} iterations (a guard stopped it).`
          : `Finished ${result.iterations} iterations.`,
      });
      if (summary)
        publishRunEvent({ type: "status", runId, status: "succeeded", error: null, errorNodeId: null });
    } catch (error) {
      leaseLost ||= controller.signal.reason instanceof LeaseLost || isLeaseLostError(error);
      if (this.halted) {
        // Nothing more is written: the lease expires and another worker resumes the run.
      } else if (leaseLost) {
        console.warn(
          `Run ${runId}: worker ${this.workerId} lost its lease (another worker may have it now); stopped without writing.`,
        );
      } else {
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
            attempt: claimed.attempt,
            status: "cancelled",
            message: "Cancelled; the iterations done so far are kept.",
          }).catch(() => null);
          if (summary)
            publishRunEvent({ type: "status", runId, status: "cancelled", error: null, errorNodeId: null });
        } else if (controller.signal.reason instanceof Released) {
          // Shutting down: the run goes back to the queue from its last checkpoint, for another worker.
          await this.handBack(runId, claimed.attempt);
        } else {
          // The full error (stack, paths) goes to the log; the run keeps the sanitized sentence.
          console.error(`Run ${runId} failed:`, error);
          const message = describeFailure(error, runId);
          const nodeId = error instanceof NodeFailure ? error.nodeId : errorNodeIdOf(error);
          const summary = await finishRun(ctx, {
            runId,
            workerId: this.workerId,
            attempt: claimed.attempt,
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
      }
    } finally {
      if (entry.drainTimer) clearTimeout(entry.drainTimer);
      clearInterval(cancelWatch);
      unsubscribe();
      this.active.delete(runId);
    }
  }
}
