/**
 * Emits new nodes into a graph under construction: fresh names, constants, the opset-dependent
 * forms of common ops (axes as attribute or input), run-time shape helpers, and type/shape info
 * for every tensor it creates (so later rules and the walker's un-broadcasting see ranks).
 */
import type { AttributeProto, Dim, Node, TensorProto } from "./ir";
import { DataType, attr, attrInts, makeTensor } from "./ir";
import type { TensorInfo } from "./infer";
import { UNKNOWN, inferNode, isStatic } from "./infer";

export class Emitter {
  readonly nodes: Node[] = [];
  private readonly infos: Map<string, TensorInfo>;
  private readonly taken: Set<string>;
  private readonly constantCache = new Map<string, string>();
  private readonly shapeCache = new Map<string, string>();
  private counter = 0;
  /** Prefix for node names: the forward node being differentiated, for reading emitted graphs. */
  context = "";
  /** Producer of every tensor (forward nodes and emitted ones), for local peephole choices. */
  private readonly producers = new Map<string, Node>();

  constructor(
    readonly opset: number,
    infos: Map<string, TensorInfo>,
    taken: Set<string>,
    private readonly prefix = "vjp",
  ) {
    this.infos = infos;
    this.taken = taken;
  }

  /** Registers forward nodes so peepholes can look through them. */
  registerForward(nodes: readonly Node[]): void {
    for (const n of nodes) for (const o of n.outputs) this.producers.set(o, n);
  }

  info(name: string): TensorInfo {
    return this.infos.get(name) ?? UNKNOWN;
  }

  setInfo(name: string, info: TensorInfo): void {
    this.infos.set(name, info);
  }

  rank(name: string): number | undefined {
    return this.info(name).shape?.length;
  }

  elemType(name: string): number {
    return this.info(name).elemType || DataType.FLOAT;
  }

  fresh(hint: string): string {
    let name: string;
    do {
      name = `${this.prefix}/${hint}_${this.counter++}`;
    } while (this.taken.has(name));
    this.taken.add(name);
    return name;
  }

  /** Adds a node; returns its output names (fresh unless given). */
  op(
    opType: string,
    inputs: string[],
    attributes: AttributeProto[] = [],
    outputs: number | string[] = 1,
  ): string[] {
    const outputNames =
      typeof outputs === "number" ? Array.from({ length: outputs }, () => this.fresh(opType)) : outputs;
    const node: Node = {
      opType,
      domain: "",
      name: this.fresh(`${this.context}${opType}_node`),
      inputs,
      outputs: outputNames,
      attributes,
    };
    this.nodes.push(node);
    for (const o of outputNames) this.producers.set(o, node);
    const inferred = inferNode({
      node,
      opset: this.opset,
      input: (i) => (inputs[i] ? this.info(inputs[i]!) : undefined),
    });
    for (const [i, o] of outputNames.entries()) this.infos.set(o, inferred[i] ?? UNKNOWN);
    return outputNames;
  }

  op1(opType: string, inputs: string[], attributes: AttributeProto[] = []): string {
    return this.op(opType, inputs, attributes, 1)[0]!;
  }

  // -------------------------------------------------------------------------------------------
  // Constants

  constant(dataType: number, dims: number[], values: number[]): string {
    const key = `${dataType}|${dims.join(",")}|${values.join(",")}`;
    const cached = this.constantCache.get(key);
    if (cached) return cached;
    const name = this.fresh("const");
    const tensor: TensorProto = makeTensor(name, dataType, dims, values);
    this.op("Constant", [], [attr.tensor("value", tensor)], [name]);
    this.constantCache.set(key, name);
    return name;
  }

  ints(values: number[]): string {
    return this.constant(DataType.INT64, [values.length], values);
  }

  intScalar(value: number): string {
    return this.constant(DataType.INT64, [], [value]);
  }

  /** A scalar of the same floating type as `like`. */
  scalarLike(like: string, value: number): string {
    return this.constant(this.elemType(like), [], [value]);
  }

  // -------------------------------------------------------------------------------------------
  // Elementwise shorthands

  add(a: string, b: string): string {
    return this.op1("Add", [a, b]);
  }
  sub(a: string, b: string): string {
    return this.op1("Sub", [a, b]);
  }
  mul(a: string, b: string): string {
    return this.op1("Mul", [a, b]);
  }
  div(a: string, b: string): string {
    return this.op1("Div", [a, b]);
  }
  neg(a: string): string {
    return this.op1("Neg", [a]);
  }
  scale(a: string, factor: number): string {
    if (factor === 1) return a;
    return this.mul(a, this.scalarLike(a, factor));
  }

  // -------------------------------------------------------------------------------------------
  // Shape helpers

  shapeOf(x: string): string {
    const cached = this.shapeCache.get(x);
    if (cached) return cached;
    const s = this.op1("Shape", [x]);
    this.shapeCache.set(x, s);
    return s;
  }

  /** A 1-D int64 shape tensor: static when every dim is known, else built from Shape(x) pieces. */
  shapeTensor(dims: Dim[], sources: Array<{ tensor: string; axis: number } | null>): string {
    if (isStatic(dims)) return this.ints(dims);
    const parts: string[] = [];
    dims.forEach((d, i) => {
      const source = sources[i];
      if (typeof d === "number" && !source) parts.push(this.ints([d]));
      else if (source) parts.push(this.dimOf(source.tensor, source.axis));
      else throw new Error(`shapeTensor: dim ${i} has neither a value nor a source`);
    });
    return parts.length === 1 ? parts[0]! : this.op1("Concat", parts, [attr.int("axis", 0)]);
  }

  /** Dimension `axis` of x at run time, as a 1-D int64 tensor of one element. */
  dimOf(x: string, axis: number): string {
    const known = this.info(x).shape?.[axis];
    if (typeof known === "number") return this.ints([known]);
    const rank = this.rank(x);
    const a = axis < 0 && rank !== undefined ? axis + rank : axis;
    return this.op1("Slice", [this.shapeOf(x), this.ints([a]), this.ints([a === -1 ? 2 ** 62 : a + 1])]);
  }

  reshape(x: string, shape: string | number[]): string {
    const target = typeof shape === "string" ? shape : this.ints(shape);
    return this.op1("Reshape", [x, target]);
  }

  /**
   * Reshape x to the shape of `like`. A constant target whenever possible (no Shape op at run
   * time): static dims as numbers, a symbolic dim shared with x at the same index as 0 (copy),
   * and at most one other dim as -1.
   */
  reshapeLike(x: string, like: string): string {
    const shape = this.info(like).shape;
    const from = this.info(x).shape;
    if (shape?.includes(0)) {
      // An empty tensor: a 0 in a Reshape target copies x's dim unless allowzero=1 (opset ≥ 14);
      // below 14, zeros of like's shape are the same (empty) tensor.
      const target = isStatic(shape) ? this.ints(shape) : this.shapeOf(like);
      if (this.opset >= 14) return this.op1("Reshape", [x, target], [attr.int("allowzero", 1)]);
      const value = makeTensor(this.fresh("zero"), this.elemType(x), [1], [0]);
      return this.op1("ConstantOfShape", [target], [attr.tensor("value", value)]);
    }
    if (shape && isStatic(shape)) return this.reshape(x, shape);
    if (shape && from) {
      let inferred = 0;
      const target = shape.map((d, i) => {
        if (typeof d === "number" && d !== 0) return d;
        if (typeof d === "string" && from[i] === d) return 0;
        inferred++;
        return -1;
      });
      if (inferred <= 1) {
        const out = this.reshape(x, target);
        this.setInfo(out, { elemType: this.info(x).elemType, shape });
        return out;
      }
    }
    // The run-time shape is exact: allowzero keeps a dim that is 0 at run time (empty batch).
    if (this.opset >= 14) return this.op1("Reshape", [x, this.shapeOf(like)], [attr.int("allowzero", 1)]);
    return this.reshape(x, this.shapeOf(like));
  }

  transpose(x: string, perm: number[]): string {
    if (perm.every((p, i) => p === i)) return x;
    // Transpose of a Transpose: compose the permutations (often back to the identity, e.g.
    // (kᵀ)ᵀ in attention's backward), so no data moves twice.
    const producer = this.producers.get(x);
    if (producer?.opType === "Transpose" && producer.domain === "") {
      const inner = attrInts(producer, "perm");
      if (inner && inner.length === perm.length) {
        const composed = perm.map((p) => inner[p]!);
        return this.transpose(producer.inputs[0]!, composed);
      }
    }
    return this.op1("Transpose", [x], [attr.ints("perm", perm)]);
  }

  unsqueeze(x: string, axes: number[]): string {
    if (axes.length === 0) return x;
    if (this.opset >= 13) return this.op1("Unsqueeze", [x, this.ints(axes)]);
    return this.op1("Unsqueeze", [x], [attr.ints("axes", axes)]);
  }

  squeeze(x: string, axes: number[]): string {
    if (axes.length === 0) return x;
    if (this.opset >= 13) return this.op1("Squeeze", [x, this.ints(axes)]);
    return this.op1("Squeeze", [x], [attr.ints("axes", axes)]);
  }

  reduceSum(x: string, axes: number[], keepdims: boolean): string {
    if (axes.length === 0) return x;
    if (this.opset >= 13) {
      return this.op1("ReduceSum", [x, this.ints(axes)], [attr.int("keepdims", keepdims ? 1 : 0)]);
    }
    return this.op1("ReduceSum", [x], [attr.ints("axes", axes), attr.int("keepdims", keepdims ? 1 : 0)]);
  }

  /** ReduceSum over axes known only at run time (1-D int64 tensor); empty means "none". */
  reduceSumDynamic(x: string, axes: string, keepdims: boolean): string {
    if (this.opset < 13) {
      throw new Error(`Run-time reduction axes need opset >= 13 (model has ${this.opset})`);
    }
    return this.op1(
      "ReduceSum",
      [x, axes],
      [attr.int("keepdims", keepdims ? 1 : 0), attr.int("noop_with_empty_axes", 1)],
    );
  }

  reduceMean(x: string, axes: number[], keepdims: boolean): string {
    if (this.opset >= 18) {
      return this.op1("ReduceMean", [x, this.ints(axes)], [attr.int("keepdims", keepdims ? 1 : 0)]);
    }
    return this.op1("ReduceMean", [x], [attr.ints("axes", axes), attr.int("keepdims", keepdims ? 1 : 0)]);
  }

  zerosLike(x: string): string {
    const value = makeTensor(this.fresh("zero"), this.elemType(x), [1], [0]);
    const shape = this.info(x).shape;
    const shapeInput = shape && isStatic(shape) ? this.ints(shape) : this.shapeOf(x);
    const out = this.op1("ConstantOfShape", [shapeInput], [attr.tensor("value", value)]);
    this.setInfo(out, { elemType: this.elemType(x), shape: this.info(x).shape });
    return out;
  }

  cast(x: string, to: number): string {
    if (this.info(x).elemType === to) return x;
    return this.op1("Cast", [x], [attr.int("to", to)]);
  }
}
