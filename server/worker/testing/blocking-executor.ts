/**
 * For the worker supervisor's tests, inside the worker child: the small loop executor, except that runs
 * named in DNO_WORKER_TEST_EXECUTOR="block:<runId>,<runId>" block the JS thread for good, as a native
 * onnxruntime-node session load or run does (it is synchronous on the JS thread). "loop:<ms>" is the small loop
 * alone with <ms> per iteration (the worker process tests).
 */
import type { RunExecutor } from "../executor-port";
import { createSmallLoopExecutor } from "./small-loop-executor";

export function createBlockingTestExecutor(spec: string): RunExecutor {
  // "loop:<ms>": only the small loop, <ms> per iteration (worker process tests).
  const loopOnly = /^loop:(\d+)$/.exec(spec);
  if (loopOnly) return createSmallLoopExecutor({ delayMs: Number(loopOnly[1]) });
  const match = /^block:(.*)$/.exec(spec);
  if (!match)
    throw new Error(`DNO_WORKER_TEST_EXECUTOR must be block:<runId>,… or loop:<ms>; got "${spec}".`);
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
