import { exampleWorkflows } from "@/nodes/graph/examples";
import type { DbClient } from "../../db/client";
import { type InstanceRole, type ServiceContext, userActor } from "../context";
import { createWorkflow } from "./create-workflow";

export interface ExampleWorkflow {
  slug: string;
  name: string;
  description: string;
  document: unknown;
}

/**
 * Creates the actor's copies of the example workflows that are missing, matched by (owner, slug): every
 * account gets its own copy of every example. Idempotent; an example the user deleted stays deleted (its row,
 * soft-deleted, still holds the slug). Concurrent seeders are harmless: (owner, slug) is unique, and the
 * loser of a race skips that example. Seeds nothing for an actor that is not an account (examples without an
 * owner would be nobody's).
 */
export async function seedExampleWorkflows(
  ctx: ServiceContext,
  examples: readonly ExampleWorkflow[] = exampleWorkflows,
): Promise<{ created: string[] }> {
  const ownerId = ctx.actor.userId;
  if (ownerId === null) return { created: [] };
  const present = await ctx.db.workflow.findMany({
    where: { ownerId, exampleSlug: { in: examples.map((example) => example.slug) } },
    select: { exampleSlug: true },
  });
  const presentSlugs = new Set(present.map((workflow) => workflow.exampleSlug));
  const created: string[] = [];
  for (const example of examples) {
    if (presentSlugs.has(example.slug)) continue;
    try {
      await createWorkflow(ctx, {
        name: example.name,
        description: example.description,
        document: example.document,
        message: "Example",
        exampleSlug: example.slug,
      });
      created.push(example.slug);
    } catch (error) {
      const isDuplicate =
        typeof error === "object" && error !== null && "code" in error && error.code === "P2002";
      if (!isDuplicate) throw error;
    }
  }
  return { created };
}

/**
 * Start-up seeding: each existing account gets the examples it is missing (e.g. an example added by an
 * update). Before the first account exists nothing is seeded: the owner gets the examples at setup.
 */
export async function seedExamplesForAllAccounts(
  db: DbClient,
  examples: readonly ExampleWorkflow[] = exampleWorkflows,
): Promise<{ created: string[] }> {
  const users = await db.user.findMany({ select: { id: true, role: true }, orderBy: { createdAt: "asc" } });
  const created: string[] = [];
  for (const user of users) {
    const role: InstanceRole = user.role === "owner" || user.role === "admin" ? user.role : "user";
    const result = await seedExampleWorkflows({ db, actor: userActor(user.id, role) }, examples);
    created.push(...result.created);
  }
  return { created };
}
