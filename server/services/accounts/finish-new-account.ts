/**
 * What follows the creation of an account: the first owner takes over everything made before accounts
 * existed (workflows, runs, uploads without an owner), an invitation is marked used, and every account gets
 * its own copy of the example workflows.
 */
import type { DbClient } from "@/server/db/client";
import { type InstanceRole, userActor } from "../context";
import { seedExampleWorkflows } from "../workflows/seed-example-workflows";

export interface FinishedAccount {
  assigned: { workflows: number; runs: number; assets: number };
  seededExamples: string[];
}

/** Rows without an owner (made before the first account) become the owner's. */
export async function assignUnownedToOwner(db: DbClient, ownerId: string) {
  const [workflows, runs, assets] = await db.$transaction([
    db.workflow.updateMany({ where: { ownerId: null }, data: { ownerId } }),
    db.run.updateMany({ where: { ownerId: null }, data: { ownerId } }),
    db.asset.updateMany({ where: { uploadedById: null }, data: { uploadedById: ownerId } }),
  ]);
  return { workflows: workflows.count, runs: runs.count, assets: assets.count };
}

export async function finishNewAccount(
  db: DbClient,
  user: { id: string; role: InstanceRole },
  invitationId: string | null,
): Promise<FinishedAccount> {
  const assigned =
    user.role === "owner" ? await assignUnownedToOwner(db, user.id) : { workflows: 0, runs: 0, assets: 0 };
  if (invitationId) {
    await db.invitation.update({ where: { id: invitationId }, data: { acceptedAt: new Date() } });
  }
  const { created } = await seedExampleWorkflows({ db, actor: userActor(user.id, user.role) });
  return { assigned, seededExamples: created };
}
