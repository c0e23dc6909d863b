import { defineGuardKind } from "../types";

export const keeperFloorGuardKind = defineGuardKind({
  id: "keeper-floor",
  order: 4,
  label: "Keeper reward floor",
  help:
    "A second “keeper” reward, connected to this Guard, must stay above a floor: below it the objective " +
    "gets a penalty, or the run stops.",
  // penaltyWeight shows only while onViolation is "penalty" (its own condition in the node's schema).
  params: ["floor", "onViolation"],
  requiredPorts: ["reward"],
  attachTo: "keeper-reward",
  whenFired: "the keeper reward fell below its floor, so the update was pushed back to protect it.",
  whenQuiet: "the keeper reward stayed above its floor.",
  reportKeys: (keeperRewardId) => [`keeper-floor:${keeperRewardId ?? ""}`],
});
