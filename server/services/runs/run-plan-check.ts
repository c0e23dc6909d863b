/**
 * The submission check: the registry's validation (every run-blocking issue, per node) and the executor's
 * planner (refusals such as backprop through a reward without gradient), turned into one VALIDATION error
 * whose issues the editor paints on the nodes.
 */
import { type GraphDocument, issuesBlockingRun, validateGraph } from "@/nodes";
import { ExecutorError } from "@/server/executor/errors";
import { planRun, type RunPlan } from "@/server/executor/plan";
import { AppError, type AppIssue } from "../../errors";

export function assertRunnable(document: GraphDocument, what: string): RunPlan {
  const issues: AppIssue[] = issuesBlockingRun(validateGraph(document)).map((issue) => ({
    message: issue.message,
    code: issue.code,
    ...(issue.nodeId !== undefined ? { nodeId: issue.nodeId } : {}),
    ...(issue.param !== undefined ? { param: issue.param } : {}),
    ...(issue.port !== undefined ? { port: issue.port } : {}),
    ...(issue.edgeId !== undefined ? { edgeId: issue.edgeId } : {}),
  }));
  // The planner words "backprop through a reward without gradient" better than the validator; let it speak.
  const blocking = issues.filter((issue) => issue.code !== "non-differentiable-reward");
  if (blocking.length > 0) {
    const shown = blocking.slice(0, 3).map((issue) => issue.message);
    const more = blocking.length > shown.length ? ` (and ${blocking.length - shown.length} more)` : "";
    throw new AppError("VALIDATION", `${what}: ${shown.join(" ")}${more}`, { issues: blocking });
  }
  try {
    return planRun(document, { skipValidation: true });
  } catch (error) {
    if (error instanceof ExecutorError) {
      const planIssues: AppIssue[] =
        error.issues.length > 0
          ? error.issues.map((issue) => ({
              message: issue.message,
              code: issue.code,
              ...(issue.nodeId !== undefined ? { nodeId: issue.nodeId } : {}),
              ...(issue.param !== undefined ? { param: issue.param } : {}),
            }))
          : [
              {
                message: error.message,
                code: error.code.toLowerCase(),
                ...(error.nodeId ? { nodeId: error.nodeId } : {}),
              },
            ];
      throw new AppError("VALIDATION", `${what}: ${error.message}`, { issues: planIssues });
    }
    throw error;
  }
}
