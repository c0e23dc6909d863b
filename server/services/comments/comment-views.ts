/**
 * Comments as the app shows them: the target a thread is pinned to (the workflow, a node, one parameter of a
 * node, a run, one iteration of a run, a proposal), the readable name of that target ("Guard › Strength (γ)"),
 * and the view handed to the browser. Bodies are plain text: stored verbatim, drawn as React text, never HTML.
 */
import type { GraphDocument } from "@/nodes";
import { paramLabel } from "@/nodes/describe-params";
import { ISSUE_SEPARATOR } from "@/nodes/graph/format-issues";
import { getNodeDefinition } from "@/nodes/registry";
import type { Comment } from "../../db/generated/prisma/client";

/** Longest comment body, in characters (a few paragraphs; longer notes belong in a proposal). */
export const MAX_COMMENT_LENGTH = 4000;

export const COMMENT_TARGET_KINDS = ["workflow", "node", "param", "run", "iteration", "proposal"] as const;
export type CommentTargetKind = (typeof COMMENT_TARGET_KINDS)[number];

export type CommentTarget =
  | { kind: "workflow" }
  | { kind: "node"; nodeId: string }
  | { kind: "param"; nodeId: string; paramKey: string }
  | { kind: "run"; runId: string }
  | { kind: "iteration"; runId: string; iteration: number }
  | { kind: "proposal"; proposalId: string };

/** The stored columns of a target (the others stay null). */
export function targetColumns(target: CommentTarget) {
  return {
    targetKind: target.kind,
    nodeId: target.kind === "node" || target.kind === "param" ? target.nodeId : null,
    paramKey: target.kind === "param" ? target.paramKey : null,
    runId: target.kind === "run" || target.kind === "iteration" ? target.runId : null,
    iteration: target.kind === "iteration" ? target.iteration : null,
    proposalId: target.kind === "proposal" ? target.proposalId : null,
  };
}

/** The target of a stored comment; an unknown kind reads as the workflow itself. */
export function targetOf(
  row: Pick<Comment, "targetKind" | "nodeId" | "paramKey" | "runId" | "iteration" | "proposalId">,
): CommentTarget {
  switch (row.targetKind) {
    case "node":
      if (row.nodeId) return { kind: "node", nodeId: row.nodeId };
      break;
    case "param":
      if (row.nodeId && row.paramKey) return { kind: "param", nodeId: row.nodeId, paramKey: row.paramKey };
      break;
    case "run":
      if (row.runId) return { kind: "run", runId: row.runId };
      break;
    case "iteration":
      if (row.runId && row.iteration !== null) {
        return { kind: "iteration", runId: row.runId, iteration: row.iteration };
      }
      break;
    case "proposal":
      if (row.proposalId) return { kind: "proposal", proposalId: row.proposalId };
      break;
  }
  return { kind: "workflow" };
}

/** A node as its card's title shows it: the name the user gave it, else its type's title. */
export function nodeTitle(document: GraphDocument | null, nodeId: string): string {
  const node = document?.nodes.find((candidate) => candidate.id === nodeId);
  if (!node) return `node ${nodeId}`;
  if (node.label !== undefined && node.label.trim() !== "") return node.label.trim();
  return getNodeDefinition(node.type)?.title ?? node.type;
}

/**
 * What a thread is about, in the editor's words: "the workflow", "Guard", "Guard › Strength (γ)",
 * "run of version 4", "iteration 12 of the run of version 4", "a proposal".
 */
export function describeTarget(
  target: CommentTarget,
  context: { document: GraphDocument | null; runVersionNumber?: number | null },
): string {
  const runName =
    context.runVersionNumber !== undefined && context.runVersionNumber !== null
      ? `the run of version ${context.runVersionNumber}`
      : "a run";
  switch (target.kind) {
    case "workflow":
      return "the workflow";
    case "node":
      return nodeTitle(context.document, target.nodeId);
    case "param": {
      const node = context.document?.nodes.find((candidate) => candidate.id === target.nodeId);
      const definition = node ? getNodeDefinition(node.type) : undefined;
      const param = definition ? paramLabel(definition, target.paramKey) : target.paramKey;
      return `${nodeTitle(context.document, target.nodeId)}${ISSUE_SEPARATOR}${param}`;
    }
    case "run":
      return runName;
    case "iteration":
      return `iteration ${target.iteration} of ${runName}`;
    case "proposal":
      return "a proposal";
  }
}

export interface CommentAuthorView {
  id: string;
  name: string;
}

export interface CommentView {
  id: string;
  workflowId: string;
  parentId: string | null;
  target: CommentTarget;
  author: CommentAuthorView;
  /** Plain text. Empty once deleted. */
  body: string;
  deleted: boolean;
  edited: boolean;
  createdAt: Date;
  editedAt: Date | null;
  /** Top-level comments only. */
  resolved: boolean;
  resolvedAt: Date | null;
  resolvedBy: CommentAuthorView | null;
  /** What the actor may do with it (the UI shows only these buttons; the services check again). */
  canEdit: boolean;
}

export interface CommentThreadView extends CommentView {
  replies: CommentView[];
  /** An iteration's image, shown with its thread (artifact id), when the iteration has one. */
  imageArtifactId: string | null;
}

type CommentRow = Comment & { author: { id: string; name: string } };

export function toCommentView(
  row: CommentRow,
  actorId: string | null,
  names: ReadonlyMap<string, string>,
): CommentView {
  const deleted = row.deletedAt !== null;
  return {
    id: row.id,
    workflowId: row.workflowId,
    parentId: row.parentId,
    target: targetOf(row),
    author: { id: row.author.id, name: row.author.name },
    body: deleted ? "" : row.body,
    deleted,
    edited: row.editedAt !== null,
    createdAt: row.createdAt,
    editedAt: row.editedAt,
    resolved: row.resolvedAt !== null,
    resolvedAt: row.resolvedAt,
    resolvedBy: row.resolvedById
      ? { id: row.resolvedById, name: names.get(row.resolvedById) ?? "someone" }
      : null,
    canEdit: !deleted && actorId !== null && row.authorId === actorId,
  };
}

/** The first words of a body, for notifications and the feed. */
export function excerpt(body: string, length = 140): string {
  const flat = body.replace(/\s+/g, " ").trim();
  return flat.length <= length ? flat : `${flat.slice(0, length - 1)}…`;
}
