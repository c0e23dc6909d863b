/**
 * Imports a workflow file (the file picker and a dropped DNO Studio PNG both end here). Every refusal names
 * the problem (too big, too deep, not JSON and where, a dangerous key, not a workflow, from a newer app,
 * unknown node types, parameters out of range) and stores nothing: all checks run before createWorkflow.
 */
import { AppError } from "../../errors";
import { workflowFileLimits } from "../../json/json-limits";
import { parseUntrustedJson } from "../../json/parse-untrusted-json";
import { hasOverlappingCards, tidyDocument } from "@/nodes/graph/layout";
import { accessibleWorkflowFilter, assertSignedIn } from "../authorization";
import type { ServiceContext } from "../context";
import { createWorkflow } from "./create-workflow";
import { assertSavable, readSubmittedDocument } from "./graph-document";
import { importNameRoot, readableImportDescription, uniqueImportName } from "./import-names";
import type { WorkflowDetail } from "./views";
import {
  MAX_WORKFLOW_DESCRIPTION_LENGTH,
  MAX_WORKFLOW_NAME_LENGTH,
  WORKFLOW_FILE_FORMAT,
  WORKFLOW_FILE_FORMAT_VERSION,
  workflowFileEnvelopeSchema,
} from "./workflow-file";

export interface ImportWorkflowInput {
  /** The file's text. */
  text: string;
  /** The file's name, used in messages and as the name when the file has none. */
  fileName?: string;
  /** Overrides the name stored in the file. */
  name?: string;
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === "object" && value !== null && !Array.isArray(value);
}

function looksLikeBareDocument(value: Record<string, unknown>): boolean {
  return Array.isArray(value.nodes) && ("schemaVersion" in value || "version" in value);
}

/** The file's own name: a browser may send a path, and messages must not echo one. */
function baseName(fileName: string): string {
  return fileName.replace(/^.*[\\/]/, "") || "The file";
}

function nameFromFile(fileName: string | undefined): string | undefined {
  if (!fileName) return undefined;
  const base = baseName(fileName).replace(/(\.dno)?\.json$/i, "");
  return base === "" ? undefined : base;
}

export async function importWorkflow(
  ctx: ServiceContext,
  input: ImportWorkflowInput,
): Promise<WorkflowDetail> {
  assertSignedIn(ctx.actor);
  const source = input.fileName ? baseName(input.fileName) : "The file";
  const label = input.fileName ? `“${source}”` : "The file";

  // The same parser as every other entry (tRPC body, CLI): BOM, size, depth, dangerous keys, line/column.
  const parsedJson = parseUntrustedJson(input.text, source, workflowFileLimits());
  if (!parsedJson.ok) {
    const { code, message, line, column, limit } = parsedJson.problem;
    throw new AppError(code === "too-large" ? "PAYLOAD_TOO_LARGE" : "VALIDATION", message, {
      issues: [{ code, message, ...(line !== undefined ? { line, column } : {}) }],
      ...(limit !== undefined ? { limit } : {}),
    });
  }
  const content = parsedJson.value;
  if (!isRecord(content)) {
    throw new AppError(
      "UNSUPPORTED_FORMAT",
      `${label} is not a DNO Studio workflow: it holds no JSON object.`,
    );
  }

  let fileName: string | undefined;
  let description = "";
  let documentInput: unknown;
  if ("format" in content) {
    if (content.format !== WORKFLOW_FILE_FORMAT) {
      throw new AppError(
        "UNSUPPORTED_FORMAT",
        `${label} is not a DNO Studio workflow: its format is ${JSON.stringify(content.format)}, expected “${WORKFLOW_FILE_FORMAT}”.`,
      );
    }
    const formatVersion = content.formatVersion;
    if (typeof formatVersion === "number" && formatVersion > WORKFLOW_FILE_FORMAT_VERSION) {
      throw new AppError(
        "UNSUPPORTED_VERSION",
        `${label} was exported by a newer DNO Studio (file format version ${formatVersion}; this app reads version ${WORKFLOW_FILE_FORMAT_VERSION}). Update the app to import it.`,
      );
    }
    const envelope = workflowFileEnvelopeSchema.safeParse(content);
    if (!envelope.success) {
      const first = envelope.error.issues[0];
      throw new AppError(
        "VALIDATION",
        `${label} is a damaged workflow file: “${first?.path.join(".") || "(file)"}” ${first?.message ?? "is invalid"}.`,
      );
    }
    fileName = envelope.data.name?.trim() || undefined;
    description = envelope.data.description ?? "";
    documentInput = envelope.data.document;
  } else if (looksLikeBareDocument(content)) {
    // A bare graph document (what the editor keeps), accepted for convenience.
    documentInput = content;
  } else {
    throw new AppError(
      "UNSUPPORTED_FORMAT",
      `${label} is not a DNO Studio workflow: it has neither a “format” of “${WORKFLOW_FILE_FORMAT}” nor graph nodes.`,
    );
  }

  const submitted = readSubmittedDocument(documentInput);
  assertSavable(submitted, `${label} was not imported`);
  // Files written by hand or by other tools often stack cards on one spot; lay those out automatically.
  const document = hasOverlappingCards(submitted) ? await tidyDocument(submitted) : submitted;

  const wanted = (
    input.name?.trim() ||
    fileName ||
    nameFromFile(input.fileName) ||
    "Imported workflow"
  ).slice(0, MAX_WORKFLOW_NAME_LENGTH);
  // Names the actor sees in the list; a second import of one file must not look identical to the first.
  const lookalikes = await ctx.db.workflow.findMany({
    where: {
      deletedAt: null,
      name: { startsWith: importNameRoot(wanted) },
      ...accessibleWorkflowFilter(ctx.actor, "view"),
    },
    select: { name: true },
  });
  const name = uniqueImportName(
    wanted,
    lookalikes.map((workflow) => workflow.name),
  );
  return createWorkflow(ctx, {
    name,
    description: readableImportDescription(description, wanted).slice(0, MAX_WORKFLOW_DESCRIPTION_LENGTH),
    document,
    message: input.fileName ? `Imported from ${input.fileName}` : "Imported",
  });
}
