/** The rule registry: one VJP rule per ONNX op type (default domain). */
import { abs } from "./abs";
import { elu, hardSigmoid, hardSwish, prelu, softplus } from "./activations";
import { add } from "./add";
import { batchNormalization } from "./batch-normalization";
import { cast } from "./cast";
import { clip } from "./clip";
import { concat } from "./concat";
import { constant } from "./constant";
import { conv } from "./conv";
import { convTranspose } from "./conv-transpose";
import { cos } from "./cos";
import { dataMovement } from "./data-movement";
import { div } from "./div";
import { dropout } from "./dropout";
import { einsum } from "./einsum";
import { erf } from "./erf";
import { exp } from "./exp";
import { expand } from "./expand";
import { gather, gatherElements } from "./gather";
import { gelu } from "./gelu";
import { gemm } from "./gemm";
import { groupNormalization } from "./group-normalization";
import { identity } from "./identity";
import { instanceNormalization } from "./instance-normalization";
import { layerNormalization } from "./layer-normalization";
import { leakyRelu } from "./leaky-relu";
import { log } from "./log";
import { matMul } from "./matmul";
import { maxMin } from "./max-min";
import { mul } from "./mul";
import { neg } from "./neg";
import { oneHot } from "./one-hot";
import { pad } from "./pad";
import { averagePool, globalAveragePool, maxPool } from "./pools";
import { pow } from "./pow";
import { reciprocal } from "./reciprocal";
import { reduceExtremum, reduceL2, reduceLogSumExp, reduceMean, reduceSum, reduceSumSquare } from "./reduce";
import { relu } from "./relu";
import { reshape } from "./reshape";
import { resize } from "./resize";
import { scatterElements, scatterND } from "./scatter";
import { sigmoid } from "./sigmoid";
import { sin } from "./sin";
import { slice } from "./slice";
import { logSoftmax, softmax } from "./softmax";
import { split } from "./split";
import { sqrt } from "./sqrt";
import { sub } from "./sub";
import { sum } from "./sum";
import { tanh } from "./tanh";
import { transpose } from "./transpose";
import { trilu } from "./trilu";
import type { VjpRule } from "./types";
import { where } from "./where";

export const RULES: Readonly<Record<string, VjpRule>> = {
  Abs: abs,
  Add: add,
  AveragePool: averagePool,
  BatchNormalization: batchNormalization,
  Cast: cast,
  Clip: clip,
  Concat: concat,
  Constant: constant,
  Conv: conv,
  ConvTranspose: convTranspose,
  Cos: cos,
  DepthToSpace: dataMovement,
  Div: div,
  Dropout: dropout,
  Einsum: einsum,
  Elu: elu,
  Erf: erf,
  Exp: exp,
  Expand: expand,
  Flatten: reshape,
  Gather: gather,
  GatherElements: gatherElements,
  GatherND: dataMovement,
  Gelu: gelu,
  Gemm: gemm,
  GlobalAveragePool: globalAveragePool,
  GroupNormalization: groupNormalization,
  HardSigmoid: hardSigmoid,
  HardSwish: hardSwish,
  Identity: identity,
  InstanceNormalization: instanceNormalization,
  LayerNormalization: layerNormalization,
  LeakyRelu: leakyRelu,
  Log: log,
  LogSoftmax: logSoftmax,
  MatMul: matMul,
  Max: maxMin,
  MaxPool: maxPool,
  Mean: sum,
  Min: maxMin,
  Mul: mul,
  Neg: neg,
  OneHot: oneHot,
  PRelu: prelu,
  Pad: pad,
  Pow: pow,
  Reciprocal: reciprocal,
  ReduceL2: reduceL2,
  ReduceLogSumExp: reduceLogSumExp,
  ReduceMax: reduceExtremum,
  ReduceMean: reduceMean,
  ReduceMin: reduceExtremum,
  ReduceSum: reduceSum,
  ReduceSumSquare: reduceSumSquare,
  Relu: relu,
  Reshape: reshape,
  Resize: resize,
  ScatterElements: scatterElements,
  ScatterND: scatterND,
  Sigmoid: sigmoid,
  Sin: sin,
  Slice: slice,
  Softmax: softmax,
  Softplus: softplus,
  SpaceToDepth: dataMovement,
  Split: split,
  Sqrt: sqrt,
  Squeeze: reshape,
  Sub: sub,
  Sum: sum,
  Tanh: tanh,
  Tile: dataMovement,
  Transpose: transpose,
  Trilu: trilu,
  Unsqueeze: reshape,
  Where: where,
};

export type { VjpRule } from "./types";
