import type { ServiceContext } from "../context";
import { loadWorkflow } from "../workflows/load-workflow";
import { toVersionSummary, type VersionSummary } from "../workflows/views";

export interface VersionListItem extends VersionSummary {
  isHead: boolean;
  /** Who made it (an accepted proposal credits the proposal's author) and who accepted it, by name. */
  authorName: string | null;
  acceptedByName: string | null;
}

/** Every version of a workflow, newest first. */
export async function listVersions(
  ctx: ServiceContext,
  input: { workflowId: string },
): Promise<VersionListItem[]> {
  const workflow = await loadWorkflow(ctx, input.workflowId, "view");
  const versions = await ctx.db.workflowVersion.findMany({
    where: { workflowId: workflow.id },
    orderBy: { number: "desc" },
  });
  const userIds = new Set<string>();
  for (const version of versions) {
    if (version.authorId) userIds.add(version.authorId);
    if (version.acceptedById) userIds.add(version.acceptedById);
  }
  const users = await ctx.db.user.findMany({
    where: { id: { in: [...userIds] } },
    select: { id: true, name: true },
  });
  const nameOf = (id: string | null) => (id ? (users.find((user) => user.id === id)?.name ?? null) : null);
  return versions.map((version) => ({
    ...toVersionSummary(version),
    isHead: version.id === workflow.headVersionId,
    authorName: nameOf(version.authorId),
    acceptedByName: nameOf(version.acceptedById),
  }));
}
