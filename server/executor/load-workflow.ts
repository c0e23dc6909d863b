/**
 * Reads a workflow file for the executor (CLI, worker tests): the export envelope
 * `{ format: "dno-studio.workflow", …, document }` or a bare graph document, JSON text. Every failure is an
 * ExecutorError whose message says what is wrong with the file and where.
 */
import { type GraphDocument, parseGraphDocument } from "@/nodes/graph/document";
import { workflowFileLimits } from "@/server/json/json-limits";
import { parseUntrustedJson } from "@/server/json/parse-untrusted-json";
import { graphLimitProblem } from "@/server/services/workflows/graph-document";
import { WORKFLOW_FILE_FORMAT, workflowFileEnvelopeSchema } from "@/server/services/workflows/workflow-file";
import { ExecutorError } from "./errors";

export interface LoadedWorkflow {
  readonly name: string | undefined;
  readonly document: GraphDocument;
}

export function parseWorkflowText(text: string, source = "the workflow file"): LoadedWorkflow {
  // The same parser as the app's import: BOM, size and depth limits, dangerous keys, line and column.
  const parsedJson = parseUntrustedJson(text, source, workflowFileLimits());
  if (!parsedJson.ok) throw new ExecutorError("WORKFLOW_UNREADABLE", parsedJson.problem.message);
  const raw = parsedJson.value;
  let name: string | undefined;
  let document: unknown = raw;
  if (typeof raw === "object" && raw !== null && "format" in raw) {
    const envelope = workflowFileEnvelopeSchema.safeParse(raw);
    if (!envelope.success) {
      throw new ExecutorError(
        "WORKFLOW_UNREADABLE",
        `${source} is not a DNO Studio export: expected format "${WORKFLOW_FILE_FORMAT}" version 1 with a "document" (${envelope.error.issues[0]?.message ?? "invalid envelope"}).`,
      );
    }
    name = envelope.data.name;
    document = envelope.data.document;
  }
  const tooMany = graphLimitProblem(document);
  if (tooMany) throw new ExecutorError("WORKFLOW_UNREADABLE", `${source}: ${tooMany.message}`);
  const parsed = parseGraphDocument(document);
  if (!parsed.ok) throw new ExecutorError("WORKFLOW_UNREADABLE", `${source}: ${parsed.error.message}`);
  return { name, document: parsed.document };
}
