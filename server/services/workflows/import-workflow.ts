/**
 * Imports a workflow file. Every refusal names the problem (too big, not JSON and where, not a workflow,
 * from a newer app, unknown node types, parameters out of range) and stores nothing.
 */
import { AppError } from "../../errors";
import type { ServiceContext } from "../context";
import { createWorkflow } from "./create-workflow";
import { assertSavable, readSubmittedDocument } from "./graph-document";
import { parseJsonText } from "./json-text";
import type { WorkflowDetail } from "./views";
import {
  formatMegabytes,
  MAX_IMPORT_BYTES,
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

function nameFromFile(fileName: string | undefined): string | undefined {
  if (!fileName) return undefined;
  const base = fileName.replace(/^.*[\\/]/, "").replace(/(\.dno)?\.json$/i, "");
  return base === "" ? undefined : base;
}

export async function importWorkflow(
  ctx: ServiceContext,
  input: ImportWorkflowInput,
): Promise<WorkflowDetail> {
  const label = input.fileName ? `“${input.fileName}”` : "The file";

  const bytes = Buffer.byteLength(input.text, "utf8");
  if (bytes > MAX_IMPORT_BYTES) {
    throw new AppError(
      "PAYLOAD_TOO_LARGE",
      `File is ${formatMegabytes(bytes)}; the limit is ${formatMegabytes(MAX_IMPORT_BYTES)}. Is this really a workflow file?`,
      { byteSize: bytes, limit: MAX_IMPORT_BYTES },
    );
  }

  const parsedJson = parseJsonText(input.text);
  if (!parsedJson.ok) {
    const { line, column, expected, found } = parsedJson.problem;
    throw new AppError(
      "VALIDATION",
      `${label} is not valid JSON: at line ${line}, column ${column} expected ${expected} but found ${found}.`,
      {
        issues: [{ code: "malformed-json", message: `Expected ${expected}, found ${found}.`, line, column }],
      },
    );
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

  const document = readSubmittedDocument(documentInput);
  assertSavable(document, `${label} was not imported`);

  const name = (input.name?.trim() || fileName || nameFromFile(input.fileName) || "Imported workflow").slice(
    0,
    MAX_WORKFLOW_NAME_LENGTH,
  );
  return createWorkflow(ctx, {
    name,
    description: description.slice(0, MAX_WORKFLOW_DESCRIPTION_LENGTH),
    document,
    message: input.fileName ? `Imported from ${input.fileName}` : "Imported",
  });
}
