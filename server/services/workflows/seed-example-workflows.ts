import { exampleWorkflows } from "@/nodes/graph/examples";
import type { ServiceContext } from "../context";
import { createWorkflow } from "./create-workflow";

export interface ExampleWorkflow {
  slug: string;
  name: string;
  description: string;
  document: unknown;
}

/**
 * Creates the example workflows that are missing, matched by slug. Idempotent; an example the user deleted
 * stays deleted (its row, soft-deleted, still holds the slug). Concurrent seeders are harmless: the slug is
 * unique, and the loser of a race skips that example.
 */
export async function seedExampleWorkflows(
  ctx: ServiceContext,
  examples: readonly ExampleWorkflow[] = exampleWorkflows,
): Promise<{ created: string[] }> {
  const present = await ctx.db.workflow.findMany({
    where: { exampleSlug: { in: examples.map((example) => example.slug) } },
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
