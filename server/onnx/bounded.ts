/**
 * Races a native ONNX Runtime call against a deadline and a cancel signal.
 *
 * onnxruntime-node 1.30 runs `InferenceSession.create` and `session.run` synchronously on the JS thread
 * (after a setImmediate), so no timer can interrupt one call that is already executing. What this bounds:
 * the waits around it (file reads, queued calls, a future off-thread binding) are abandoned at once on
 * timeout or cancel, and a call that returns after its deadline still counts as timed out, so a run stops
 * after one overlong call instead of repeating it. An abandoned call's late result goes to `onAbandoned`,
 * which releases it; it is never handed out as a good result.
 */

export interface BoundedOptions<T> {
  timeoutMs: number;
  signal?: AbortSignal | undefined;
  timedOut(): Error;
  cancelled(): Error;
  /** Receives the result of a call that finished after it was given up on (to release it). */
  onAbandoned?(late: T): void;
}

export async function bounded<T>(start: () => Promise<T>, options: BoundedOptions<T>): Promise<T> {
  const { signal, timeoutMs } = options;
  if (signal?.aborted) throw options.cancelled();
  const began = performance.now();
  let settled = false;
  let abandoned = false;
  let timer: ReturnType<typeof setTimeout> | undefined;
  let onAbort: (() => void) | undefined;
  const work = start();
  const stop = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(options.timedOut()), timeoutMs);
    onAbort = () => reject(options.cancelled());
    signal?.addEventListener("abort", onAbort, { once: true });
  });
  // Whatever happens to the race, a late success must be released rather than leaked.
  work.then(
    (value) => {
      if (abandoned) options.onAbandoned?.(value);
    },
    () => undefined,
  );
  try {
    const value = await Promise.race([work, stop]);
    settled = true;
    if (performance.now() - began > timeoutMs) {
      abandoned = true;
      options.onAbandoned?.(value);
      throw options.timedOut();
    }
    return value;
  } catch (error) {
    if (!settled) abandoned = true;
    throw error;
  } finally {
    if (timer) clearTimeout(timer);
    if (onAbort) signal?.removeEventListener("abort", onAbort);
  }
}

/** "60 s", "0.2 s": how timeouts read in messages. */
export function formatSeconds(ms: number): string {
  const seconds = ms / 1000;
  return seconds >= 10 ? `${Math.round(seconds)} s` : `${Number(seconds.toPrecision(2))} s`;
}
