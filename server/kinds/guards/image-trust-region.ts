import { ImageTrustRegionGuard } from "@/server/dno/guards/image-trust-region";
import { defineGuardImplementation } from "../types";

export const imageTrustRegionGuard = defineGuardImplementation("image-trust-region", {
  attachTo: "image",
  createImageGuard: ({ planned }) =>
    new ImageTrustRegionGuard({ radius: planned.params.imageRadius, weight: planned.params.imageStrength }),
});
