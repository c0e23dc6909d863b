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
