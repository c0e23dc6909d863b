/**
 * Checks that a new thread's target exists inside the workflow (a node or parameter of its saved version, one
 * of its runs or an iteration of one, one of its proposals) and names it in the editor's words.
 */
import { describeParams } from "@/nodes/describe-params";
import { getNodeDefinition } from "@/nodes/registry";
import type { GraphDocument } from "@/nodes";
import { AppError, notFound } from "../../errors";
import type { ServiceContext } from "../context";
import { readStoredDocument } from "../workflows/graph-document";
import { type CommentTarget, describeTarget } from "./comment-views";

/** The head version's document, or null when it cannot be read (labels then fall back to ids). */
export async function headDocumentOf(
  ctx: ServiceContext,
  workflow: { name: string; headVersionId: string | null },
): Promise<GraphDocument | null> {
  if (!workflow.headVersionId) return null;
  const head = await ctx.db.workflowVersion.findUnique({ where: { id: workflow.headVersionId } });
  if (!head) return null;
  try {
    return readStoredDocument(head.document, `“${workflow.name}”`);
  } catch {
    return null;
  }
}

/** The version number of a run of the workflow, or null when the run is not one of its runs. */
async function runVersionNumber(ctx: ServiceContext, workflowId: string, runId: string) {
  const run = await ctx.db.run.findUnique({
    where: { id: runId },
    select: { workflowId: true, workflowVersion: { select: { number: true } } },
  });
  return run && run.workflowId === workflowId ? run.workflowVersion.number : null;
}

/** The label of a stored target (no checks: the target was checked when the thread was started). */
export async function labelOfTarget(
  ctx: ServiceContext,
  workflow: { id: string; name: string; headVersionId: string | null },
  target: CommentTarget,
  document?: GraphDocument | null,
): Promise<string> {
  const needsDocument = target.kind === "node" || target.kind === "param";
  const doc = needsDocument ? (document ?? (await headDocumentOf(ctx, workflow))) : null;
  const number =
    target.kind === "run" || target.kind === "iteration"
      ? await runVersionNumber(ctx, workflow.id, target.runId)
      : null;
  return describeTarget(target, { document: doc, runVersionNumber: number });
}

/** Refuses a target that is not part of the workflow; returns its label. */
export async function checkCommentTarget(
  ctx: ServiceContext,
  workflow: { id: string; name: string; headVersionId: string | null },
  target: CommentTarget,
): Promise<string> {
  switch (target.kind) {
    case "workflow":
      break;
    case "node":
    case "param": {
      const document = await headDocumentOf(ctx, workflow);
      const node = document?.nodes.find((candidate) => candidate.id === target.nodeId);
      if (!node) {
        throw new AppError(
          "NOT_FOUND",
          `Node “${target.nodeId}” is not in the saved version of “${workflow.name}”. Save the workflow, then comment on the node.`,
          { id: target.nodeId },
        );
      }
      if (target.kind === "param") {
        const definition = getNodeDefinition(node.type);
        const known = definition ? describeParams(definition).some((f) => f.name === target.paramKey) : false;
        if (!known) {
          throw new AppError(
            "NOT_FOUND",
            `${describeTarget({ kind: "node", nodeId: node.id }, { document })} has no parameter “${target.paramKey}”.`,
            { id: target.paramKey },
          );
        }
      }
      return labelOfTarget(ctx, workflow, target, document);
    }
    case "run":
    case "iteration": {
      const number = await runVersionNumber(ctx, workflow.id, target.runId);
      if (number === null) throw notFound("Run", target.runId);
      if (target.kind === "iteration") {
        const step = await ctx.db.runStep.findUnique({
          where: { runId_iteration: { runId: target.runId, iteration: target.iteration } },
          select: { id: true },
        });
        if (!step) {
          throw new AppError(
            "NOT_FOUND",
            `The run of version ${number} has no iteration ${target.iteration} (yet). Pick an iteration from its list.`,
            { id: target.runId },
          );
        }
      }
      return describeTarget(target, { document: null, runVersionNumber: number });
    }
    case "proposal": {
      const proposal = await ctx.db.proposal.findUnique({
        where: { id: target.proposalId },
        select: { workflowId: true },
      });
      if (!proposal || proposal.workflowId !== workflow.id) throw notFound("Proposal", target.proposalId);
      break;
    }
  }
  return describeTarget(target, { document: null });
}

/** Where a thread opens in the app (notifications and the feed link here). */
export function commentHref(workflowId: string, target: CommentTarget, threadId: string): string {
  const query = `?comment=${encodeURIComponent(threadId)}`;
  if (target.kind === "run" || target.kind === "iteration") {
    return `/runs/${encodeURIComponent(target.runId)}${query}`;
  }
  if (target.kind === "proposal") {
    return `/workflows/${encodeURIComponent(workflowId)}/proposals/${encodeURIComponent(target.proposalId)}${query}`;
  }
  return `/workflows/${encodeURIComponent(workflowId)}${query}`;
}
