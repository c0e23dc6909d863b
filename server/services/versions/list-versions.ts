import type { ServiceContext } from "../context";
import { loadWorkflow } from "../workflows/load-workflow";
import { toVersionSummary, type VersionSummary } from "../workflows/views";

export interface VersionListItem extends VersionSummary {
  isHead: boolean;
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
  return versions.map((version) => ({
    ...toVersionSummary(version),
    isHead: version.id === workflow.headVersionId,
  }));
}
