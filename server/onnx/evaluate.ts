/**
 * One-shot model evaluation: create a session from model bytes, run it once, dispose it.
 * Used by the autodiff tests and benchmark (the session cache elsewhere in server/onnx serves the
 * executor). Keeping it here keeps onnxruntime-node out of server/autodiff.
 */
import * as ort from "onnxruntime-node";

export type FeedType = "float32" | "float64" | "int64" | "int32" | "bool";

export interface HostTensor {
  type: FeedType;
  dims: number[];
  data: Float32Array | Float64Array | BigInt64Array | Int32Array | Uint8Array | number[];
}

export interface EvaluateOptions {
  /** Threads inside one op; 1 by default so results and timings are reproducible. */
  intraOpThreads?: number;
  graphOptimizationLevel?: "disabled" | "basic" | "extended" | "all";
}

function toOrtTensor(name: string, feed: HostTensor): ort.Tensor {
  const count = feed.dims.reduce((a, b) => a * b, 1);
  if (feed.data.length !== count) {
    throw new Error(`Feed ${name}: ${feed.data.length} values for dims [${feed.dims.join(", ")}]`);
  }
  switch (feed.type) {
    case "float32":
      return new ort.Tensor("float32", Float32Array.from(feed.data as ArrayLike<number>), feed.dims);
    case "float64":
      return new ort.Tensor("float64", Float64Array.from(feed.data as ArrayLike<number>), feed.dims);
    case "int32":
      return new ort.Tensor("int32", Int32Array.from(feed.data as ArrayLike<number>), feed.dims);
    case "bool":
      return new ort.Tensor("bool", Uint8Array.from(feed.data as ArrayLike<number>), feed.dims);
    case "int64": {
      const data =
        feed.data instanceof BigInt64Array
          ? feed.data
          : BigInt64Array.from(Array.from(feed.data as ArrayLike<number>, (v) => BigInt(v)));
      return new ort.Tensor("int64", data, feed.dims);
    }
  }
}

function fromOrtTensor(tensor: ort.Tensor): HostTensor {
  const dims = [...tensor.dims];
  switch (tensor.type) {
    case "float32":
      return { type: "float32", dims, data: new Float32Array(tensor.data as Float32Array) };
    case "float64":
      return { type: "float64", dims, data: new Float64Array(tensor.data as Float64Array) };
    case "int64":
      return { type: "int64", dims, data: new BigInt64Array(tensor.data as BigInt64Array) };
    case "int32":
      return { type: "int32", dims, data: new Int32Array(tensor.data as Int32Array) };
    case "bool":
      return { type: "bool", dims, data: new Uint8Array(tensor.data as Uint8Array) };
    default:
      throw new Error(`Output tensor type ${tensor.type} is not supported by evaluateModel`);
  }
}

export interface ModelRunner {
  run(feeds: Record<string, HostTensor>, outputNames?: string[]): Promise<Record<string, HostTensor>>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  dispose(): Promise<void>;
}

/** A session kept open for repeated runs (benchmarks, finite differences over many points). */
export async function openModel(modelBytes: Uint8Array, options: EvaluateOptions = {}): Promise<ModelRunner> {
  const session = await ort.InferenceSession.create(modelBytes, {
    intraOpNumThreads: options.intraOpThreads ?? 1,
    interOpNumThreads: 1,
    executionMode: "sequential",
    graphOptimizationLevel: options.graphOptimizationLevel ?? "all",
  });
  return {
    inputNames: session.inputNames,
    outputNames: session.outputNames,
    async run(feeds, outputNames) {
      const ortFeeds: Record<string, ort.Tensor> = {};
      for (const [name, feed] of Object.entries(feeds)) ortFeeds[name] = toOrtTensor(name, feed);
      const results = await session.run(ortFeeds, outputNames ?? session.outputNames);
      const outputs: Record<string, HostTensor> = {};
      for (const [name, tensor] of Object.entries(results)) {
        outputs[name] = fromOrtTensor(tensor);
        tensor.dispose();
      }
      return outputs;
    },
    dispose: () => session.release(),
  };
}

export async function evaluateModel(
  modelBytes: Uint8Array,
  feeds: Record<string, HostTensor>,
  outputNames?: string[],
  options: EvaluateOptions = {},
): Promise<Record<string, HostTensor>> {
  const runner = await openModel(modelBytes, options);
  try {
    return await runner.run(feeds, outputNames);
  } finally {
    await runner.dispose();
  }
}
