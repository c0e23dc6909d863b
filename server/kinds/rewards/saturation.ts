import { saturationReward } from "@/server/dno/rewards/image-statistics";
import { defineRewardImplementation } from "../types";

export const saturationRewardImplementation = defineRewardImplementation("saturation", {
  create: () => saturationReward,
});
