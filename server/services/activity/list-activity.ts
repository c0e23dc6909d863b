/**
 * A workflow's activity feed, newest first, a page at a time (needs view access). Each item carries its
 * readable line and, where there is one, a link (a run, a comment thread).
 */
import { assertWorkflowAccess } from "../authorization";
import type { ServiceContext } from "../context";
import { type ActivityData, describeActivity, PERSON_KEYS } from "./describe-activity";

export interface ActivityItem {
  id: string;
  kind: string;
  actor: { id: string; name: string } | null;
  line: string;
  href: string | null;
  createdAt: Date;
}

export interface ActivityPage {
  items: ActivityItem[];
  /** Pass back as `cursor` for the next (older) page; null at the end. */
  nextCursor: string | null;
}

function readData(raw: string): ActivityData {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const data: ActivityData = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
        data[key] = value as string | number | boolean | null;
      }
    }
    return data;
  } catch {
    return {};
  }
}

function hrefOf(data: ActivityData): string | null {
  if (typeof data.href === "string" && data.href.startsWith("/")) return data.href;
  if (typeof data.runId === "string") return `/runs/${encodeURIComponent(data.runId)}`;
  return null;
}

export async function listActivity(
  ctx: ServiceContext,
  input: { workflowId: string; cursor?: string; limit?: number },
): Promise<ActivityPage> {
  const { workflow } = await assertWorkflowAccess(ctx, input.workflowId, "view");
  const limit = Math.min(Math.max(input.limit ?? 30, 1), 100);
  const rows = await ctx.db.activity.findMany({
    where: { workflowId: workflow.id },
    orderBy: [{ createdAt: "desc" }, { id: "desc" }],
    take: limit + 1,
    ...(input.cursor ? { cursor: { id: input.cursor }, skip: 1 } : {}),
  });
  const page = rows.slice(0, limit);
  const parsed = page.map((row) => ({ row, data: readData(row.data) }));
  const personIds = new Set<string>();
  for (const { row, data } of parsed) {
    if (row.actorId) personIds.add(row.actorId);
    for (const key of PERSON_KEYS) {
      const id = data[key];
      if (typeof id === "string") personIds.add(id);
    }
  }
  const people = await ctx.db.user.findMany({
    where: { id: { in: [...personIds] } },
    select: { id: true, name: true },
  });
  const names = new Map(people.map((person) => [person.id, person.name]));
  return {
    items: parsed.map(({ row, data }) => {
      const actorName = row.actorId ? (names.get(row.actorId) ?? "Someone") : null;
      return {
        id: row.id,
        kind: row.kind,
        actor: row.actorId ? { id: row.actorId, name: actorName ?? "Someone" } : null,
        line: describeActivity(row.kind, data, actorName, names),
        href: hrefOf(data),
        createdAt: row.createdAt,
      };
    }),
    nextCursor: rows.length > limit ? (page.at(-1)?.id ?? null) : null,
  };
}
