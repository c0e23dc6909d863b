/**
 * The one place that decides who may do what. Today there are no accounts: everything is allowed, and new
 * records get the actor's id (null) as owner. Sharing (view/comment/edit roles) plugs in here, additively.
 */
import { AppError } from "../errors";
import type { Actor } from "./context";

export type WorkflowAction = "read" | "write" | "delete";

interface OwnedResource {
  ownerId: string | null;
}

export function canAccessWorkflow(actor: Actor, workflow: OwnedResource, _action: WorkflowAction): boolean {
  // Unowned workflows (created before accounts, or by anonymous users) are open to everyone.
  if (workflow.ownerId === null) return true;
  return actor.userId === workflow.ownerId;
}

export function assertCanAccessWorkflow(actor: Actor, workflow: OwnedResource, action: WorkflowAction): void {
  if (!canAccessWorkflow(actor, workflow, action)) {
    throw new AppError("FORBIDDEN", `You may not ${action} this workflow.`);
  }
}

/** Owner stored on records the actor creates. */
export function ownerIdFor(actor: Actor): string | null {
  return actor.userId;
}
