/** Input pieces shared by the routers. Limits mirror the services' own. */
import { z } from "zod";
import {
  MAX_IMPORT_BYTES,
  MAX_WORKFLOW_DESCRIPTION_LENGTH,
  MAX_WORKFLOW_NAME_LENGTH,
} from "../../services/workflows/workflow-file";

export const recordIdSchema = z.string().trim().min(1, "An id is required").max(64);

export const workflowNameSchema = z
  .string()
  .trim()
  .min(1, "A workflow needs a name")
  .max(MAX_WORKFLOW_NAME_LENGTH, `Names are at most ${MAX_WORKFLOW_NAME_LENGTH} characters`);

export const workflowDescriptionSchema = z
  .string()
  .max(
    MAX_WORKFLOW_DESCRIPTION_LENGTH,
    `Descriptions are at most ${MAX_WORKFLOW_DESCRIPTION_LENGTH} characters`,
  );

export const versionMessageSchema = z.string().max(500, "Messages are at most 500 characters");

/**
 * Import text is capped well above the service's 1 MB limit so that the service, not the transport, answers
 * an oversized file with its size and the limit.
 */
export const importTextSchema = z
  .string()
  .max(MAX_IMPORT_BYTES * 8, "The file is far too large to be a workflow");
