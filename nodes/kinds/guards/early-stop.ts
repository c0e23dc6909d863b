import { defineGuardKind } from "../types";

export const earlyStopGuardKind = defineGuardKind({
  id: "early-stop",
  order: 5,
  label: "Early stop on a plateau",
  help: "Stops the run once the objective has not really improved for a number of iterations in a row.",
  params: ["patience", "minDelta"],
  attachTo: "loop",
  whenFired: "the score had stopped improving, so the run ended early instead of spending more iterations.",
  whenQuiet: "the score kept improving, so the run used all its iterations.",
  reportKeys: () => ["plateau-stop"],
});
