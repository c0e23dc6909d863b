import { createCustomOnnxReward } from "@/server/executor/custom-reward";
import { defineRewardImplementation } from "../types";

export const customOnnxRewardImplementation = defineRewardImplementation("custom-onnx", {
  create: ({ planned, onnx, vjpCache, assets }) =>
    createCustomOnnxReward(
      {
        id: planned.id,
        modelAsset: planned.params.modelAsset,
        scorerInput: planned.params.scorerInput,
        resize: planned.params.resize,
        mean: planned.params.mean,
        std: planned.params.std,
        outputIndex: planned.params.outputIndex,
      },
      onnx,
      { vjpCache, where: planned.displayName, assets },
    ),
});
