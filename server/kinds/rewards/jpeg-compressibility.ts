import { createJpegCompressibilityReward } from "@/server/dno/rewards/jpeg";
import { defineRewardImplementation } from "../types";

export const jpegCompressibilityRewardImplementation = defineRewardImplementation("jpeg-compressibility", {
  create: ({ planned }) => createJpegCompressibilityReward({ quality: planned.params.jpegQuality }),
});
