import { emptyGraphDocument } from "@/nodes";
import { assertSignedIn, ownerIdFor } from "../authorization";
import type { ServiceContext } from "../context";
import { assertSavable, readSubmittedDocument, toStoredDocument } from "./graph-document";
import { toWorkflowDetail, type WorkflowDetail } from "./views";

export interface CreateWorkflowInput {
  name: string;
  description?: string;
  /** A graph document (any supported schema version); an empty graph when absent. */
  document?: unknown;
  /** Message of version 1. */
  message?: string;
  /** Set only by the example seeder. */
  exampleSlug?: string;
}

/** Creates a workflow with its version 1 ("Created"), atomically. */
export async function createWorkflow(
  ctx: ServiceContext,
  input: CreateWorkflowInput,
): Promise<WorkflowDetail> {
  // Every workflow has an owner (the app's own seeding aside): anonymous visitors create nothing.
  assertSignedIn(ctx.actor);
  const document =
    input.document === undefined ? emptyGraphDocument() : readSubmittedDocument(input.document);
  assertSavable(document, `Workflow “${input.name}” cannot be created`);
  const stored = toStoredDocument(document);
  const workflow = await ctx.db.$transaction(async (tx) => {
    const created = await tx.workflow.create({
      data: {
        name: input.name,
        description: input.description ?? "",
        ownerId: ownerIdFor(ctx.actor),
        exampleSlug: input.exampleSlug ?? null,
      },
    });
    const version = await tx.workflowVersion.create({
      data: {
        workflowId: created.id,
        number: 1,
        ...stored,
        message: input.message ?? "Created",
        authorId: ctx.actor.userId,
      },
    });
    return tx.workflow.update({
      where: { id: created.id },
      data: { headVersionId: version.id },
      include: { headVersion: true },
    });
  });
  return toWorkflowDetail(workflow);
}
