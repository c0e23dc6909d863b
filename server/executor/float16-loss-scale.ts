/**
 * Loss scaling for the VJP models of float16 exports. A VJP model built from a float16 graph computes its
 * gradients in float16 (the runtime only casts at the session boundary), and the cotangents DNO feeds it are
 * tiny: a brightness reward's ∂r/∂pixel is 0.114/(2·H·W) = 2.2e-7 at 512 px, below float16's smallest
 * normal number (6.1e-5) and only 3.6 steps of its subnormal spacing (6e-8). Such cotangents come out of the
 * VJP rounded by several percent or flushed to zero (the tiny SD-1.5 float16 decoder at 512 px: 316 of
 * 16,384 latent gradients exactly 0). The VJP is linear in its cotangent, so, as mixed-precision training
 * does, each call feeds s·cotangent and divides the gradients by s, with s the power of two that brings the
 * largest |cotangent| into [0.5, 1): exact in float32, and it leaves float16 2^16 of headroom above and its
 * whole normal range below. Should the scaled call still overflow (a gradient not finite), it is rerun with
 * a scale 2^8 times smaller, at most twice. The gradients leave the session as float32 and everything after
 * (the CFG halves' sum, the steps' accumulation in the chain) is float32.
 */
import type { BoundRun, HostTensor, OnnxModel, OnnxValue, RunOptions } from "@/server/onnx/types";

/** Keeps the scale within float32's comfortable range (the cotangent's max is then ≥ 2^-64 or ≤ 2^64). */
const MAX_EXPONENT = 64;
/** How far a rerun backs off after an overflow. */
const BACK_OFF = 2 ** -8;
const RETRIES = 2;

/** The power of two that brings max |value| into [0.5, 1); 1 for an all-zero or non-finite cotangent. */
export function lossScaleFor(data: Float32Array): number {
  let max = 0;
  for (let i = 0; i < data.length; i++) {
    const magnitude = Math.abs(data[i]!);
    if (magnitude > max) max = magnitude;
  }
  if (max === 0 || !Number.isFinite(max)) return 1;
  const exponent = -Math.floor(Math.log2(max)) - 1;
  return 2 ** Math.max(-MAX_EXPONENT, Math.min(MAX_EXPONENT, exponent));
}

function scaleInto(source: Float32Array, target: Float32Array, factor: number): void {
  for (let i = 0; i < source.length; i++) target[i] = source[i]! * factor;
}

function allFinite(data: Float32Array): boolean {
  for (let i = 0; i < data.length; i++) if (!Number.isFinite(data[i]!)) return false;
  return true;
}

/**
 * `vjp` itself unless its cotangent input `cotangent` is stored as float16; then the same model with every
 * call loss-scaled (the `gradients` outputs divided back). Each call gets its own scale, so callers that
 * split a batch into several calls need nothing special.
 */
export function withFloat16LossScaling(
  vjp: OnnxModel,
  cotangent: string,
  gradients: readonly string[],
): OnnxModel {
  const spec = vjp.inputs.find((input) => input.name === cotangent);
  if (spec?.castFrom !== "float16") return vjp;

  const unscale = (outputs: Record<string, HostTensor>, scale: number): boolean => {
    let finite = true;
    for (const name of gradients) {
      const tensor = outputs[name];
      if (tensor?.type !== "float32") continue;
      scaleInto(tensor.data, tensor.data, 1 / scale);
      finite &&= allFinite(tensor.data);
    }
    return finite;
  };

  const scaled: OnnxModel = {
    name: vjp.name,
    path: vjp.path,
    sha256: vjp.sha256,
    inputs: vjp.inputs,
    outputs: vjp.outputs,
    // Gradients are unscaled on the host: a loss-scaled model keeps no outputs on the device.
    deviceOutputs: [],
    upload: (input, tensor) => vjp.upload(input, tensor),
    runKeeping: async (feeds, options) => ({ host: await scaled.run(feeds, options), device: {} }),
    async run(feeds: Readonly<Record<string, OnnxValue>>, options?: RunOptions) {
      const given = feeds[cotangent];
      if (given?.type !== "float32") return vjp.run(feeds, options);
      const scaled = new Float32Array(given.data.length);
      let scale = lossScaleFor(given.data);
      for (let attempt = 0; ; attempt++) {
        scaleInto(given.data, scaled, scale);
        const outputs = await vjp.run({ ...feeds, [cotangent]: { ...given, data: scaled } }, options);
        if (unscale(outputs, scale) || attempt === RETRIES || scale <= 1) return outputs;
        scale = Math.max(1, scale * BACK_OFF);
      }
    },
    bind(
      feeds: Readonly<Record<string, OnnxValue>>,
      outputs: Readonly<Record<string, HostTensor>>,
    ): BoundRun {
      const given = feeds[cotangent];
      if (given?.type !== "float32") return vjp.bind(feeds, outputs);
      // The runtime converts bound float16 feeds at every run, so a buffer of our own holds the scaled copy.
      const scaled = new Float32Array(given.data.length);
      const bound = vjp.bind({ ...feeds, [cotangent]: { ...given, data: scaled } }, outputs);
      return {
        async run(runOptions?: { signal?: AbortSignal }) {
          let scale = lossScaleFor(given.data);
          for (let attempt = 0; ; attempt++) {
            scaleInto(given.data, scaled, scale);
            await bound.run(runOptions);
            if (unscale({ ...outputs }, scale) || attempt === RETRIES || scale <= 1) return;
            scale = Math.max(1, scale * BACK_OFF);
          }
        },
        dispose: () => bound.dispose(),
      };
    },
  };
  return scaled;
}
