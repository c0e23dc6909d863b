/**
 * The VAE decoder's backward in segments (checkpointing; METHOD.md §4 "Memory"). One VJP call of the full
 * SD-1.5 decoder at 512 px keeps about 10 GB of its forward's intermediates for its backward (15.5 GiB of
 * intermediates by shape inference): from the second iteration on, that came on top of what the UNet's
 * sessions hold, the run's peak. Where one call would hold more than DECODER_SEGMENT_BYTES of intermediates,
 * the decoder is cut into segments (server/autodiff/segments.ts); the backward then runs the segments' VJPs
 * from the last to the first, each fed the cut (one tensor) its segment starts from. Each call holds one
 * segment's intermediates. The DNO forward decodes through the segments and keeps the cuts for its backward
 * (`segmentedDecode`); a backward without them runs segments 1 … K−1 forward first (at 512 px 11 s of the
 * decoder's 34 s backward: a whole decode). The gradient is the whole VJP's (the chain rule over a
 * composition; segments.test.ts, chain tests).
 */
import { getModelSegmentsForFile } from "@/server/autodiff/segment-cache";
import type { VjpCacheOptions } from "@/server/autodiff/cache";
import { cotangentInputName, gradientOutputName } from "@/server/autodiff/vjp";
import type { DiffusionModel } from "@/server/models/folder";
import type { HostTensor, OnnxModel, OnnxRuntime, OnnxValue } from "@/server/onnx/types";
import { ExecutorError } from "./errors";
import { collectGarbage } from "./collect-garbage";

/**
 * Forward intermediates (bytes, shape inference at the call's size) above which the decoder's backward runs in
 * segments of at most this much each (where the graph's cut points allow). The full SD-1.5 decoder: 3.8 GiB at
 * 256 px (one call, as before), 15.5 GiB at 512 px (5 segments, the largest 3.9 GiB).
 */
export const DECODER_SEGMENT_BYTES = 4 * 1024 ** 3;

export interface LoadedSegment {
  /** The segment's own model. */
  readonly forward: OnnxModel;
  readonly vjp: OnnxModel;
  /** The differentiated input (the decoder's latent input, or the previous segment's output). */
  readonly input: string;
  /** Integer tensors from earlier segments it also reads. */
  readonly passed: readonly string[];
  readonly output: string;
}

/**
 * The decoder's segments for calls of `rows` images, loaded (forward and VJP sessions); null when one call
 * stays within `maxBytes` or the decoder cannot be cut (then its whole VJP is used).
 */
export async function loadDecoderSegments(
  model: DiffusionModel,
  onnx: OnnxRuntime,
  rows: number,
  maxBytes: number,
  options: {
    readonly cache: VjpCacheOptions;
    readonly loadVjp: (file: string, wrt: string, of: string, name: string) => Promise<OnnxModel>;
  },
): Promise<LoadedSegment[] | null> {
  const { channels, height, width } = model.latent;
  const segments = await getModelSegmentsForFile(
    model.vaeDecoder.path,
    {
      input: model.io.vaeInput,
      output: model.io.vaeOutput,
      inputDims: [rows, channels, height, width],
      maxBytes,
    },
    options.cache,
  );
  if (!segments) return null;
  const loaded: LoadedSegment[] = [];
  for (const [index, segment] of segments.entries()) {
    const name = `vae_decoder segment ${index + 1} of ${segments.length}`;
    loaded.push({
      // The forwards keep ONNX Runtime's memory pattern (LoadOptions.memoryPattern): at 512 px the five
      // decoded in 9.2–10.7 s with it, as fast as the whole decoder (9.4–9.6 s), and in 13.2–14.0 s without.
      forward: await onnx.load(segment.file, { name }),
      // Each VJP runs once per iteration, at sizes where memory counts most: no memory pattern (it raised the
      // whole decoder VJP's peak by 1 GB at 512 px).
      vjp: await options.loadVjp(segment.file, segment.input, segment.output, `${name} VJP`),
      input: segment.input,
      passed: segment.passed,
      output: segment.output,
    });
  }
  return loaded;
}

function feedsFor(model: OnnxModel, values: ReadonlyMap<string, HostTensor>): Record<string, OnnxValue> {
  const feeds: Record<string, OnnxValue> = {};
  for (const input of model.inputs) {
    const value = values.get(input.name);
    if (value) feeds[input.name] = value;
  }
  return feeds;
}

function floatOutput(model: OnnxModel, outputs: Record<string, HostTensor>, name: string): HostTensor {
  const output = outputs[name];
  if (output?.type !== "float32")
    throw new ExecutorError(
      "MODEL_UNAVAILABLE",
      `Model "${model.name}" returned no float32 output "${name}".`,
    );
  return output;
}

/**
 * What a decode through the segments keeps for its backward: every segment's outputs but the image.
 * `segmentedBackward` consumes them (empties the map), so that its collection frees them.
 */
export type SegmentCuts = Map<string, HostTensor>;

/**
 * Runs the segments forward from `latent` (one call of the decoder's size): their last output (the image
 * and whatever else the decoder outputs) and the cuts, which `segmentedBackward` takes instead of
 * recomputing them.
 */
export async function segmentedDecode(
  segments: readonly LoadedSegment[],
  latentName: string,
  latent: HostTensor,
): Promise<{ outputs: Record<string, HostTensor>; cuts: SegmentCuts }> {
  const values = new Map<string, HostTensor>([[latentName, latent]]);
  let outputs: Record<string, HostTensor> = {};
  for (const segment of segments) {
    outputs = await segment.forward.run(feedsFor(segment.forward, values));
    if (segment === segments.at(-1)) break;
    for (const [name, tensor] of Object.entries(outputs)) values.set(name, tensor);
  }
  values.delete(latentName);
  return { outputs, cuts: values };
}

/** The cuts without a decode that kept them: segments 1 … K−1 run forward. */
async function cutsBefore(
  segments: readonly LoadedSegment[],
  latentName: string,
  latent: HostTensor,
): Promise<SegmentCuts> {
  const { outputs, cuts } = await segmentedDecode(segments.slice(0, -1), latentName, latent);
  for (const [name, tensor] of Object.entries(outputs)) cuts.set(name, tensor);
  return cuts;
}

/**
 * ∂objective/∂latent through the segments: their VJPs from the last to the first, fed the cuts `kept` by the
 * decode of this latent (consumed), or (without them) those of segments 1 … K−1 run forward first.
 */
export async function segmentedBackward(
  segments: readonly LoadedSegment[],
  latentName: string,
  latent: HostTensor,
  imageCotangent: HostTensor,
  kept?: SegmentCuts,
): Promise<Float32Array> {
  const cuts = kept ?? (await cutsBefore(segments, latentName, latent));
  const values = new Map<string, HostTensor>(cuts);
  // Consumed: the caller's map would otherwise keep the cuts (about 0.4 GB at 512 px) past the collection
  // below, into the UNet's backward calls (the run's peak).
  cuts.clear();
  values.set(latentName, latent);
  let cotangent = imageCotangent;
  for (const segment of [...segments].reverse()) {
    values.set(cotangentInputName(segment.output), cotangent);
    const outputs = await segment.vjp.run(feedsFor(segment.vjp, values));
    cotangent = floatOutput(segment.vjp, outputs, gradientOutputName(segment.input));
    // This cut and its cotangent are not read again.
    values.delete(cotangentInputName(segment.output));
    values.delete(segment.output);
  }
  const gradient = cotangent.data as Float32Array;
  values.clear();
  collectGarbage();
  return gradient;
}
