import { notFound } from "../../errors";
import type { ServiceContext } from "../context";

/** A version that belongs to the given workflow (a version id from another workflow is NOT_FOUND here). */
export async function loadVersionOfWorkflow(ctx: ServiceContext, workflowId: string, versionId: string) {
  const version = await ctx.db.workflowVersion.findFirst({ where: { id: versionId, workflowId } });
  if (!version) throw notFound("Version", versionId);
  return version;
}
