/** What services hand out: plain objects (Dates stay Dates; superjson carries them to the browser). */
import type { GraphDocument } from "@/nodes";
import type { Workflow, WorkflowVersion } from "../../db/generated/prisma/client";
import { AppError } from "../../errors";
import { readStoredDocument } from "./graph-document";

export interface VersionSummary {
  id: string;
  workflowId: string;
  /** 1, 2, 3, … per workflow. */
  number: number;
  message: string;
  schemaVersion: number;
  authorId: string | null;
  /** Set on versions made by restoring an older one. */
  restoredFromVersionId: string | null;
  /** Set on versions made by accepting a proposal (authorId is then the proposal's author). */
  proposalId: string | null;
  acceptedById: string | null;
  createdAt: Date;
}

export interface VersionDetail extends VersionSummary {
  document: GraphDocument;
  isHead: boolean;
}

export interface WorkflowSummary {
  id: string;
  name: string;
  description: string;
  ownerId: string | null;
  /** Slug of the seeded example this workflow is, or null. */
  exampleSlug: string | null;
  createdAt: Date;
  updatedAt: Date;
  headVersion: VersionSummary;
}

export interface WorkflowDetail extends WorkflowSummary {
  /** The head version's document (migrated to the current schema if it was older). */
  document: GraphDocument;
}

export function toVersionSummary(version: WorkflowVersion): VersionSummary {
  return {
    id: version.id,
    workflowId: version.workflowId,
    number: version.number,
    message: version.message,
    schemaVersion: version.schemaVersion,
    authorId: version.authorId,
    restoredFromVersionId: version.restoredFromVersionId,
    proposalId: version.proposalId,
    acceptedById: version.acceptedById,
    createdAt: version.createdAt,
  };
}

type WorkflowWithHead = Workflow & { headVersion: WorkflowVersion | null };

function requireHead(workflow: WorkflowWithHead): WorkflowVersion {
  if (!workflow.headVersion) {
    throw new AppError("INTERNAL", `Workflow “${workflow.name}” (${workflow.id}) has no versions.`);
  }
  return workflow.headVersion;
}

export function toWorkflowSummary(workflow: WorkflowWithHead): WorkflowSummary {
  return {
    id: workflow.id,
    name: workflow.name,
    description: workflow.description,
    ownerId: workflow.ownerId,
    exampleSlug: workflow.exampleSlug,
    createdAt: workflow.createdAt,
    updatedAt: workflow.updatedAt,
    headVersion: toVersionSummary(requireHead(workflow)),
  };
}

export function toWorkflowDetail(workflow: WorkflowWithHead): WorkflowDetail {
  const head = requireHead(workflow);
  return {
    ...toWorkflowSummary(workflow),
    document: readStoredDocument(head.document, `version ${head.number} of “${workflow.name}”`),
  };
}
