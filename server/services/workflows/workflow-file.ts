/** The exported workflow file: a small JSON envelope around the graph document. */
import { z } from "zod";

export const WORKFLOW_FILE_FORMAT = "dno-studio.workflow";
export const WORKFLOW_FILE_FORMAT_VERSION = 1;
/**
 * The default of MAX_IMPORT_BYTES (server/env.ts): imports larger are refused before parsing (a real workflow
 * is a few tens of kB).
 */
export const MAX_IMPORT_BYTES = 1024 * 1024;
export const MAX_WORKFLOW_NAME_LENGTH = 120;
export const MAX_WORKFLOW_DESCRIPTION_LENGTH = 2000;

export interface WorkflowFileEnvelope {
  format: typeof WORKFLOW_FILE_FORMAT;
  formatVersion: typeof WORKFLOW_FILE_FORMAT_VERSION;
  name: string;
  description: string;
  document: unknown;
  exportedAt: string;
}

/** Version 1 envelope, read leniently: a hand-edited file may lack the description or the date. */
export const workflowFileEnvelopeSchema = z.object({
  format: z.literal(WORKFLOW_FILE_FORMAT),
  formatVersion: z.literal(WORKFLOW_FILE_FORMAT_VERSION),
  name: z.string().optional(),
  description: z.string().optional(),
  document: z.unknown(),
  exportedAt: z.string().optional(),
});

/** A file name for the download: the workflow's name in lower case with dashes. */
export function exportFileName(name: string): string {
  const slug = name
    .normalize("NFKD")
    .replace(/[\u0300-\u036f]/g, "")
    .toLowerCase()
    .replace(/[^a-z0-9]+/g, "-")
    .replace(/^-+|-+$/g, "")
    .slice(0, 80);
  return `${slug || "workflow"}.dno.json`;
}
