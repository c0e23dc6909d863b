import { KeeperFloorGuard } from "@/server/dno/guards/keeper-floor";
import { defineGuardImplementation } from "../types";

export const keeperFloorGuard = defineGuardImplementation("keeper-floor", {
  attachTo: "keeper-reward",
  createKeeperFloor: (params, keeperRewardId) =>
    new KeeperFloorGuard({
      rewardId: keeperRewardId,
      floor: params.floor,
      mode: params.onViolation,
      weight: params.penaltyWeight,
    }),
});
