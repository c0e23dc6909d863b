import { darknessReward } from "@/server/dno/rewards/image-statistics";
import { defineRewardImplementation } from "../types";

export const darknessRewardImplementation = defineRewardImplementation("darkness", {
  create: () => darknessReward,
});
