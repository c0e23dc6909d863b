/**
 * Test support: tiny ONNX scoring models built in TypeScript, a good one and the malformed kinds an upload
 * must refuse. The good one scores a picture by a 1×1 convolution through tanh, averaged over the image.
 */
import { buildTinyOnnx, type TinyDim } from "@/server/onnx/tiny-onnx";

export function tinyScorer(
  options: {
    inputShape?: readonly TinyDim[];
    outputShape?: readonly TinyDim[];
    opset?: number;
    extraInput?: boolean;
  } = {},
): Uint8Array {
  const channels = typeof options.inputShape?.[1] === "number" ? options.inputShape[1] : 3;
  return buildTinyOnnx({
    inputs: [
      { name: "pixels", type: "float32", shape: options.inputShape ?? ["batch", 3, "h", "w"] },
      ...(options.extraInput ? [{ name: "mask", type: "float32" as const, shape: ["batch", 1] }] : []),
    ],
    outputs: [{ name: "score", type: "float32", shape: options.outputShape ?? ["batch", 1] }],
    initializers: [
      {
        name: "weight",
        dims: [1, channels, 1, 1],
        values: Array.from({ length: channels }, (_, i) => 0.5 - 0.3 * i),
      },
    ],
    nodes: [
      { op: "Conv", inputs: ["pixels", "weight"], outputs: ["conv"] },
      { op: "Tanh", inputs: ["conv"], outputs: ["act"] },
      {
        op: "ReduceMean",
        inputs: ["act"],
        outputs: ["score"],
        intsAttributes: { axes: [2, 3] },
        intAttributes: { keepdims: 0 },
      },
    ],
    ...(options.opset !== undefined ? { opset: options.opset } : {}),
  });
}
