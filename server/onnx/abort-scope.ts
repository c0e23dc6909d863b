/**
 * The run's cancel signal, visible to every ONNX load and run made on its behalf. The executor's many layers
 * (sampler, rewards, classifier, VJP models) call `onnx.load`/`model.run` without a signal parameter; the
 * worker's adapter opens a scope once and the runtime checks it at every native call, so a cancelled run
 * stops at its next model call even while it is still loading models.
 */
import { AsyncLocalStorage } from "node:async_hooks";

const globalKey = "__dnoStudioOnnxAbortScope";
type GlobalWithScope = typeof globalThis & { [globalKey]?: AsyncLocalStorage<AbortSignal> };

/** One storage per process: Next's hot reload may evaluate this module twice. */
function storage(): AsyncLocalStorage<AbortSignal> {
  const holder = globalThis as GlobalWithScope;
  holder[globalKey] ??= new AsyncLocalStorage<AbortSignal>();
  return holder[globalKey];
}

/** Runs `work` so that ONNX loads and runs inside it honour `signal`. */
export function withOnnxSignal<T>(signal: AbortSignal, work: () => Promise<T>): Promise<T> {
  return storage().run(signal, work);
}

/** The signal of the innermost enclosing `withOnnxSignal`, if any. */
export function currentOnnxSignal(): AbortSignal | undefined {
  return storage().getStore();
}
