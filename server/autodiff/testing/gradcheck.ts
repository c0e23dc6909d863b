/**
 * Finite-difference oracle for VJP models: for random directions u (input) and v (output
 * cotangent), ⟨VJP(v), u⟩ must equal (v·f(x + h·u) − v·f(x − h·u)) / 2h.
 * Runs the forward and the VJP model through onnxruntime-node (server/onnx/evaluate).
 */
import type { HostTensor } from "../../onnx/evaluate";
import { openModel } from "../../onnx/evaluate";
import { createRng } from "../../models/rng";
import type { AttributeProto, Dim, Model, TensorProto } from "../ir";
import { singleOpModel } from "../builder";
import { encodeModel } from "../proto";
import { buildVjpIr, cotangentInputName, gradientOutputName } from "../vjp";

export type FloatType = "float32" | "float64";

export function randomTensor(
  seed: number,
  dims: number[],
  type: FloatType,
  map?: (v: number) => number,
): HostTensor {
  const rng = createRng(seed);
  const count = dims.reduce((a, b) => a * b, 1);
  const values = Array.from({ length: count }, () => (map ? map(rng.normal()) : rng.normal()));
  return { type, dims, data: type === "float64" ? Float64Array.from(values) : Float32Array.from(values) };
}

export interface GradCheckOptions {
  model: Model;
  wrt: string[];
  /** Default: the first graph output. */
  of?: string;
  feeds: Record<string, HostTensor>;
  /** Finite-difference step. */
  h: number;
  rtol: number;
  atol: number;
  seed?: number;
  /**
   * "random": u ~ N(0, I). "gradient": u = the VJP itself normalized (the steepest direction:
   * no cancellation in ⟨g, u⟩, so float32 models get a strong signal over rounding noise).
   */
  direction?: "random" | "gradient";
  /** Widen atol by the float rounding noise of the difference quotient (see below). */
  noiseAware?: boolean;
}

export interface GradCheckResult {
  name: string;
  analytic: number;
  numeric: number;
  error: number;
  tolerance: number;
}

function values(t: HostTensor): number[] {
  return Array.from(t.data as ArrayLike<number>, Number);
}

function dot(a: number[], b: number[]): number {
  let s = 0;
  for (let i = 0; i < a.length; i++) s += a[i]! * b[i]!;
  return s;
}

function shifted(t: HostTensor, direction: number[], step: number): HostTensor {
  const base = values(t);
  const next = base.map((v, i) => v + step * direction[i]!);
  return { ...t, data: t.type === "float64" ? Float64Array.from(next) : Float32Array.from(next) };
}

export async function gradCheck(options: GradCheckOptions): Promise<GradCheckResult[]> {
  const { model, wrt, feeds, h } = options;
  const of = options.of ?? model.graph.outputs[0]!.name;
  const seed = options.seed ?? 1234;
  const vjpModel = buildVjpIr(model, { wrt, of });
  const forward = await openModel(encodeModel(model));
  const backward = await openModel(encodeModel(vjpModel));
  try {
    const y = (await forward.run(feeds, [of]))[of]!;
    const outType = y.type as FloatType;
    const v = randomTensor(seed + 1, y.dims, outType);
    const grads = await backward.run({ ...feeds, [cotangentInputName(of)]: v });
    const vValues = values(v);
    const results: GradCheckResult[] = [];
    for (const [k, name] of wrt.entries()) {
      const x = feeds[name]!;
      const grad = grads[gradientOutputName(name)]!;
      if (grad.dims.join(",") !== x.dims.join(",")) {
        throw new Error(`grad of ${name} has dims [${grad.dims}] but the input has [${x.dims}]`);
      }
      let u = values(randomTensor(seed + 100 + k, x.dims, "float64"));
      if (options.direction === "gradient") {
        const g = values(grad);
        const norm = Math.sqrt(dot(g, g)) || 1;
        u = g.map((v) => v / norm);
      }
      const analytic = dot(values(grad), u);
      const plus = (await forward.run({ ...feeds, [name]: shifted(x, u, h) }, [of]))[of]!;
      const minus = (await forward.run({ ...feeds, [name]: shifted(x, u, -h) }, [of]))[of]!;
      const numeric = (dot(values(plus), vValues) - dot(values(minus), vValues)) / (2 * h);
      const error = Math.abs(analytic - numeric);
      // Rounding noise of the difference quotient: each output carries ~eps·|f| of error, so
      // v·f does too, divided by 2h. Counted (with margin) when the model computes in float32.
      const eps = outType === "float32" ? 2 ** -23 : 2 ** -52;
      const magnitude = values(y).reduce((sum, f, i) => sum + Math.abs(f * vValues[i]!), 0);
      const noise = options.noiseAware ? (4 * eps * magnitude) / (2 * h) : 0;
      const tolerance = options.atol + noise + options.rtol * Math.max(Math.abs(analytic), Math.abs(numeric));
      results.push({ name, analytic, numeric, error, tolerance });
    }
    return results;
  } finally {
    await forward.dispose();
    await backward.dispose();
  }
}

/** Tolerances per precision: float64 central differences are accurate to ~1e-8 relative. */
export const TOLERANCE: Record<FloatType, { h: number; rtol: number; atol: number }> = {
  float64: { h: 1e-5, rtol: 1e-6, atol: 1e-8 },
  float32: { h: 1e-2, rtol: 2e-2, atol: 2e-3 },
};

export interface OpCase {
  op: string;
  type: FloatType;
  /** Graph inputs (random normal data, optionally mapped), constant initializers, or "" (absent). */
  inputs: Array<
    { name: string; dims: number[]; map?: (v: number) => number; symbolic?: Dim[] } | TensorProto | ""
  >;
  attributes?: AttributeProto[];
  opset?: number;
  /** Default: every graph input. */
  wrt?: string[];
  outputs?: Array<{ name: string; type: FloatType | "int64" }>;
  of?: string;
  tolerance?: Partial<{ h: number; rtol: number; atol: number }>;
  seed?: number;
}

/** Builds the one-op model of `c`, runs gradCheck and returns the results (for expect). */
export async function checkOp(c: OpCase): Promise<GradCheckResult[]> {
  const feeds: Record<string, HostTensor> = {};
  const specs = c.inputs.map((input, i) => {
    if (input === "" || !("dims" in input) || !Array.isArray(input.dims) || "dataType" in input) return input;
    const spec = input as { name: string; dims: number[]; map?: (v: number) => number; symbolic?: Dim[] };
    feeds[spec.name] = randomTensor((c.seed ?? 11) + i * 17, spec.dims, c.type, spec.map);
    return { name: spec.name, type: c.type, dims: spec.symbolic ?? spec.dims };
  });
  const model = singleOpModel({
    op: c.op,
    inputs: specs as Parameters<typeof singleOpModel>[0]["inputs"],
    attributes: c.attributes,
    opset: c.opset,
    outputs: c.outputs,
  });
  return gradCheck({
    model,
    wrt: c.wrt ?? Object.keys(feeds),
    of: c.of,
    feeds,
    ...TOLERANCE[c.type],
    ...c.tolerance,
    seed: c.seed,
  });
}
