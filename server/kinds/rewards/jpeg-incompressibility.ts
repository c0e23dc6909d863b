import { createJpegIncompressibilityReward } from "@/server/dno/rewards/jpeg";
import { defineRewardImplementation } from "../types";

export const jpegIncompressibilityRewardImplementation = defineRewardImplementation(
  "jpeg-incompressibility",
  {
    create: ({ planned }) => createJpegIncompressibilityReward({ quality: planned.params.jpegQuality }),
  },
);
