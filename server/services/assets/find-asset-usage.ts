/**
 * Where uploaded assets are used: the workflows whose head version names them (a custom reward's scorer by
 * asset id, a Sampler's model by "upload:<sha256>"). Workflows in the trash count too, since they can be
 * restored. Older versions do not: a run of one whose upload was deleted stops with a message on the node.
 */
import { parseGraphDocument } from "@/nodes";
import { UPLOADED_MODEL_PREFIX } from "@/nodes/model-id";
import { accessibleWorkflowFilter, isInstanceAdmin } from "../authorization";
import type { Actor, ServiceContext } from "../context";
import { documentReferences } from "../workflows/check-references";

export interface AssetUse {
  workflowId: string;
  workflowName: string;
  inTrash: boolean;
}

/** Asset id → the workflows using it, for the given assets. */
export async function findAssetUsage(
  ctx: Pick<ServiceContext, "db">,
  assets: readonly { id: string; kind: string; sha256: string }[],
): Promise<Map<string, AssetUse[]>> {
  const usage = new Map<string, AssetUse[]>(assets.map((asset) => [asset.id, []]));
  if (assets.length === 0) return usage;
  const scorerIds = new Set(assets.filter((asset) => asset.kind === "scorer").map((asset) => asset.id));
  const modelIdsBySha = new Map(
    assets.filter((asset) => asset.kind === "model").map((asset) => [asset.sha256, asset.id]),
  );
  const workflows = await ctx.db.workflow.findMany({
    where: { headVersionId: { not: null } },
    select: { id: true, name: true, deletedAt: true, headVersion: { select: { document: true } } },
    orderBy: { name: "asc" },
  });
  for (const workflow of workflows) {
    const text = workflow.headVersion?.document;
    // Cheap filter first: only documents that mention an upload at all are parsed.
    if (!text || (!text.includes(UPLOADED_MODEL_PREFIX) && ![...scorerIds].some((id) => text.includes(id)))) {
      continue;
    }
    let parsed: ReturnType<typeof parseGraphDocument>;
    try {
      parsed = parseGraphDocument(JSON.parse(text));
    } catch {
      continue;
    }
    if (!parsed.ok) continue;
    const used = new Set<string>();
    for (const reference of documentReferences(parsed.document)) {
      if (reference.names === "scorer" && scorerIds.has(reference.value)) used.add(reference.value);
      if (reference.names === "model" && reference.value.startsWith(UPLOADED_MODEL_PREFIX)) {
        const id = modelIdsBySha.get(reference.value.slice(UPLOADED_MODEL_PREFIX.length));
        if (id) used.add(id);
      }
    }
    for (const id of used) {
      usage.get(id)?.push({
        workflowId: workflow.id,
        workflowName: workflow.name,
        inTrash: workflow.deletedAt !== null,
      });
    }
  }
  return usage;
}

/**
 * The ids of the workflows (live or in the trash) the actor may open, or "all" for admins and the app: what
 * decides which uses of an upload a person is told about, and which uploads of others they see.
 */
export async function viewableWorkflowIds(
  ctx: Pick<ServiceContext, "db">,
  actor: Actor,
): Promise<ReadonlySet<string> | "all"> {
  if (actor.system || isInstanceAdmin(actor)) return "all";
  const rows = await ctx.db.workflow.findMany({
    where: accessibleWorkflowFilter(actor, "view"),
    select: { id: true },
  });
  return new Set(rows.map((row) => row.id));
}

/**
 * Whether a use of someone else's upload lets the actor see it: only a use on a workflow shared with them
 * (or any, for admins). Their own workflows do not count, or naming a guessed id in a workflow of one's own
 * would reveal the upload.
 */
export async function grantsSight(
  ctx: Pick<ServiceContext, "db">,
  actor: Actor,
  uses: readonly AssetUse[],
): Promise<boolean> {
  if (actor.system || isInstanceAdmin(actor)) return true;
  if (actor.userId === null || uses.length === 0) return false;
  const shared = await ctx.db.workflowShare.count({
    where: { userId: actor.userId, workflowId: { in: uses.map((use) => use.workflowId) } },
  });
  return shared > 0;
}

/** Uses on workflows the actor may open, and how many others there are (named to nobody who cannot open them). */
export function splitUses(
  uses: readonly AssetUse[],
  viewable: ReadonlySet<string> | "all",
): { visible: AssetUse[]; hidden: number } {
  const visible = uses.filter((use) => viewable === "all" || viewable.has(use.workflowId));
  return { visible, hidden: uses.length - visible.length };
}
