import { defineGuardKind } from "../types";

export const earlyStopGuardKind = defineGuardKind({
  id: "early-stop",
  order: 5,
  label: "Early stop on a plateau",
  help: "Stops the run once the objective has not really improved for a number of iterations in a row.",
  params: ["patience", "minDelta"],
  attachTo: "loop",
  reportKeys: () => ["plateau-stop"],
});
