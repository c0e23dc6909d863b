/**
 * Typed errors of the executor. Each names the problem, the node where it is, and what the user can do;
 * the run service maps `code` to a run status and shows `message` (and `issues`) as they are.
 */
import type { GraphIssue } from "@/nodes/graph/validate";

export type ExecutorErrorCode =
  /** The file is not a workflow (bad JSON, wrong envelope, unreadable document). */
  | "WORKFLOW_UNREADABLE"
  /** The graph has validation errors that block running; `issues` lists them per node. */
  | "WORKFLOW_INVALID"
  /** The graph is valid but this executor cannot run it as asked (e.g. backprop through JPEG). */
  | "PLAN_REFUSED"
  /** A model, a classifier or a scoring model could not be loaded or does not fit. */
  | "MODEL_UNAVAILABLE"
  /** A node's part failed while it was built or evaluated (a reward's scoring model, a guard's settings). */
  | "NODE_FAILED"
  /** A checkpoint does not belong to this workflow or is damaged. */
  | "CHECKPOINT_MISMATCH"
  /** The run was cancelled through its AbortSignal. */
  | "CANCELLED";

export class ExecutorError extends Error {
  override name = "ExecutorError";
  readonly code: ExecutorErrorCode;
  /** The node the problem is at, when there is one. */
  readonly nodeId: string | undefined;
  readonly issues: readonly GraphIssue[];

  constructor(
    code: ExecutorErrorCode,
    message: string,
    details: { nodeId?: string; issues?: readonly GraphIssue[]; cause?: unknown } = {},
  ) {
    super(message, details.cause === undefined ? undefined : { cause: details.cause });
    this.code = code;
    this.nodeId = details.nodeId;
    this.issues = details.issues ?? [];
  }
}

export class PlanRefusedError extends ExecutorError {
  override name = "PlanRefusedError";
  constructor(message: string, nodeId?: string) {
    super("PLAN_REFUSED", message, nodeId === undefined ? {} : { nodeId });
  }
}

export class WorkflowInvalidError extends ExecutorError {
  override name = "WorkflowInvalidError";
  constructor(issues: readonly GraphIssue[]) {
    super(
      "WORKFLOW_INVALID",
      `The workflow cannot run: ${issues.length} problem${issues.length === 1 ? "" : "s"} to fix first.\n${issues
        .map((issue) => `  - ${issue.message}`)
        .join("\n")}`,
      { issues },
    );
  }
}

export class RunCancelledError extends ExecutorError {
  override name = "RunCancelledError";
  constructor(where: string) {
    super("CANCELLED", `The run was cancelled (${where}).`);
  }
}

export function throwIfAborted(signal: AbortSignal | undefined, where: string): void {
  if (signal?.aborted) throw new RunCancelledError(where);
}

/**
 * An error raised while building or evaluating a Reward's or Guard's part, as an ExecutorError that names
 * the node (`Reward “Shape score”: …`) and carries its id, so the run's failure shows on that node and not
 * on the Sampler. Cancellation and errors that already name a node pass through unchanged.
 */
export function attributedToNode(error: unknown, node: { id: string; displayName: string }): unknown {
  if (error instanceof RunCancelledError) return error;
  if (error instanceof ExecutorError && error.nodeId !== undefined) return error;
  const detail = error instanceof Error ? error.message : String(error);
  const message = detail.startsWith(node.displayName) ? detail : `${node.displayName}: ${detail}`;
  return new ExecutorError(error instanceof ExecutorError ? error.code : "NODE_FAILED", message, {
    nodeId: node.id,
    cause: error,
  });
}
