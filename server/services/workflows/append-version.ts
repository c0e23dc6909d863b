/**
 * The one way a workflow gets a new version after its first: save and restore both come here.
 *
 * Race-free optimistic concurrency: inside one transaction the head is compared with the editor's base
 * version, the new version takes number head+1 (unique per workflow), and the head moves only if it still
 * is the base (a conditional update). Whichever of two concurrent saves from the same base commits second
 * hits the unique number or the moved head and gets CONFLICT; nothing of it is stored.
 */
import type { GraphDocument } from "@/nodes";
import type { WorkflowVersion } from "../../db/generated/prisma/client";
import { AppError, notFound } from "../../errors";
import { assertCanOnWorkflow } from "../authorization";
import type { ServiceContext } from "../context";
import { toStoredDocument } from "./graph-document";
import { toVersionSummary, toWorkflowSummary, type VersionSummary, type WorkflowSummary } from "./views";

export interface AppendVersionInput {
  workflowId: string;
  baseVersionId: string;
  document: GraphDocument;
  message: string;
  restoredFromVersionId?: string;
  /** An accepted proposal: the version credits its author, and records who accepted it. */
  acceptedProposal?: { proposalId: string; authorId: string; acceptedById: string };
}

export interface AppendVersionResult {
  workflow: WorkflowSummary;
  version: VersionSummary;
}

export function conflictError(head: Pick<WorkflowVersion, "id" | "number" | "message">): AppError {
  return new AppError(
    "CONFLICT",
    `This workflow was saved from another window since you opened it (now at version ${head.number}, “${head.message}”). ` +
      "Reload to see those changes; your edits were not saved.",
    { headVersionId: head.id, headVersionNumber: head.number, headMessage: head.message },
  );
}

class StaleBase extends Error {}

function isUniqueViolation(error: unknown): boolean {
  return typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
}

export async function appendVersion(
  ctx: ServiceContext,
  input: AppendVersionInput,
): Promise<AppendVersionResult> {
  try {
    return await ctx.db.$transaction(async (tx) => {
      const workflow = await tx.workflow.findFirst({
        where: { id: input.workflowId, deletedAt: null },
        include: { headVersion: true },
      });
      if (!workflow) throw notFound("Workflow", input.workflowId);
      await assertCanOnWorkflow({ actor: ctx.actor, db: tx }, workflow, "edit");
      const head = workflow.headVersion;
      if (!head) throw new AppError("INTERNAL", `Workflow “${workflow.name}” has no versions.`);
      if (head.id !== input.baseVersionId) throw conflictError(head);

      const version = await tx.workflowVersion.create({
        data: {
          workflowId: workflow.id,
          number: head.number + 1,
          ...toStoredDocument(input.document),
          message: input.message,
          authorId: input.acceptedProposal?.authorId ?? ctx.actor.userId,
          restoredFromVersionId: input.restoredFromVersionId ?? null,
          proposalId: input.acceptedProposal?.proposalId ?? null,
          acceptedById: input.acceptedProposal?.acceptedById ?? null,
        },
      });
      const moved = await tx.workflow.updateMany({
        where: { id: workflow.id, headVersionId: head.id, deletedAt: null },
        data: { headVersionId: version.id },
      });
      if (moved.count !== 1) throw new StaleBase();
      const updated = await tx.workflow.findUniqueOrThrow({
        where: { id: workflow.id },
        include: { headVersion: true },
      });
      return { workflow: toWorkflowSummary(updated), version: toVersionSummary(version) };
    });
  } catch (error) {
    if (error instanceof StaleBase || isUniqueViolation(error)) {
      // Another save won the race after our read; report the head it left.
      const workflow = await ctx.db.workflow.findFirst({
        where: { id: input.workflowId },
        include: { headVersion: true },
      });
      if (workflow?.headVersion) throw conflictError(workflow.headVersion);
    }
    throw error;
  }
}
