/**
 * The progress stream of one run, for the tRPC subscription: first what is already stored (so a reload or a
 * late subscriber catches up), then live events from this process's bus (which the worker child's IPC and,
 * on PostgreSQL, the run-event bridge feed from other processes). A gap in the iterations (events missed while
 * the bridge reconnected) is read from the stored steps, and while the bus is silent the database is polled.
 * Ends when the run has finished and everything was sent.
 */
import type { ServiceContext } from "../services/context";
import { listRunSteps } from "../services/runs/list-run-steps";
import { FINISHED_RUN_STATUSES, type RunStepView, type RunSummary } from "../services/runs/run-views";
import { type RunEvent, subscribeRunEvents } from "./run-events";

export type RunProgressEvent =
  | { type: "status"; run: RunSummary }
  | {
      type: "iteration";
      step: RunStepView;
      imageUrl: string | null;
      iterationsPlanned: number | null;
      elapsedMs: number;
      etaMs: number | null;
    }
  | { type: "log"; level: string; message: string; nodeId: string | null };

export interface WatchRunOptions {
  runId: string;
  /** Iterations up to this one were already received (reconnects send it as the last event id). */
  afterIteration?: number;
  signal?: AbortSignal;
  pollMs?: number;
  /** Access is checked again (a catch-up) at least this often, so a removed collaborator's stream stops. */
  recheckMs?: number;
}

export function artifactUrl(artifactId: string | null): string | null {
  return artifactId ? `/api/artifacts/${encodeURIComponent(artifactId)}` : null;
}

function estimate(step: RunStepView, planned: number | null): number | null {
  if (planned === null) return null;
  const perIteration = step.elapsedMs / (step.iteration + 1);
  return Math.max(0, planned - (step.iteration + 1)) * perIteration;
}

export async function* watchRun(
  ctx: ServiceContext,
  options: WatchRunOptions,
): AsyncGenerator<{ lastIteration: number; event: RunProgressEvent }> {
  // Only matters when the worker is another process (no bus events): how stale the page may get.
  const pollMs = options.pollMs ?? 500;
  let lastIteration = options.afterIteration ?? -1;
  const buffered: RunEvent[] = [];
  let wake: (() => void) | null = null;
  const unsubscribe = subscribeRunEvents(options.runId, (event) => {
    buffered.push(event);
    wake?.();
  });
  const onAbort = () => wake?.();
  options.signal?.addEventListener("abort", onAbort);
  try {
    let lastStatus: string | null = null;
    let lastCancelRequested = false;
    const catchUp = async function* () {
      const { run, steps } = await listRunSteps(ctx, { runId: options.runId, afterIteration: lastIteration });
      for (const step of steps) {
        lastIteration = step.iteration;
        yield {
          lastIteration,
          event: {
            type: "iteration",
            step,
            imageUrl: artifactUrl(step.imageArtifactId),
            iterationsPlanned: run.iterationsPlanned,
            elapsedMs: step.elapsedMs,
            etaMs: estimate(step, run.iterationsPlanned),
          } satisfies RunProgressEvent,
        };
      }
      if (run.status !== lastStatus || run.cancelRequested !== lastCancelRequested) {
        lastStatus = run.status;
        lastCancelRequested = run.cancelRequested;
        yield { lastIteration, event: { type: "status", run } satisfies RunProgressEvent };
      }
      return run;
    };
    // Each catch-up goes through listRunSteps → loadRun(…, "view"): the access check of the stream.
    let run = yield* catchUp();
    let checkedAt = Date.now();
    const recheckMs = options.recheckMs ?? 5000;
    while (!options.signal?.aborted && !FINISHED_RUN_STATUSES.includes(run.status)) {
      if (buffered.length === 0) {
        await new Promise<void>((resolve) => {
          const timer = setTimeout(resolve, pollMs);
          wake = () => {
            clearTimeout(timer);
            resolve();
          };
        });
        wake = null;
      }
      const events = buffered.splice(0);
      let needsCatchUp = events.length === 0;
      for (const event of events) {
        if (event.type === "iteration") {
          if (event.step.iteration <= lastIteration) continue;
          if (event.step.iteration !== lastIteration + 1) {
            // A gap (events missed while catching up): read it from the database instead.
            needsCatchUp = true;
            continue;
          }
          lastIteration = event.step.iteration;
          yield {
            lastIteration,
            event: {
              type: "iteration",
              step: event.step,
              imageUrl: artifactUrl(event.step.imageArtifactId),
              iterationsPlanned: event.iterationsPlanned,
              elapsedMs: event.step.elapsedMs,
              etaMs: event.etaMs,
            },
          };
        } else if (event.type === "log") {
          yield {
            lastIteration,
            event: { type: "log", level: event.level, message: event.message, nodeId: event.nodeId },
          };
        } else {
          needsCatchUp = true;
        }
      }
      if (needsCatchUp || Date.now() - checkedAt >= recheckMs) {
        run = yield* catchUp();
        checkedAt = Date.now();
      }
    }
  } finally {
    unsubscribe();
    options.signal?.removeEventListener("abort", onAbort);
  }
}
