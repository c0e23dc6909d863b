/**
 * The people who can open a workflow: its owner, everyone it is shared with, and the instance's owner and
 * admins (who act as owner of every workflow). Mentions and reply notifications only reach these people, so a
 * comment never tells its text to someone who could not read it.
 */
import type { ServiceContext } from "../context";
import type { MentionCandidate } from "./find-mentions";

export async function listWorkflowPeople(
  ctx: ServiceContext,
  workflow: { id: string; ownerId: string | null },
): Promise<MentionCandidate[]> {
  const users = await ctx.db.user.findMany({
    where: {
      OR: [
        ...(workflow.ownerId ? [{ id: workflow.ownerId }] : []),
        { shares: { some: { workflowId: workflow.id } } },
        { role: { in: ["owner", "admin"] } },
      ],
    },
    select: { id: true, name: true, email: true, banned: true },
    orderBy: { name: "asc" },
  });
  return users.filter((user) => user.banned !== true).map(({ id, name, email }) => ({ id, name, email }));
}
