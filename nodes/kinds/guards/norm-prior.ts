import { defineGuardKind } from "../types";

export const normPriorGuardKind = defineGuardKind({
  id: "norm-prior",
  order: 2,
  label: "Norm prior",
  help: "Penalizes noise whose overall size is unusual for random noise (ReNO's guard).",
  params: ["lambda"],
  attachTo: "noise",
  reportKeys: () => ["norm-prior"],
});
