/**
 * The embedded worker as a supervised child process. onnxruntime-node creates sessions and runs them
 * synchronously on the JS thread, so in the web server's process one long native call would block every
 * request and no cancel could end it. Here the web server only supervises:
 * - the child's run events (progress, logs, status) arrive over IPC and are published on this process's bus
 *   (watch-run.ts streams them); cancels and queue wake-ups go to the child at once;
 * - a run asked to stop (cancel) that has not ended `killAfterMs` later means the child is stuck in a native
 *   call: the child is killed, the run marked cancelled, and a fresh child takes the queue;
 * - a child silent for longer than the ONNX limits allow while it holds a run is killed the same way, and the
 *   run fails with a sentence saying so;
 * - a child that crashes has its runs queued again at once (they resume from their last checkpoint, on this
 *   child's successor or any other worker) and is restarted with backoff;
 * - while the child lives, the supervisor renews its runs' leases and its Worker row's heartbeat too: a child
 *   blocked in a long native call cannot, and must not look dead to other workers, to the admin page or to
 *   the health endpoint for that (the silence limit above bounds it).
 * Only the supervisor settles its children's runs, by their worker id; workers never touch live leases.
 * The same supervisor runs `npm run worker` (main.ts, DNO_WORKER_MODE=child): there every child registers
 * under the one id the worker process was given, and a stop waits for the current iteration (minutes with
 * full-size models) rather than `killAfterMs`.
 */
import { type ChildProcess, fork } from "node:child_process";
import { randomUUID } from "node:crypto";
import path from "node:path";
import { repoRoot } from "../db/repo-root";
import { type OnnxLimits, readOnnxLimits } from "../onnx/config";
import { withHugePages } from "../onnx/huge-pages";
import type { ServiceContext } from "../services/context";
import { finishRun } from "../services/runs/finish-run";
import { listWorkerRuns } from "../services/runs/list-worker-runs";
import { reapExpiredRuns } from "../services/runs/reap-expired-runs";
import { renewRunLeases } from "../services/runs/renew-run-leases";
import { heartbeatWorker } from "../services/workers/heartbeat-worker";
import { stopWorker } from "../services/workers/stop-worker";
import { announceQueuedRuns, onRunQueued } from "./queue";
import { publishRunEvent, subscribeRunEvents } from "./run-events";
import { isChildMessage, type ParentMessage } from "./worker-ipc";

export interface WorkerSupervisorOptions {
  ctx: ServiceContext;
  /** A cancelled or stopping run that has not ended after this long gets its child killed. */
  killAfterMs?: number;
  /**
   * A child holding a run that sends no heartbeat for this long is blocked beyond the ONNX limits and is
   * killed (default: the longer of ORT_LOAD_TIMEOUT_MS and ORT_RUN_TIMEOUT_MS, plus killAfterMs).
   */
  silentAfterMs?: number;
  /** Restart delays after crashes: doubles from `initial` up to `max`; reset once a child lived a minute. */
  restartBackoffMs?: { initial: number; max: number };
  /** How often held runs are looked at (cancels from elsewhere, deadlines, silence). */
  checkEveryMs?: number;
  /** The child's entry (default server/worker/child-main.ts under the repository root, run through tsx). */
  entry?: string;
  /** Extra environment for the child (tests). */
  env?: Record<string, string>;
  /** The run lease and its renewal period (DNO_WORKER_LEASE_MS, DNO_WORKER_HEARTBEAT_MS). */
  leaseMs?: number;
  heartbeatMs?: number;
  /** Claims of one run before it fails instead of being queued again (DNO_WORKER_MAX_ATTEMPTS). */
  maxAttempts?: number;
  /**
   * The id every child registers and claims under (`npm run worker`: DNO_WORKER_ID or one generated per
   * process), so the admin page shows one row per worker process; runs a previous process left under this
   * id are queued again before the first child starts (ids are unique per worker, so that process is
   * gone). Unset (the web server): a fresh id per child.
   */
  workerId?: string;
}

export interface WorkerSupervisorStopOptions {
  /**
   * How long the child may take to finish its current iteration and hand its runs back before it is
   * killed (default `killAfterMs`). Leases are renewed meanwhile; a child silent past the ONNX limits is
   * still killed at once.
   */
  graceMs?: number;
}

type KillReason = "cancel" | "silent" | "stop";

interface ChildState {
  process: ChildProcess;
  workerId: string;
  startedAt: number;
  lastHeartbeatAt: number;
  /** It said it started (registered its Worker row). */
  ready: boolean;
  /** Why the supervisor killed it, or null while it was not killed on purpose. */
  killedFor: KillReason | null;
  exited: Promise<void>;
}

const LIVED_LONG_ENOUGH_MS = 60_000;

/** How long a cancelled run may take to end before its child is killed. */
export const DEFAULT_KILL_AFTER_MS = 5000;

/**
 * A child blocked in one native call longer than this is killed: the longer ONNX limit plus the kill delay.
 * The worker's stop waits the drain time plus this (main.ts); deploy/ stop timeouts must cover it.
 */
export function silentLimitMs(
  limits: Pick<OnnxLimits, "loadTimeoutMs" | "runTimeoutMs">,
  killAfterMs = DEFAULT_KILL_AFTER_MS,
): number {
  return Math.max(limits.loadTimeoutMs, limits.runTimeoutMs) + killAfterMs;
}

export class WorkerSupervisor {
  private readonly ctx: ServiceContext;
  private readonly killAfterMs: number;
  private readonly silentAfterMs: number;
  private readonly backoff: { initial: number; max: number };
  private readonly checkEveryMs: number;
  private readonly entry: string;
  private readonly extraEnv: Record<string, string>;
  private readonly leaseMs: number;
  private readonly heartbeatMs: number;
  private readonly maxAttempts: number;
  private readonly fixedWorkerId: string | undefined;
  private lastRenewalAt = 0;
  private lastWorkerBeatAt = 0;
  private readonly firstReady: Promise<string>;
  private settleFirstReady: { resolve: (workerId: string) => void; reject: (error: Error) => void } = {
    resolve: () => undefined,
    reject: () => undefined,
  };
  private everReady = false;
  private child: ChildState | null = null;
  /** Runs asked to stop, with the time by which they must have ended. */
  private readonly deadlines = new Map<string, number>();
  private crashes = 0;
  private stopping = false;
  private started = false;
  private restartTimer: ReturnType<typeof setTimeout> | null = null;
  private checkTimer: ReturnType<typeof setInterval> | null = null;
  private checking = false;
  private readonly cleanups: (() => void)[] = [];
  private readonly killOnExit = () => this.killNow();

  constructor(options: WorkerSupervisorOptions) {
    this.ctx = options.ctx;
    this.killAfterMs = options.killAfterMs ?? DEFAULT_KILL_AFTER_MS;
    this.silentAfterMs = options.silentAfterMs ?? silentLimitMs(readOnnxLimits(), this.killAfterMs);
    this.backoff = options.restartBackoffMs ?? { initial: 1000, max: 30_000 };
    this.checkEveryMs = options.checkEveryMs ?? 500;
    this.entry = options.entry ?? path.join(repoRoot(), "server", "worker", "child-main.ts");
    this.extraEnv = options.env ?? {};
    this.leaseMs = options.leaseMs ?? 30_000;
    this.heartbeatMs = options.heartbeatMs ?? Math.min(5000, Math.floor(this.leaseMs / 3));
    this.maxAttempts = options.maxAttempts ?? 3;
    this.fixedWorkerId = options.workerId;
    this.firstReady = new Promise<string>((resolve, reject) => {
      this.settleFirstReady = { resolve, reject };
    });
    // Nobody may be waiting for it (the web server does not): a failed first child is logged anyway.
    this.firstReady.catch(() => undefined);
  }

  /** A child blocked in one native call longer than this is killed (the ONNX limits plus `killAfterMs`). */
  get silentLimitMs(): number {
    return this.silentAfterMs;
  }

  /**
   * Resolves with the worker id once the first child has registered; rejects when the first child exits
   * before that (a start-up failure: its own log says why), so `npm run worker` can fail its start.
   */
  whenReady(): Promise<string> {
    return this.firstReady;
  }

  /** The current child's worker id (the Run rows it holds carry it), or null between children. */
  get workerId(): string | null {
    return this.child?.workerId ?? null;
  }

  /** The current child's process id (tests). */
  get childPid(): number | null {
    return this.child?.process.pid ?? null;
  }

  start(): void {
    if (this.started) return;
    this.started = true;
    this.cleanups.push(
      subscribeRunEvents("*", (event) => {
        // A run queued by another process (over the run-event bridge, `npm run worker` on PostgreSQL)
        // wakes the child now rather than at its next poll.
        if (event.type === "status" && event.status === "queued") this.send({ type: "wake" });
        if (event.type !== "cancel-requested") return;
        this.send({ type: "cancel", runId: event.runId });
        if (!this.deadlines.has(event.runId)) this.deadlines.set(event.runId, Date.now() + this.killAfterMs);
      }),
      onRunQueued(() => this.send({ type: "wake" })),
    );
    // The server exiting takes its child along (nothing asynchronous can run then); runs it held are
    // queued again once their lease expires.
    process.once("exit", this.killOnExit);
    this.checkTimer = setInterval(() => void this.check(), this.checkEveryMs);
    this.checkTimer.unref();
    if (this.fixedWorkerId === undefined) {
      this.spawn();
      return;
    }
    // Runs a previous process with this id left behind would otherwise look held (and be renewed) forever.
    const workerId = this.fixedWorkerId;
    void this.requeueRunsOf(workerId)
      .catch((error: unknown) => {
        console.error(`Run worker ${workerId}: queueing the runs of its previous process failed:`, error);
      })
      .finally(() => {
        if (!this.stopping) this.spawn();
      });
  }

  /**
   * Stops the child: it hands its runs back to the queue after their current iteration; killed if it does not
   * exit within `graceMs` (its runs are then queued again from their last checkpoint). Until it has exited,
   * its leases are renewed, cancels reach it, and this process exiting still kills it.
   */
  async stop(options: WorkerSupervisorStopOptions = {}): Promise<void> {
    this.stopping = true;
    if (this.restartTimer) clearTimeout(this.restartTimer);
    const child = this.child;
    if (child) {
      this.send({ type: "stop" });
      const timer = setTimeout(() => this.kill(child, "stop"), options.graceMs ?? this.killAfterMs);
      await child.exited;
      clearTimeout(timer);
    }
    // The Worker row says stopped even when the child was killed, or died (between restarts) before it
    // could say so itself.
    const rowId = child?.ready ? child.workerId : this.everReady ? this.fixedWorkerId : undefined;
    if (rowId !== undefined) await stopWorker(this.ctx, { id: rowId }).catch(() => undefined);
    if (this.checkTimer) clearInterval(this.checkTimer);
    for (const cleanup of this.cleanups.splice(0)) cleanup();
    process.off("exit", this.killOnExit);
    if (!this.everReady) this.settleFirstReady.reject(new Error("The worker stopped before it started."));
  }

  /** Synchronous last resort (process exit). */
  killNow(): void {
    this.child?.process.kill("SIGKILL");
  }

  private send(message: ParentMessage): void {
    const child = this.child?.process;
    if (!child?.connected) return;
    child.send(message, (error) => {
      // The child may exit between the check and the write; its exit is handled elsewhere.
      if (error) return;
    });
  }

  private spawn(): void {
    const workerId = this.fixedWorkerId ?? `worker-child-${randomUUID().slice(0, 8)}`;
    const root = repoRoot();
    const processHandle = fork(/* turbopackIgnore: true */ this.entry, [], {
      cwd: root,
      // The child runs the TypeScript sources through tsx, resolved from the repository (not from .next/).
      execArgv: ["--import", "tsx"],
      // Huge pages for ONNX Runtime's tensors: glibc reads the setting only at process start (huge-pages.ts).
      env: withHugePages({ ...process.env, ...this.extraEnv, DNO_WORKER_ID: workerId, DNO_REPO_ROOT: root }),
      stdio: ["ignore", "inherit", "inherit", "ipc"],
      serialization: "advanced",
    });
    let markExited: () => void = () => undefined;
    const exited = new Promise<void>((resolve) => {
      markExited = resolve;
    });
    const state: ChildState = {
      process: processHandle,
      workerId,
      startedAt: Date.now(),
      lastHeartbeatAt: Date.now(),
      ready: false,
      killedFor: null,
      exited,
    };
    this.child = state;
    processHandle.on("message", (message: unknown) => {
      if (!isChildMessage(message)) return;
      state.lastHeartbeatAt = Date.now();
      if (message.type === "event") publishRunEvent(message.event);
      else if (message.type === "ready" && !state.ready) {
        state.ready = true;
        this.everReady = true;
        this.settleFirstReady.resolve(state.workerId);
      }
    });
    let gone = false;
    const onGone = (code: number | null, signal: NodeJS.Signals | null) => {
      if (gone) return;
      gone = true;
      void this.afterExit(state, code, signal).finally(markExited);
    };
    processHandle.on("error", (error) => {
      console.error(`Run worker child ${workerId}:`, error);
      // A child that could not be spawned at all emits no exit.
      if (processHandle.pid === undefined) onGone(null, null);
    });
    processHandle.once("exit", onGone);
    // The supervisor alone never keeps a process alive (a build step or a test that forgot to stop it).
    processHandle.unref();
    processHandle.channel?.unref();
  }

  private kill(state: ChildState, reason: KillReason): void {
    if (state.killedFor !== null) return;
    state.killedFor = reason;
    state.process.kill("SIGKILL");
  }

  /** Looks at the runs the child holds: cancels from elsewhere, overdue stops, a silent child. */
  private async check(): Promise<void> {
    const state = this.child;
    if (!state || state.killedFor !== null || this.checking) return;
    this.checking = true;
    try {
      const held = await listWorkerRuns(this.ctx, { workerId: state.workerId });
      const heldIds = new Set(held.map((run) => run.id));
      for (const runId of this.deadlines.keys()) {
        // A run that ended (or was never this child's) needs no deadline; a cancel of a run the child has
        // not claimed yet is handled by the queue (cancelled while queued).
        if (!heldIds.has(runId)) this.deadlines.delete(runId);
      }
      const now = Date.now();
      for (const run of held) {
        if (run.cancelRequestedAt && !this.deadlines.has(run.id)) {
          // A cancel that reached only the row (another process): pass it on and start its clock.
          this.send({ type: "cancel", runId: run.id });
          this.deadlines.set(run.id, now + this.killAfterMs);
        }
      }
      if (held.length > 0 && now - this.lastRenewalAt >= this.heartbeatMs) {
        this.lastRenewalAt = now;
        await renewRunLeases(this.ctx, {
          workerId: state.workerId,
          leaseMs: this.leaseMs,
          runs: held.map((run) => ({ id: run.id })),
        });
      }
      // The Worker row too (admin page, /ready): a child in a long native call is alive, one silent past
      // the ONNX limits is not (and is killed below when it holds a run).
      if (
        state.ready &&
        now - this.lastWorkerBeatAt >= this.heartbeatMs &&
        now - state.lastHeartbeatAt <= this.silentAfterMs
      ) {
        this.lastWorkerBeatAt = now;
        await heartbeatWorker(this.ctx, { id: state.workerId });
      }
      if (held.some((run) => (this.deadlines.get(run.id) ?? Number.POSITIVE_INFINITY) <= now)) {
        this.kill(state, "cancel");
      } else if (held.length > 0 && now - state.lastHeartbeatAt > this.silentAfterMs) {
        this.kill(state, "silent");
      }
    } catch (error) {
      console.error("Run worker supervisor: checking the child's runs failed:", error);
    } finally {
      this.checking = false;
    }
  }

  /** Settles the runs a dead child held, then starts the next child unless the server is stopping. */
  private async afterExit(
    state: ChildState,
    code: number | null,
    signal: NodeJS.Signals | null,
  ): Promise<void> {
    if (this.child === state) this.child = null;
    if (!this.everReady) {
      this.settleFirstReady.reject(
        new Error(
          `Its child process exited (${signal ?? `code ${code}`}) before it started; its own message above says why.`,
        ),
      );
    }
    try {
      await this.settleRunsOf(state);
    } catch (error) {
      console.error(`Run worker child ${state.workerId}: settling its runs failed:`, error);
    }
    if (this.stopping) return;
    if (state.killedFor === "cancel" || state.killedFor === "silent") {
      console.warn(
        `Run worker child ${state.workerId} was stuck in a model call and was killed; starting a fresh one.`,
      );
      this.spawn();
      return;
    }
    if (Date.now() - state.startedAt > LIVED_LONG_ENOUGH_MS) this.crashes = 0;
    const delay = Math.min(this.backoff.max, this.backoff.initial * 2 ** this.crashes);
    this.crashes++;
    console.error(
      `Run worker child ${state.workerId} exited (${signal ?? `code ${code}`}); restarting in ${Math.round(delay / 100) / 10} s.`,
    );
    this.restartTimer = setTimeout(() => {
      this.restartTimer = null;
      if (!this.stopping) this.spawn();
    }, delay);
  }

  private async settleRunsOf(state: ChildState): Promise<void> {
    const held = await listWorkerRuns(this.ctx, { workerId: state.workerId });
    for (const run of held) {
      this.deadlines.delete(run.id);
      if (run.cancelRequestedAt) {
        await this.finish(state, run.id, "cancelled", {
          message:
            "Cancelled; the model call in progress could not be interrupted, so the worker was restarted. " +
            "The iterations done so far are kept.",
        });
      } else if (state.killedFor === "silent") {
        const seconds = Math.round(this.silentAfterMs / 1000);
        const error =
          `A model call ran for more than ${seconds} s without returning, so the worker was restarted. ` +
          "Use a smaller model or fewer steps, or raise ORT_LOAD_TIMEOUT_MS / ORT_RUN_TIMEOUT_MS.";
        await this.finish(state, run.id, "failed", { error });
      }
    }
    // The rest were healthy runs of a crashed or killed child: queued again at once (no need to wait for
    // the lease, the child is gone), to resume from their last checkpoint.
    await this.requeueRunsOf(state.workerId);
  }

  /** Queues again every run still held under this id (its holder is known to be gone). */
  private async requeueRunsOf(workerId: string): Promise<void> {
    const reaped = await reapExpiredRuns(this.ctx, {
      workerIds: [workerId],
      leaseMs: this.leaseMs,
      maxAttempts: this.maxAttempts,
    });
    for (const runId of reaped.failed) {
      publishRunEvent({ type: "status", runId, status: "failed", error: null, errorNodeId: null });
    }
    // Also tells watchers (status "queued") and, with pg-boss, sends the runs' jobs.
    await announceQueuedRuns(this.ctx, reaped.requeued);
  }

  private async finish(
    state: ChildState,
    runId: string,
    status: "cancelled" | "failed",
    details: { message?: string; error?: string },
  ): Promise<void> {
    const summary = await finishRun(this.ctx, {
      runId,
      workerId: state.workerId,
      status,
      error: details.error ?? null,
      ...(details.message ? { message: details.message } : {}),
    });
    if (summary) {
      publishRunEvent({ type: "status", runId, status, error: details.error ?? null, errorNodeId: null });
    }
  }
}
