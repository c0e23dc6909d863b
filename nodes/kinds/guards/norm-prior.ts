import { defineGuardKind } from "../types";

export const normPriorGuardKind = defineGuardKind({
  id: "norm-prior",
  order: 2,
  label: "Norm prior",
  help: "Penalizes noise whose overall size is unusual for random noise (ReNO's guard).",
  params: ["lambda"],
  attachTo: "noise",
  whenFired: "the noise's overall size strayed from what random noise has, and the update was pulled back.",
  whenQuiet: "the noise's overall size stayed typical of random noise.",
  reportKeys: () => ["norm-prior"],
});
