/**
 * Services read and check graph documents only through the node registry's API (@/nodes): parse (which also
 * migrates older documents), then validate; a document with any issue that blocks saving is refused with
 * every such issue, per node and parameter.
 */
import { type GraphDocument, issuesBlockingSave, parseGraphDocument, validateGraph } from "@/nodes";
import { AppError, type AppIssue } from "../../errors";

/** Parses (and migrates) a submitted document; a document that cannot be read is a typed error. */
export function readSubmittedDocument(input: unknown): GraphDocument {
  const parsed = parseGraphDocument(input);
  if (parsed.ok) return parsed.document;
  const { error } = parsed;
  const issue: AppIssue = {
    message: error.message,
    code: error.code,
    ...(error.path ? { path: error.path } : {}),
  };
  const code = error.code === "malformed" ? "VALIDATION" : "UNSUPPORTED_VERSION";
  throw new AppError(code, error.message, { issues: [issue] });
}

/** The issues of a document that prevent storing it (unknown node types, params out of bounds, …). */
export function saveBlockingIssues(document: GraphDocument): AppIssue[] {
  const issues: AppIssue[] = [];
  for (const issue of issuesBlockingSave(validateGraph(document))) {
    issues.push({
      message: issue.message,
      code: issue.code,
      ...(issue.nodeId !== undefined ? { nodeId: issue.nodeId } : {}),
      ...(issue.param !== undefined ? { param: issue.param } : {}),
      ...(issue.port !== undefined ? { port: issue.port } : {}),
      ...(issue.edgeId !== undefined ? { edgeId: issue.edgeId } : {}),
    });
  }
  return issues;
}

/** Throws VALIDATION naming every save-blocking issue (the first few in the message, all in `issues`). */
export function assertSavable(document: GraphDocument, what: string): void {
  const issues = saveBlockingIssues(document);
  if (issues.length === 0) return;
  const shown = issues.slice(0, 3).map((issue) => issue.message);
  const more = issues.length > shown.length ? ` (and ${issues.length - shown.length} more)` : "";
  throw new AppError(
    "VALIDATION",
    `${what}: ${issues.length === 1 ? "1 problem" : `${issues.length} problems`}. ${shown.join(" ")}${more}`,
    { issues },
  );
}

export interface StoredDocument {
  document: string;
  schemaVersion: number;
}

export function toStoredDocument(document: GraphDocument): StoredDocument {
  return { document: JSON.stringify(document), schemaVersion: document.schemaVersion };
}

/**
 * Reads a stored version's document, migrating it when it was written by an older schema. Stored documents
 * were valid when saved, so a failure here means the database was edited by hand or a migration is missing.
 */
export function readStoredDocument(text: string, where: string): GraphDocument {
  const parsed = parseGraphDocument(text);
  if (parsed.ok) return parsed.document;
  throw new AppError("INTERNAL", `The stored document of ${where} cannot be read: ${parsed.error.message}`);
}
