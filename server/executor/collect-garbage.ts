/**
 * A full garbage collection on demand. ONNX Runtime's outputs are JavaScript arrays freed only by the collector:
 * the decoder segments' cuts and their gradients (0.8 GB at 512 px with the full SD-1.5 decoder) otherwise stayed
 * resident through the UNet's VJP calls that follow, the run's peak (decoder-segments.ts).
 *
 * `globalThis.gc` exists only in processes started with --expose-gc; no process here needs that flag (the worker's
 * child, the server computing in-process with DNO_WORKER_MODE=inprocess, the CLIs, tests): the function is taken
 * from V8 once — the flag set at run time exposes `gc` in contexts created afterwards, so a new context hands it
 * over (as Jest's leak detector does) — and the flag is turned back off, the program's global object untouched.
 */
import { setFlagsFromString } from "node:v8";
import { runInNewContext } from "node:vm";

let collector: (() => void) | null | undefined;

function garbageCollector(): (() => void) | null {
  if (collector !== undefined) return collector;
  const exposed = (globalThis as { gc?: unknown }).gc;
  if (typeof exposed === "function") {
    collector = exposed as () => void;
    return collector;
  }
  try {
    setFlagsFromString("--expose-gc");
    const gc: unknown = runInNewContext("gc");
    collector = typeof gc === "function" ? (gc as () => void) : null;
  } catch {
    collector = null;
  } finally {
    setFlagsFromString("--no-expose-gc");
  }
  return collector;
}

/** Runs a full collection (a no-op where V8 gives no way to ask for one). */
export function collectGarbage(): void {
  garbageCollector()?.();
}
