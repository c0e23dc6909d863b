import { defineRewardKind } from "../types";

export const customOnnxRewardKind = defineRewardKind({
  id: "custom-onnx",
  order: 9,
  label: "Custom ONNX scoring model",
  help: "Your own uploaded ONNX model scores the picture (higher is better).",
  params: ["modelAsset", "scorerInput", "resize", "mean", "std", "outputIndex"],
  gradient: "onnx-vjp",
  validate(params) {
    if (params.modelAsset === "") {
      return [
        {
          param: "modelAsset",
          message:
            "“Scoring model” is empty: upload an ONNX scoring model or pick one already uploaded, or pick another reward.",
        },
      ];
    }
    return [];
  },
});
