import type { Emitter } from "../emitter";
import type { Node } from "../ir";

/** What a rule sees of the forward node it differentiates. */
export interface NodeView {
  readonly node: Node;
  readonly opset: number;
  /** Forward input name at slot i ("" when the optional input is absent). */
  input(i: number): string;
  output(i: number): string;
  /** Whether the gradient of input i is wanted (it lies on a path from a wrt input). */
  needsGrad(i: number): boolean;
  /** Constant integer contents of input i (initializer, Constant, or folded shape arithmetic). */
  constInts(i: number): number[] | undefined;
  /** Constant numeric contents of input i (float constants included). */
  constValues(i: number): number[] | undefined;
  /**
   * Whether input i is an initializer held inline in the model (not external data): ONNX Runtime folds
   * computations on such a constant once at load, while external weights may stay in a shared file mapping
   * where nothing is folded (server/onnx/memory-sharing.ts).
   */
  inlineInitializer(i: number): boolean;
  /** The forward nodes that read tensor `name`; null when the graph also outputs it. */
  readers(name: string): readonly Node[] | null;
  /**
   * The whole cotangent of a tensor some node already walked (after this one in forward order) produced, or
   * null (none reached it, or its producer comes later in the walk).
   */
  cotangent(name: string): string | null;
}

/**
 * The vector–Jacobian product of one op. `backward` receives the cotangent of each output (null
 * when that output does not reach the objective) and returns the cotangent of each input slot
 * (null/undefined: none). Un-broadcasting and fan-out accumulation are the walker's job.
 */
export interface VjpRule {
  /** Input slots a gradient can flow into; the others (shapes, indices, conditions) are constants. */
  readonly differentiable: readonly number[];
  /**
   * Returned input cotangents (all, or the listed slots) may have a broadcast shape; the walker
   * reduces them to the input's shape.
   */
  readonly broadcasting?: boolean | readonly number[];
  /** Elementwise ops: each returned cotangent has exactly the forward output's shape. */
  readonly elementwise?: boolean;
  backward(g: Emitter, n: NodeView, dy: ReadonlyArray<string | null>): Array<string | null | undefined>;
}

/** Ops whose outputs carry no gradient (shapes, indices, comparisons, piecewise-constant ops). */
export const NON_DIFFERENTIABLE = new Set([
  "Shape",
  "Size",
  "ConstantOfShape",
  "Range",
  "NonZero",
  "ArgMax",
  "ArgMin",
  "Equal",
  "Greater",
  "Less",
  "GreaterOrEqual",
  "LessOrEqual",
  "And",
  "Or",
  "Xor",
  "Not",
  "IsNaN",
  "IsInf",
  "Floor",
  "Ceil",
  "Round",
  "Sign",
  "RandomNormal",
  "RandomNormalLike",
  "RandomUniform",
  "RandomUniformLike",
  "EyeLike",
]);
