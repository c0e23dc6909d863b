/**
 * The one formatter that turns validation issues into sentences for people (isomorphic: the editor, the run
 * page, the server's tRPC error formatter, the import and the CLI all use it). A parameter issue names the
 * node as its card shows it, the parameter by the label of its zod meta, the bound and the value:
 * “Sampler 1 › Steps must be between 1 and 1000; got 5000.”
 */
import type { z } from "zod";
import type { ParamFieldDescriptor } from "../describe-params";
import { getNodeDefinition } from "../registry";
import type { AnyNodeDefinition } from "../types";
import type { GraphDocument, GraphNode } from "./document";

/** Between the node's name and what is wrong with it. */
export const ISSUE_SEPARATOR = " › ";

/** The node as its card shows it: the label the user gave it, or its type and id. */
export function issueNodeName(
  node: Pick<GraphNode, "id" | "type" | "label">,
  definition?: Pick<AnyNodeDefinition, "title">,
): string {
  if (node.label !== undefined && node.label.trim() !== "") return node.label.trim();
  return `${definition?.title ?? node.type} ${node.id}`;
}

/** “Sampler 1 › Steps must be …”: a sentence about one node. */
export function nodeIssueSentence(
  node: Pick<GraphNode, "id" | "type" | "label">,
  definition: Pick<AnyNodeDefinition, "title"> | undefined,
  text: string,
): string {
  return asSentence(`${issueNodeName(node, definition)}${ISSUE_SEPARATOR}${text}`);
}

/**
 * A run's failure as the run page shows it: “Classifier › the scorer expects 64×64 images; got 32×32.” The
 * node is named as its card names it; a message that already names it is left as it is.
 */
export function runFailureSentence(
  document: Pick<GraphDocument, "nodes"> | undefined,
  nodeId: string | null,
  message: string,
): string {
  const node = nodeId === null ? undefined : document?.nodes.find((candidate) => candidate.id === nodeId);
  if (!node) return message;
  const name = issueNodeName(node, getNodeDefinition(node.type));
  return message.includes(name) ? message : nodeIssueSentence(node, getNodeDefinition(node.type), message);
}

/** Ends a text with a full stop unless it already ends a sentence. */
export function asSentence(text: string): string {
  const trimmed = text.trim();
  return /[.!?…]$/.test(trimmed) ? trimmed : `${trimmed}.`;
}

/** The first few messages as one paragraph, with how many more there are. */
export function joinIssueMessages(messages: readonly string[], shown = 3): string {
  const first = messages.slice(0, shown).map(asSentence);
  const more = messages.length - first.length;
  return `${first.join(" ")}${more > 0 ? ` (and ${more} more)` : ""}`;
}

export function numberText(value: number): string {
  return Number.isInteger(value) ? String(value) : String(Number(value.toPrecision(6)));
}

/** A value as a message quotes it: numbers as they are, text in quotes (shortened), others by kind. */
export function valueText(value: unknown): string {
  if (typeof value === "number") return numberText(value);
  if (typeof value === "string") return `“${value.length > 40 ? `${value.slice(0, 40)}…` : value}”`;
  if (typeof value === "boolean") return value ? "on" : "off";
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (value === null || value === undefined) return "nothing";
  return "an object";
}

function valueAt(root: unknown, path: readonly PropertyKey[]): unknown {
  let current = root;
  for (const key of path) {
    if (typeof current !== "object" || current === null) return undefined;
    current = (current as Record<PropertyKey, unknown>)[key];
  }
  return current;
}

const EXPECTED_TYPE_TEXT: Record<string, string> = {
  int: "a whole number",
  number: "a number",
  string: "text",
  boolean: "on or off (true/false)",
  array: "a list",
  tuple: "a list",
  object: "an object",
};

/**
 * What is wrong with one parameter, from its zod issue and its field descriptor (describe-params.ts):
 * “Steps must be between 1 and 1000; got 5000”. `params` are the node's submitted params.
 */
export function describeParamIssue(
  issue: z.core.$ZodIssue,
  field: ParamFieldDescriptor | undefined,
  params: Record<string, unknown>,
): string {
  const value = valueAt(params, issue.path);
  const itemIndex = issue.path.length > 1 && typeof issue.path[1] === "number" ? issue.path[1] : undefined;
  const itemLabel =
    itemIndex === undefined ? "" : ` (${field?.items?.[itemIndex]?.label ?? `item ${itemIndex + 1}`})`;
  const subject = `${field?.label ?? String(issue.path[0] ?? "A parameter")}${itemLabel}`;
  const bounds = itemIndex === undefined ? field : (field?.items?.[itemIndex] ?? field?.item);
  const got = value === undefined ? "" : `; got ${valueText(value)}`;
  switch (issue.code) {
    case "too_big":
    case "too_small": {
      if (issue.origin === "array" || issue.origin === "set") {
        const count = Array.isArray(value) ? value.length : 0;
        return issue.code === "too_big"
          ? `${subject} holds ${count} values; at most ${String(issue.maximum)} are allowed`
          : `${subject} holds ${count} values; it needs at least ${String(issue.minimum)}`;
      }
      if (issue.origin === "string") {
        const length = typeof value === "string" ? value.length : 0;
        return issue.code === "too_big"
          ? `${subject} is ${length} characters long; the limit is ${String(issue.maximum)}`
          : `${subject} needs at least ${String(issue.minimum)} characters`;
      }
      if (bounds?.min !== undefined && bounds.max !== undefined) {
        return `${subject} must be between ${numberText(bounds.min)} and ${numberText(bounds.max)}${got}`;
      }
      return issue.code === "too_big"
        ? `${subject} must be at most ${String(issue.maximum)}${got}`
        : `${subject} must be at least ${String(issue.minimum)}${got}`;
    }
    case "invalid_type":
      return `${subject} must be ${EXPECTED_TYPE_TEXT[issue.expected] ?? issue.expected}${got}`;
    case "invalid_value": {
      const allowed =
        field?.options?.map((option) => `“${option.label}”`) ?? issue.values.map((v) => String(v));
      return `${subject} must be one of ${allowed.join(", ")}${got}`;
    }
    default:
      return `${subject} is not valid: ${issue.message}${got}`;
  }
}

/** A zod issue of a request's input, as the formatter needs it (paths may hold symbols or path segments). */
export interface InputIssueLike {
  code?: string;
  message: string;
  path?: readonly unknown[];
  expected?: unknown;
  /** invalid_union: the issues of each alternative. */
  errors?: readonly (readonly InputIssueLike[])[];
}

function pathKeys(path: readonly unknown[] | undefined): (string | number)[] {
  return (path ?? [])
    .map((key) =>
      typeof key === "object" && key !== null && "key" in key ? (key as { key: unknown }).key : key,
    )
    .filter((key): key is string | number => typeof key === "string" || typeof key === "number");
}

/** “document.nodes[3].params”: where in the input, as a developer reads a path. */
export function inputPathText(path: readonly (string | number)[]): string {
  let out = "";
  for (const key of path) out += typeof key === "number" ? `[${key}]` : `${out === "" ? "" : "."}${key}`;
  return out;
}

/**
 * Flattens a rejected input's issues into located sentences. A union (run.start takes a version id OR a
 * document) is not shown as a tree: only the alternative that came closest is reported.
 */
export function formatInputIssues(
  issues: readonly InputIssueLike[],
  prefix: readonly (string | number)[] = [],
): { message: string; path: (string | number)[] }[] {
  const out: { message: string; path: (string | number)[] }[] = [];
  for (const issue of issues) {
    const path = [...prefix, ...pathKeys(issue.path)];
    if (issue.code === "invalid_union" && issue.errors && issue.errors.length > 0) {
      // The alternative the caller meant is the one missing the fewest fields, then with the fewest issues.
      const missing = (list: readonly InputIssueLike[]) =>
        list.filter((item) => item.code === "invalid_type" && /received undefined/.test(item.message)).length;
      const closest =
        [...issue.errors].sort((a, b) => missing(a) - missing(b) || a.length - b.length)[0] ?? [];
      if (closest.length > 0) {
        out.push(...formatInputIssues(closest, path));
        continue;
      }
    }
    let text = issue.message;
    if (issue.code === "invalid_type") {
      const expected = typeof issue.expected === "string" ? issue.expected : "";
      const received = /received (\w+)/.exec(issue.message)?.[1];
      text =
        received === "undefined"
          ? "is required"
          : `must be ${EXPECTED_TYPE_TEXT[expected] ?? (expected || "of another type")}${received ? ` (got ${received === "number" ? "a number" : received === "string" ? "text" : received})` : ""}`;
    } else if (issue.code === "unrecognized_keys") {
      text = issue.message.replace(/^Unrecognized keys?:/, "has unknown fields:");
    }
    // Messages that already name their subject (the graph document's refinements) stand alone.
    const where = inputPathText(path);
    const subject = path.length === 0 ? "The input" : `“${where}”`;
    const message =
      issue.code === "custom"
        ? text
        : /^(is|must|has) /.test(text)
          ? `${subject} ${text}`
          : `${subject}: ${text}`;
    out.push({ message: asSentence(message), path });
  }
  return out;
}
