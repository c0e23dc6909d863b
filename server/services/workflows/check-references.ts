/**
 * Checks that every id a document names exists on this server: the model of each "model" param (bundled,
 * MODELS_DIR or uploaded) and the uploaded file of each "file" param. Which params name what comes from the
 * registry's widget hints, so a new node type with a model or file param is checked without a change here.
 * Hidden params (e.g. the scorer of a Reward of another kind) are not checked.
 */
import { existsSync } from "node:fs";
import {
  describeParams,
  type GraphDocument,
  type GraphNode,
  getNodeDefinition,
  isParamVisible,
  nodeShortName,
  type ParamFieldDescriptor,
} from "@/nodes";
import { UPLOADED_MODEL_PREFIX } from "@/nodes/model-id";
import { type AssetKind, assetLocation } from "@/server/assets/asset-store";
import { listModels, type ModelDirectories, modelDirectories } from "@/server/models/discovery";
import { AppError, type AppIssue } from "../../errors";
import { canSeeAsset } from "../authorization";
import { findAssetUsage, grantsSight } from "../assets/find-asset-usage";
import type { Actor, ServiceContext } from "../context";

/** The asset kind a file param holds, from the extensions its picker accepts. */
function assetKindFor(accept: string | undefined): AssetKind {
  return accept?.includes(".zip") ? "model" : "scorer";
}

export interface DocumentReference {
  node: GraphNode;
  field: ParamFieldDescriptor;
  /** "model" for a model id (a "model" param), else the kind of asset a "file" param holds. */
  names: "model" | AssetKind;
  value: string;
}

/** The non-empty model and file ids a document's visible params name. */
export function documentReferences(document: GraphDocument): DocumentReference[] {
  const references: DocumentReference[] = [];
  for (const node of document.nodes) {
    const definition = getNodeDefinition(node.type);
    if (!definition) continue;
    const params = node.params as Record<string, unknown>;
    for (const field of describeParams(definition)) {
      if (field.widget !== "model" && field.widget !== "file") continue;
      const value = params[field.name];
      if (typeof value !== "string" || value === "" || !isParamVisible(field, params)) continue;
      references.push({
        node,
        field,
        value,
        names: field.widget === "model" ? "model" : assetKindFor(field.accept),
      });
    }
  }
  return references;
}

const quoted = (value: string) => `“${value.length > 80 ? `${value.slice(0, 80)}…` : value}”`;

/**
 * With an actor, an upload counts only when they may see it (their own, one a workflow they may open uses, or
 * any for admins and the app): someone else's upload id or model hash is "not on this server" to them.
 */
export async function findMissingReferences(
  ctx: Pick<ServiceContext, "db"> & { actor?: Actor },
  document: GraphDocument,
  options: { directories?: ModelDirectories; dataDir?: string } = {},
): Promise<AppIssue[]> {
  const directories = options.directories ?? modelDirectories();
  const dataDir = options.dataDir ?? directories.dataDir;
  let knownModels: Set<string> | null = null;
  const assetExists = async (kind: AssetKind, where: { id: string } | { sha256: string }) => {
    const asset = await ctx.db.asset.findFirst({
      where: { ...where, kind, deletedAt: null },
      select: { id: true, kind: true, sha256: true, uploadedById: true, summary: true },
    });
    if (asset === null || dataDir === undefined || !existsSync(assetLocation(kind, asset.sha256, dataDir))) {
      return false;
    }
    const actor = ctx.actor;
    if (!actor || canSeeAsset(actor, asset, false)) return true;
    const uses = (await findAssetUsage(ctx, [asset])).get(asset.id) ?? [];
    return canSeeAsset(actor, asset, await grantsSight(ctx, actor, uses));
  };
  const modelExists = async (id: string) => {
    if (id.startsWith(UPLOADED_MODEL_PREFIX)) {
      return assetExists("model", { sha256: id.slice(UPLOADED_MODEL_PREFIX.length) });
    }
    knownModels ??= new Set(listModels(directories).map((model) => model.id));
    return knownModels.has(id);
  };

  const issues: AppIssue[] = [];
  for (const reference of documentReferences(document)) {
    const { node, field, value } = reference;
    // "Sampler 1 › Model: …", the shape of every per-parameter message.
    const where = `${nodeShortName(node)} › ${field.label}`;
    if (reference.names === "model" && !(await modelExists(value))) {
      issues.push({
        code: "missing-model",
        nodeId: node.id,
        param: field.name,
        message: `${where}: no model ${quoted(value)} on this server; pick one from the list.`,
      });
    }
    if (reference.names !== "model" && !(await assetExists(reference.names, { id: value }))) {
      issues.push({
        code: "missing-upload",
        nodeId: node.id,
        param: field.name,
        message: `${where}: no uploaded file ${quoted(value)} on this server (it was deleted or never uploaded); upload it again or pick one from the list.`,
      });
    }
  }
  return issues;
}

/** Refuses (VALIDATION, per-node issues) a document naming a model or upload this server does not have. */
export async function assertReferencesExist(
  ctx: Pick<ServiceContext, "db"> & { actor?: Actor },
  document: GraphDocument,
  what: string,
): Promise<void> {
  const issues = await findMissingReferences(ctx, document);
  if (issues.length === 0) return;
  const shown = issues.slice(0, 3).map((issue) => issue.message);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : "";
  throw new AppError("VALIDATION", `${what}: ${shown.join(" ")}${more}`, { issues });
}
