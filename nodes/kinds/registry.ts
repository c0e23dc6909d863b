/**
 * The kind registry (isomorphic): every declared kind by node type, read by the node declarations (kind
 * selects, which params and ports apply), the planner (gradient rules, guard attachments), validation and
 * the run view's labels. `registerGuardKind` adds a kind at run time through the same path the generated
 * index uses (tests register throwaway kinds this way); the server registers its implementation with
 * server/kinds/registry.ts.
 */
import { guardNodeDeclaration } from "../defs/guard";
import { getNodeDefinition, replaceNodeDefinition } from "../registry";
import { defineNode } from "../types";
import { generatedGuardKinds } from "./guards/index.generated";
import { type GuardKindDeclaration, inSelectOrder } from "./types";

export type { GuardKind } from "./ids";

const guardKinds = new Map<string, GuardKindDeclaration>(
  inSelectOrder(generatedGuardKinds).map((kind) => [kind.id, kind]),
);

export function listGuardKinds(): readonly GuardKindDeclaration[] {
  return [...guardKinds.values()];
}

export function getGuardKind(id: string): GuardKindDeclaration | undefined {
  return guardKinds.get(id);
}

function checkNew(kinds: ReadonlyMap<string, unknown>, nodeType: string, id: string): void {
  if (kinds.has(id))
    throw new Error(`The ${nodeType} kind "${id}" is declared twice. Kind ids must be unique.`);
  if (!/^[a-z0-9]+(-[a-z0-9]+)*$/.test(id)) {
    throw new Error(`The ${nodeType} kind id "${id}" must be lower-case words joined by hyphens.`);
  }
}

/** Adds a guard kind: the Guard node's select, its params' visibility and its ports are rebuilt with it. */
export function registerGuardKind(declaration: GuardKindDeclaration): void {
  checkNew(guardKinds, "guard", declaration.id);
  const params = getNodeDefinition("guard")?.params.shape ?? {};
  for (const param of declaration.params) {
    if (!(param in params)) {
      throw new Error(
        `Guard kind "${declaration.id}" names the param "${param}", which the Guard node does not have.`,
      );
    }
  }
  guardKinds.set(declaration.id, declaration);
  replaceNodeDefinition(defineNode(guardNodeDeclaration(listGuardKinds())));
}
