/**
 * What a node's `run` may touch: everything in the outside world reaches a node through this context,
 * which keeps node declarations isomorphic (the browser imports them for the palette and the forms).
 *
 * The server's executor provides the implementation; tests provide their own. Fields are added here as the
 * runtime grows (model runtime, DNO engine); node files import this file with `import type` only.
 */
export interface NodeRunContext {
  /** Aborted when the run is cancelled; long operations check it between model calls. */
  readonly signal: AbortSignal;
  /** Human-readable log line attached to the run (and to the node that wrote it). */
  log(message: string): void;
}
