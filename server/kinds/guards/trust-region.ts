import { TrustRegionGuard } from "@/server/dno/guards/trust-region";
import { norm } from "@/server/dno/tensor";
import { defineGuardImplementation } from "../types";

export const trustRegionGuard = defineGuardImplementation("trust-region", {
  attachTo: "noise",
  // The radius is a fraction of the starting noise's norm (the Guard's help text).
  createNoiseGuard: (params, { start }) =>
    new TrustRegionGuard(start, { radius: params.maxDistance * norm(start), mode: "project" }),
});
