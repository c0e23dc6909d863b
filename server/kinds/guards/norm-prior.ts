import { NormPriorGuard } from "@/server/dno/guards/norm-prior";
import { defineGuardImplementation } from "../types";

export const normPriorGuard = defineGuardImplementation("norm-prior", {
  attachTo: "noise",
  createNoiseGuard: (params) => new NormPriorGuard({ weight: params.lambda }),
});
