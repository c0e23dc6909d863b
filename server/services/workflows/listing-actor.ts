import type { Actor } from "../context";

/**
 * Lists (workflows, trash) show a person's own workspace: what they own and what is shared with them, also
 * for the instance's owner and admins. Their wider powers apply when they open a workflow by its address,
 * not to the list: otherwise every account's copy of the examples would fill the owner's list.
 */
export function listingActor(actor: Actor): Actor {
  if (actor.system || actor.userId === null) return actor;
  return { userId: actor.userId, instanceRole: "user" };
}
