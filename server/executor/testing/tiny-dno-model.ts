/**
 * A tiny model folder for executor tests that do not need the bundled model: the runtime's tiny folder
 * (server/models/testing) with a UNet that is NONLINEAR in its latent and whose Jacobian differs between
 * the two guidance branches (the prompt's hidden states scale the pre-activation), so a finite-difference
 * check of the reverse DDIM chain notices a wrong CFG cotangent split:
 *
 *   gain = 1 + mean(encoder_hidden_states)               per row
 *   out  = tanh(gain · conv1x1(sample)) + mean(hidden) + 0.001·t
 */
import { writeTinyModelFolder } from "@/server/models/testing/tiny-folder";
import { buildTinyOnnx } from "@/server/onnx/tiny-onnx";

export function writeTinyDnoModelFolder(options: { channels?: number; size?: number } = {}): string {
  const channels = options.channels ?? 4;
  const size = options.size ?? 4;
  const tokens = 6;
  const width = 8;
  const weights = Array.from({ length: channels * channels }, (_, i) =>
    i % (channels + 1) === 0 ? 0.9 : Math.sin(i * 1.3) * 0.4,
  );
  const unet = buildTinyOnnx({
    inputs: [
      { name: "sample", type: "float32", shape: ["batch", channels, "height", "width"] },
      { name: "timestep", type: "int64", shape: ["batch"] },
      { name: "encoder_hidden_states", type: "float32", shape: ["batch", tokens, width] },
    ],
    outputs: [{ name: "out_sample", type: "float32", shape: ["batch", channels, "height", "width"] }],
    initializers: [
      { name: "weight", dims: [channels, channels, 1, 1], values: weights },
      { name: "one", dims: [], values: [1] },
      { name: "shape4", dims: [4], values: [-1, 1, 1, 1], type: "int64" },
      { name: "tscale", dims: [], values: [0.001] },
    ],
    nodes: [
      { op: "Conv", inputs: ["sample", "weight"], outputs: ["conv"] },
      {
        op: "ReduceMean",
        inputs: ["encoder_hidden_states"],
        outputs: ["meanh"],
        intsAttributes: { axes: [1, 2] },
        intAttributes: { keepdims: 0 },
      },
      { op: "Reshape", inputs: ["meanh", "shape4"], outputs: ["bias"] },
      { op: "Add", inputs: ["bias", "one"], outputs: ["gain"] },
      { op: "Mul", inputs: ["conv", "gain"], outputs: ["pre"] },
      { op: "Tanh", inputs: ["pre"], outputs: ["act"] },
      { op: "Cast", inputs: ["timestep"], outputs: ["tfloat"], intAttributes: { to: 1 } },
      { op: "Mul", inputs: ["tfloat", "tscale"], outputs: ["tsmall"] },
      { op: "Reshape", inputs: ["tsmall", "shape4"], outputs: ["tbias"] },
      { op: "Add", inputs: ["act", "bias"], outputs: ["partial"] },
      { op: "Add", inputs: ["partial", "tbias"], outputs: ["out_sample"] },
    ],
  });
  return writeTinyModelFolder({ channels, size, tokens, width, overrides: { "unet/model.onnx": unet } });
}
