/**
 * The server side of the kind registry: implementations keyed by the ids declared in nodes/kinds/. The
 * generated indexes are complete by type; `registerGuardImplementation` adds one at run time (with
 * `registerGuardKind` on the declaration side) and checks it agrees with its declaration.
 */
import { getGuardKind, getRewardKind } from "@/nodes/kinds/registry";
import { generatedGuardImplementations } from "./guards/index.generated";
import { generatedRewardImplementations } from "./rewards/index.generated";
import type { GuardImplementation, RewardImplementation } from "./types";

const guardImplementations = new Map<string, GuardImplementation>(
  Object.entries(generatedGuardImplementations),
);

export function getGuardImplementation(id: string): GuardImplementation | undefined {
  return guardImplementations.get(id);
}

export function registerGuardImplementation(id: string, implementation: GuardImplementation): void {
  const declaration = getGuardKind(id);
  if (!declaration)
    throw new Error(`Guard kind "${id}" has no declaration; register it with registerGuardKind first.`);
  if (declaration.attachTo !== implementation.attachTo) {
    throw new Error(
      `Guard kind "${id}" is declared to attach to "${declaration.attachTo}" but its implementation attaches to "${implementation.attachTo}".`,
    );
  }
  if (guardImplementations.has(id)) throw new Error(`Guard kind "${id}" already has an implementation.`);
  guardImplementations.set(id, implementation);
}

const rewardImplementations = new Map<string, RewardImplementation>(
  Object.entries(generatedRewardImplementations),
);

export function getRewardImplementation(id: string): RewardImplementation | undefined {
  return rewardImplementations.get(id);
}

export function registerRewardImplementation(id: string, implementation: RewardImplementation): void {
  if (!getRewardKind(id)) {
    throw new Error(`Reward kind "${id}" has no declaration; register it with registerRewardKind first.`);
  }
  if (rewardImplementations.has(id)) throw new Error(`Reward kind "${id}" already has an implementation.`);
  rewardImplementations.set(id, implementation);
}
