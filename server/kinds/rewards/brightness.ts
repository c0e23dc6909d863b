import { brightnessReward } from "@/server/dno/rewards/image-statistics";
import { defineRewardImplementation } from "../types";

export const brightnessRewardImplementation = defineRewardImplementation("brightness", {
  create: () => brightnessReward,
});
