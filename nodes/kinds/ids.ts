/** The declared kind ids as types (from the generated indexes): the server's implementation maps are checked against them. */
import type { generatedGuardKinds } from "./guards/index.generated";
import type { generatedRewardKinds } from "./rewards/index.generated";

export type GuardKind = (typeof generatedGuardKinds)[number]["id"];
export type RewardKind = (typeof generatedRewardKinds)[number]["id"];
