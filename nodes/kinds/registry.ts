/**
 * The kind registry (isomorphic): every declared kind by node type, read by the node declarations (kind
 * selects, which params and ports apply), the planner (gradient rules, guard attachments), validation and
 * the run view's labels. `registerGuardKind` adds a kind at run time through the same path the generated
 * index uses (tests register throwaway kinds this way); the server registers its implementation with
 * server/kinds/registry.ts.
 */
import { guardNodeDeclaration } from "../defs/guard";
import { rewardNodeDeclaration } from "../defs/reward";
import { getNodeDefinition, replaceNodeDefinition } from "../registry";
import { defineNode } from "../types";
import { generatedGuardKinds } from "./guards/index.generated";
import { generatedRewardKinds } from "./rewards/index.generated";
import {
  type GuardKindDeclaration,
  inSelectOrder,
  type KindDeclaration,
  type RewardKindDeclaration,
} from "./types";

export type { GuardKind, RewardKind } from "./ids";

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

const rewardKinds = new Map<string, RewardKindDeclaration>(
  inSelectOrder(generatedRewardKinds).map((kind) => [kind.id, kind]),
);

export function listRewardKinds(): readonly RewardKindDeclaration[] {
  return [...rewardKinds.values()];
}

export function getRewardKind(id: string): RewardKindDeclaration | undefined {
  return rewardKinds.get(id);
}

/** The kind's params must be params of the node (their schemas, defaults and bounds live there). */
function checkParams(nodeType: string, declaration: KindDeclaration): void {
  const params = getNodeDefinition(nodeType)?.params.shape ?? {};
  for (const param of declaration.params) {
    if (!(param in params)) {
      throw new Error(
        `The ${nodeType} kind "${declaration.id}" names the param "${param}", which the ${nodeType} node does not have.`,
      );
    }
  }
}

/** Adds a reward kind: the Reward node's select, its params' visibility and its ports are rebuilt with it. */
export function registerRewardKind(declaration: RewardKindDeclaration): void {
  checkNew(rewardKinds, "reward", declaration.id);
  checkParams("reward", declaration);
  rewardKinds.set(declaration.id, declaration);
  replaceNodeDefinition(defineNode(rewardNodeDeclaration(listRewardKinds())));
}

/** Adds a guard kind: the Guard node's select, its params' visibility and its ports are rebuilt with it. */
export function registerGuardKind(declaration: GuardKindDeclaration): void {
  checkNew(guardKinds, "guard", declaration.id);
  checkParams("guard", declaration);
  guardKinds.set(declaration.id, declaration);
  replaceNodeDefinition(defineNode(guardNodeDeclaration(listGuardKinds())));
}
