/**
 * Review and re-run: takes the document a run executed, applies the reviewer's parameter changes, saves it
 * as the workflow's next version (with the reviewer's message), and queues a run that revises the first.
 */
import type { GraphDocument } from "@/nodes";
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { appendVersion } from "../workflows/append-version";
import { assertSavable } from "../workflows/graph-document";
import { loadRun } from "./load-run";
import { readRunConfig } from "./run-views";
import { assertReferencesExist } from "../workflows/check-references";
import { assertRunnable } from "./run-plan-check";
import { type StartRunResult, startRun } from "./start-run";

export interface ParamChange {
  nodeId: string;
  param: string;
  value: unknown;
}

export function applyParamChanges(document: GraphDocument, changes: readonly ParamChange[]): GraphDocument {
  const next = structuredClone(document);
  for (const change of changes) {
    const node = next.nodes.find((candidate) => candidate.id === change.nodeId);
    if (!node) {
      throw new AppError("VALIDATION", `There is no node “${change.nodeId}” in this run's workflow.`, {
        issues: [{ message: "Unknown node", nodeId: change.nodeId, code: "unknown-node" }],
      });
    }
    node.params = { ...node.params, [change.param]: change.value };
  }
  return next;
}

export async function rerunWithChanges(
  ctx: ServiceContext,
  input: { runId: string; changes: ParamChange[]; message: string },
): Promise<StartRunResult & { revisesRunId: string }> {
  const original = await loadRun(ctx, input.runId, "run");
  const document = applyParamChanges(readRunConfig(original).document, input.changes);
  assertSavable(document, "The changed workflow cannot be saved");
  assertRunnable(document, "The changed workflow cannot run");
  // Before the version is appended: a missing model or upload must leave nothing behind.
  await assertReferencesExist(ctx, document, "The changed workflow cannot run");
  const workflow = await ctx.db.workflow.findUniqueOrThrow({ where: { id: original.workflowId } });
  if (!workflow.headVersionId) throw new AppError("INTERNAL", "The workflow has no head version.");
  const message =
    input.message.trim() ||
    `Re-run of version ${original.workflowVersion.number}: ${input.changes.map((change) => `${change.nodeId}.${change.param}`).join(", ")}`;
  const saved = await appendVersion(ctx, {
    workflowId: workflow.id,
    baseVersionId: workflow.headVersionId,
    document,
    message,
  });
  const started = await startRun(ctx, {
    workflowId: workflow.id,
    versionId: saved.version.id,
    revisesRunId: original.id,
  });
  return { ...started, savedVersionId: saved.version.id, revisesRunId: original.id };
}
