import type { ServiceContext } from "../context";

export async function appendRunLog(
  ctx: ServiceContext,
  input: { runId: string; message: string; level?: "info" | "warning" | "error"; nodeId?: string | null },
): Promise<void> {
  await ctx.db.runLogEntry.create({
    data: {
      runId: input.runId,
      message: input.message.slice(0, 4000),
      level: input.level ?? "info",
      nodeId: input.nodeId ?? null,
    },
  });
}
