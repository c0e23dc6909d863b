/**
 * Services read and check graph documents only through the node registry's API (@/nodes): parse (which also
 * migrates older documents), then validate; a document with any issue that blocks saving is refused with
 * every such issue, per node and parameter.
 */
import {
  GRAPH_LIMITS,
  type GraphNode,
  getNodeDefinition,
  type GraphDocument,
  formatPath,
  issuesBlockingSave,
  parseGraphDocument,
  validateGraph,
} from "@/nodes";
import { nodeIssueSentence } from "@/nodes/graph/format-issues";
import { AppError, type AppIssue } from "../../errors";
import { DANGEROUS_KEYS, findDangerousKey, withoutDangerousKeys } from "../../json/parse-untrusted-json";

function countOf(input: unknown, key: "nodes" | "edges"): number {
  if (typeof input !== "object" || input === null || !(key in input)) return 0;
  const list: unknown = (input as Record<string, unknown>)[key];
  return Array.isArray(list) ? list.length : 0;
}

/** Too many nodes or edges: the sentence naming the counts and the limit, or null. */
export function graphLimitProblem(
  input: unknown,
): { key: "nodes" | "edges"; limit: number; message: string } | null {
  for (const [key, limit] of [
    ["nodes", GRAPH_LIMITS.maxNodes],
    ["edges", GRAPH_LIMITS.maxEdges],
  ] as const) {
    const count = countOf(input, key);
    if (count > limit) {
      const what = key === "nodes" ? "nodes" : "connections";
      return {
        key,
        limit,
        message: `The workflow has ${count} ${what}; the limit is ${limit} ${what} per workflow. Split it into smaller workflows.`,
      };
    }
  }
  return null;
}

/** Refused before any per-node work. */
function assertWithinGraphLimits(input: unknown): void {
  const problem = graphLimitProblem(input);
  if (problem) {
    throw new AppError("VALIDATION", problem.message, {
      issues: [{ code: `too-many-${problem.key}`, message: problem.message, path: [problem.key] }],
    });
  }
}

/**
 * Keys that reach an object's prototype are refused anywhere in a document, and as node or connection ids
 * (ids become keys of run metrics): superjson refuses to send such objects, so a stored one would fail
 * every later read.
 */
function assertNoDangerousKeys(input: unknown): void {
  const path = findDangerousKey(input);
  if (!path) return;
  const key = String(path[path.length - 1]);
  const reason = "is not allowed (it could change how the server's objects behave). Rename or remove it.";
  // Inside a node: name the node as its card does; elsewhere: the path in the document.
  const nodes =
    typeof input === "object" && input !== null ? (input as { nodes?: unknown }).nodes : undefined;
  const node =
    path[0] === "nodes" && typeof path[1] === "number" && Array.isArray(nodes)
      ? (nodes[path[1]] as unknown)
      : undefined;
  const named =
    typeof node === "object" && node !== null && typeof (node as GraphNode).id === "string"
      ? (node as GraphNode)
      : undefined;
  const message = named
    ? nodeIssueSentence(named, getNodeDefinition(String(named.type)), `the key “${key}” ${reason}`)
    : `The workflow has the key “${key}” at ${formatPath(path)}, which ${reason}`;
  throw new AppError("VALIDATION", message, {
    issues: [{ code: "dangerous-key", message, path, ...(named ? { nodeId: named.id } : {}) }],
  });
}

function assertNoDangerousIds(document: GraphDocument): void {
  for (const item of [...document.nodes, ...document.edges]) {
    if (!DANGEROUS_KEYS.has(item.id)) continue;
    const message = `The id “${item.id}” is not allowed for a ${"type" in item ? "node" : "connection"}. Give it another id.`;
    throw new AppError("VALIDATION", message, {
      issues: [
        { code: "dangerous-key", message, ...("type" in item ? { nodeId: item.id } : { edgeId: item.id }) },
      ],
    });
  }
}

/**
 * Parses (and migrates) a submitted document; a document that cannot be read is a typed error. The limits
 * and the dangerous-key check run first, so nothing past this point sees such a document.
 */
export function readSubmittedDocument(input: unknown): GraphDocument {
  assertWithinGraphLimits(input);
  assertNoDangerousKeys(input);
  const parsed = parseGraphDocument(input);
  if (parsed.ok) {
    assertNoDangerousIds(parsed.document);
    return parsed.document;
  }
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

/** JSON with every object's keys sorted: equal for equal graphs whatever order the editor wrote keys in. */
function canonicalJson(value: unknown): string {
  return JSON.stringify(value, (_key, inner: unknown) =>
    inner !== null && typeof inner === "object" && !Array.isArray(inner)
      ? Object.fromEntries(Object.entries(inner).sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0)))
      : inner,
  );
}

/** Whether two documents are the same graph (a run of an unchanged document must not save a new version). */
export function sameDocument(a: GraphDocument, b: GraphDocument): boolean {
  return canonicalJson(a) === canonicalJson(b);
}

export interface StoredDocument {
  document: string;
  schemaVersion: number;
}

/** The one door to storage: a document with a dangerous key or id never reaches a row (see above). */
export function toStoredDocument(document: GraphDocument): StoredDocument {
  assertNoDangerousKeys(document);
  assertNoDangerousIds(document);
  return { document: JSON.stringify(document), schemaVersion: document.schemaVersion };
}

/**
 * Reads a stored version's document, migrating it when it was written by an older schema. Stored documents
 * were valid when saved, so a failure here means the database was edited by hand or a migration is missing.
 */
export function readStoredDocument(text: string, where: string): GraphDocument {
  // Rows stored before dangerous keys were refused stay readable (and fixable by saving): the keys are dropped.
  let raw: unknown;
  try {
    raw = withoutDangerousKeys(JSON.parse(text));
  } catch {
    throw new AppError("INTERNAL", `The stored document of ${where} is not valid JSON.`);
  }
  const parsed = parseGraphDocument(raw);
  if (parsed.ok) return parsed.document;
  throw new AppError("INTERNAL", `The stored document of ${where} cannot be read: ${parsed.error.message}`);
}
