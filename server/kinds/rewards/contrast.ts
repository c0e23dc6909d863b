import { contrastReward } from "@/server/dno/rewards/image-statistics";
import { defineRewardImplementation } from "../types";

export const contrastRewardImplementation = defineRewardImplementation("contrast", {
  create: () => contrastReward,
});
