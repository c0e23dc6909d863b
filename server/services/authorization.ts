/**
 * The one place that decides who may do what (issue 10). Every service that reads or changes a workflow, its
 * versions, runs, artifacts, comments, proposals or shares asks here first.
 *
 * A person's role on a workflow: "owner" (Workflow.ownerId), or the role of a WorkflowShare row ("editor",
 * "reviewer", "viewer"). Instance admins and owners act as the owner of every workflow (they run the server);
 * the app itself (SYSTEM: the worker, seeding) may do everything. Anonymous visitors may do nothing.
 *
 * Someone with no role at all gets NOT_FOUND, exactly as for an id that does not exist, so guessing ids tells
 * nothing; someone with a role too small for the action gets FORBIDDEN with a sentence saying which access
 * they need and whom to ask.
 */
import { AppError, notFound } from "../errors";
import type { DbClient } from "../db/client";
import type { Actor, ServiceContext } from "./context";

/**
 * NOT_FOUND for a record the actor asked for and may not see, worded the same whether it does not exist or is
 * not theirs (so guessing ids tells nothing), and saying why a page that was open may stop working: access can
 * be removed while someone has the page open.
 */
export function notVisible(what: string, id: string): AppError {
  return new AppError(
    "NOT_FOUND",
    `${what} “${id}” does not exist, was deleted, or is no longer shared with you. Ask its owner if you need access.`,
    { id },
  );
}

/** Enough of a context to decide access; a transaction client fits too. */
export interface AccessContext {
  actor: Actor;
  db: Pick<DbClient, "workflowShare">;
}

export const WORKFLOW_ROLES = ["owner", "editor", "reviewer", "viewer"] as const;
export type WorkflowRole = (typeof WORKFLOW_ROLES)[number];
/** Roles that can be given to someone else (the owner stays Workflow.ownerId). */
export const SHARE_ROLES = ["editor", "reviewer", "viewer"] as const;
export type ShareRole = (typeof SHARE_ROLES)[number];

/**
 * What can be done to a workflow and everything under it:
 * - view: open it, its versions, runs, artifacts, comments, proposals and the live progress;
 * - comment: write, reply, resolve comments;
 * - propose: create and edit own proposals and run them (a proposal never changes the workflow);
 * - run: start, cancel, resume and re-run runs of the workflow's versions;
 * - edit: save new versions, rename, restore versions, accept or decline proposals;
 * - share: see and change who has access, create and revoke share links;
 * - delete: move to the trash and restore from it.
 */
export const WORKFLOW_ACTIONS = ["view", "comment", "propose", "run", "edit", "share", "delete"] as const;
export type WorkflowAction = (typeof WORKFLOW_ACTIONS)[number];

const ACTIONS_BY_ROLE: Record<WorkflowRole, ReadonlySet<WorkflowAction>> = {
  owner: new Set(WORKFLOW_ACTIONS),
  editor: new Set<WorkflowAction>(["view", "comment", "propose", "run", "edit"]),
  reviewer: new Set<WorkflowAction>(["view", "comment", "propose"]),
  viewer: new Set<WorkflowAction>(["view"]),
};

/** The smallest role that allows an action (used in "you need … access" messages). */
const SMALLEST_ROLE_FOR: Record<WorkflowAction, WorkflowRole> = {
  view: "viewer",
  comment: "reviewer",
  propose: "reviewer",
  run: "editor",
  edit: "editor",
  share: "owner",
  delete: "owner",
};

const ACTION_WORDS: Record<WorkflowAction, string> = {
  view: "open this workflow",
  comment: "comment on this workflow",
  propose: "propose changes to this workflow",
  run: "run this workflow",
  edit: "change this workflow",
  share: "change who has access to this workflow",
  delete: "delete or restore this workflow",
};

export function roleAllows(role: WorkflowRole | null, action: WorkflowAction): boolean {
  return role !== null && ACTIONS_BY_ROLE[role].has(action);
}

export function isInstanceAdmin(actor: Actor): boolean {
  return actor.instanceRole === "owner" || actor.instanceRole === "admin";
}

export function isShareRole(value: string): value is ShareRole {
  return (SHARE_ROLES as readonly string[]).includes(value);
}

interface WorkflowRef {
  id: string;
  ownerId: string | null;
}

/** The actor's role on a workflow, or null when they have none. */
export async function workflowRoleOf(
  ctx: AccessContext,
  workflow: WorkflowRef,
): Promise<WorkflowRole | null> {
  const { actor } = ctx;
  if (actor.system) return "owner";
  if (actor.userId === null) return null;
  if (workflow.ownerId === actor.userId || isInstanceAdmin(actor)) return "owner";
  const share = await ctx.db.workflowShare.findUnique({
    where: { workflowId_userId: { workflowId: workflow.id, userId: actor.userId } },
    select: { role: true },
  });
  return share && isShareRole(share.role) ? share.role : null;
}

/**
 * What a refused stranger is told was not found: the record they asked for (a run, an artifact, a version),
 * never the workflow behind it, whose id they did not know.
 */
export interface NotFoundAs {
  what: string;
  id: string;
}

/** Throws the right error when `role` does not allow `action` (see the header for which one). */
export function assertRoleAllows(
  actor: Actor,
  role: WorkflowRole | null,
  action: WorkflowAction,
  workflowId: string,
  notFoundAs: NotFoundAs = { what: "Workflow", id: workflowId },
): void {
  if (roleAllows(role, action)) return;
  if (actor.userId === null && !actor.system) {
    throw new AppError("UNAUTHORIZED", "Sign in to continue.");
  }
  if (role === null) throw notVisible(notFoundAs.what, notFoundAs.id);
  const needed = SMALLEST_ROLE_FOR[action];
  const article = needed === "owner" ? "the" : needed === "editor" ? "an" : "a";
  throw new AppError(
    "FORBIDDEN",
    needed === "owner"
      ? `Only the owner can ${ACTION_WORDS[action]}. You have ${role} access.`
      : `You need ${needed} access to ${ACTION_WORDS[action]} — you have ${role} access. Ask the owner for ${article} ${needed} role.`,
    { role, neededRole: needed },
  );
}

/** Checks the actor may do `action` on a workflow they know the row of; returns their role. */
export async function assertCanOnWorkflow(
  ctx: AccessContext,
  workflow: WorkflowRef,
  action: WorkflowAction,
  notFoundAs?: NotFoundAs,
): Promise<WorkflowRole> {
  const role = await workflowRoleOf(ctx, workflow);
  assertRoleAllows(ctx.actor, role, action, workflow.id, notFoundAs);
  return role as WorkflowRole;
}

/**
 * Loads a workflow by id (including ones in the trash) and checks the actor may do `action` on it. The
 * entry point for services that only have an id (comments, proposals, shares, activity).
 */
export async function assertWorkflowAccess(ctx: ServiceContext, workflowId: string, action: WorkflowAction) {
  assertSignedIn(ctx.actor);
  const workflow = await ctx.db.workflow.findUnique({ where: { id: workflowId } });
  if (!workflow) throw notVisible("Workflow", workflowId);
  const role = await assertCanOnWorkflow(ctx, workflow, action);
  return { workflow, role };
}

/**
 * A Prisma `where` fragment selecting the workflows on which the actor may do `action`, for list queries (one
 * query instead of a check per row). Mirrors workflowRoleOf: keep the two in step.
 */
export function accessibleWorkflowFilter(
  actor: Actor,
  action: WorkflowAction,
): { OR?: WorkflowWhere[]; id?: { in: string[] } } {
  if (actor.system || isInstanceAdmin(actor)) return {};
  if (actor.userId === null) return { id: { in: [] } };
  const roles = SHARE_ROLES.filter((role) => roleAllows(role, action));
  const or: WorkflowWhere[] = [{ ownerId: actor.userId }];
  if (roles.length > 0) or.push({ shares: { some: { userId: actor.userId, role: { in: [...roles] } } } });
  return { OR: or };
}

type WorkflowWhere =
  | { ownerId: string }
  | { shares: { some: { userId: string; role: { in: ShareRole[] } } } };

/**
 * For what is not tied to one workflow (the workflow list, creating and importing, models, uploads): any
 * signed-in person, and the app itself. Anonymous visitors are told to sign in.
 */
export function assertSignedIn(actor: Actor): void {
  if (actor.userId === null && !actor.system) throw new AppError("UNAUTHORIZED", "Sign in to continue.");
}

/** Instance-wide settings and people (open sign-up, invitations, admins): the instance's owner and admins. */
export function assertInstanceAdmin(actor: Actor): void {
  assertSignedIn(actor);
  if (actor.system || isInstanceAdmin(actor)) return;
  throw new AppError("FORBIDDEN", "Only the owner or an administrator of this DNO Studio can do this.");
}

/**
 * Uploaded files (scoring models, model .zips) are not part of one workflow: the uploader sees and deletes
 * theirs; others see one only while a workflow they may open uses it (so a shared workflow's model shows up
 * in its viewers' and editors' model lists); admins see and delete every upload.
 */
export function canSeeAsset(
  actor: Actor,
  asset: { uploadedById: string | null; summary?: string },
  usedByWorkflowTheyCanView: boolean,
): boolean {
  if (actor.system || isInstanceAdmin(actor)) return true;
  if (actor.userId === null) return false;
  return (
    asset.uploadedById === actor.userId ||
    alsoUploadedBy(asset.summary).includes(actor.userId) ||
    usedByWorkflowTheyCanView
  );
}

/**
 * People who uploaded the same bytes after the first uploader (an upload is stored once per content): kept in
 * the asset's summary JSON under this key, never sent to clients (asset-views.ts strips it).
 */
export const ALSO_UPLOADED_BY_KEY = "alsoUploadedBy";

export function alsoUploadedBy(summary: string | undefined): string[] {
  if (!summary) return [];
  try {
    const value: unknown = JSON.parse(summary);
    if (typeof value !== "object" || value === null) return [];
    const list = (value as Record<string, unknown>)[ALSO_UPLOADED_BY_KEY];
    return Array.isArray(list) ? list.filter((id): id is string => typeof id === "string") : [];
  } catch {
    return [];
  }
}

/** Deleting an upload: its uploader or an admin; others who can see it get FORBIDDEN, the rest NOT_FOUND. */
export function assertCanDeleteAsset(
  actor: Actor,
  asset: { id: string; name: string; uploadedById: string | null },
  usedByWorkflowTheyCanView: boolean,
): void {
  assertSignedIn(actor);
  if (actor.system || isInstanceAdmin(actor) || asset.uploadedById === actor.userId) return;
  if (!usedByWorkflowTheyCanView) throw notFound("Uploaded file", asset.id);
  throw new AppError(
    "FORBIDDEN",
    `Only the person who uploaded “${asset.name}” or an administrator can delete it.`,
  );
}

/** Owner stored on records the actor creates (null for the app itself). */
export function ownerIdFor(actor: Actor): string | null {
  return actor.userId;
}
