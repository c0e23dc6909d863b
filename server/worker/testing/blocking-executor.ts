/**
 * For the worker supervisor's tests, inside the worker child: the small loop executor, except that runs
 * named in DNO_WORKER_TEST_EXECUTOR="block:<runId>,<runId>" block the JS thread for good, as a native
 * onnxruntime-node session load or run does (it is synchronous on the JS thread). "loop:<ms>" is the small loop
 * alone with <ms> per iteration (the worker process tests). "busy:<ms>" is the small loop whose every
 * iteration first holds the JS thread for <ms> (a long native model call that does return: full-size models
 * on CPU take minutes per call).
 */
import type { RunExecutor } from "../executor-port";
import { createSmallLoopExecutor } from "./small-loop-executor";

export function createBlockingTestExecutor(spec: string): RunExecutor {
  // "loop:<ms>": only the small loop, <ms> per iteration (worker process tests).
  const loopOnly = /^loop:(\d+)$/.exec(spec);
  if (loopOnly) return createSmallLoopExecutor({ delayMs: Number(loopOnly[1]) });
  const busy = /^busy:(\d+)$/.exec(spec);
  if (busy) return createBusyExecutor(Number(busy[1]));
  const match = /^block:(.*)$/.exec(spec);
  if (!match)
    throw new Error(
      `DNO_WORKER_TEST_EXECUTOR must be block:<runId>,…, loop:<ms> or busy:<ms>; got "${spec}".`,
    );
  const blocked = new Set((match[1] ?? "").split(",").filter((id) => id !== ""));
  const loop = createSmallLoopExecutor({ delayMs: 20 });
  return {
    device: loop.device,
    async execute(request) {
      if (blocked.has(request.runId)) {
        // Let the "Started" log and status reach the server first, then never yield again.
        await new Promise((resolve) => setTimeout(resolve, 50));
        for (;;) {
          // busy: a synchronous native call that never returns
        }
      }
      return loop.execute(request);
    },
  };
}

/** Holds the JS thread for `ms`, as a synchronous native call does: no timer, no I/O callback runs. */
function holdThread(ms: number): void {
  const until = Date.now() + ms;
  while (Date.now() < until) {
    // busy
  }
}

function createBusyExecutor(ms: number): RunExecutor {
  const loop = createSmallLoopExecutor({ delayMs: 0 });
  return {
    device: loop.device,
    execute(request) {
      return loop.execute({
        ...request,
        onIteration: (report) => {
          holdThread(ms);
          return request.onIteration(report);
        },
      });
    },
  };
}
