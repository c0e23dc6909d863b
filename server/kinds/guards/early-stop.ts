import { PlateauStopGuard } from "@/server/dno/guards/plateau-stop";
import { defineGuardImplementation } from "../types";

export const earlyStopGuard = defineGuardImplementation("early-stop", {
  attachTo: "loop",
  createLoopGuard: (params) => ({
    kind: "plateau-stop",
    guard: new PlateauStopGuard({ patience: params.patience, minDelta: params.minDelta }),
  }),
});
