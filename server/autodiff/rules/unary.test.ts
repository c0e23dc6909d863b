import { describe, expect, it } from "vitest";
import type { AttributeProto } from "../ir";
import { attr } from "../ir";
import { singleOpModel } from "../builder";
import type { FloatType } from "../testing/gradcheck";
import { TOLERANCE, gradCheck, randomTensor } from "../testing/gradcheck";

interface UnaryCase {
  op: string;
  type: FloatType;
  attributes?: AttributeProto[];
  opset?: number;
  /** Keeps inputs inside the op's domain and away from kinks. */
  map?: (v: number) => number;
}

const awayFromZero = (v: number) => (Math.abs(v) < 0.1 ? v + Math.sign(v || 1) * 0.2 : v);
const positive = (v: number) => Math.abs(v) + 0.5;

const CASES: UnaryCase[] = [
  { op: "Relu", type: "float64", map: awayFromZero },
  { op: "LeakyRelu", type: "float64", attributes: [attr.float("alpha", 0.2)], map: awayFromZero },
  { op: "Sigmoid", type: "float64" },
  { op: "Tanh", type: "float64" },
  { op: "Exp", type: "float64" },
  { op: "Log", type: "float64", map: positive },
  { op: "Sqrt", type: "float64", map: positive },
  { op: "Reciprocal", type: "float64", map: positive },
  { op: "Neg", type: "float64" },
  { op: "Abs", type: "float64", map: awayFromZero },
  { op: "Sin", type: "float64" },
  { op: "Cos", type: "float64" },
  { op: "Identity", type: "float64" },
  { op: "Erf", type: "float32" },
  { op: "Gelu", type: "float32", opset: 20 },
  { op: "Gelu", type: "float32", opset: 20, attributes: [attr.string("approximate", "tanh")] },
  { op: "Softmax", type: "float64" },
  { op: "Softmax", type: "float64", attributes: [attr.int("axis", 1)] },
  { op: "Softmax", type: "float64", attributes: [attr.int("axis", 1)], opset: 11 },
  { op: "LogSoftmax", type: "float64" },
  { op: "LogSoftmax", type: "float64", attributes: [attr.int("axis", 0)] },
  { op: "Dropout", type: "float64" },
  { op: "Softplus", type: "float32" },
  { op: "Elu", type: "float32", attributes: [attr.float("alpha", 0.7)], map: awayFromZero },
  { op: "HardSigmoid", type: "float32", map: (v) => awayFromZero(v) * 2 },
  {
    op: "HardSwish",
    type: "float32",
    map: (v) => (Math.abs(Math.abs(v * 2) - 3) < 0.1 ? v * 2 + 0.3 : v * 2),
  },
];

describe("unary VJP rules against central differences", () => {
  for (const c of CASES) {
    const label = `${c.op}${c.attributes?.length ? ` ${c.attributes.map((a) => a.name).join(",")}` : ""} opset ${c.opset ?? 17} ${c.type}`;
    it(label, async () => {
      const dims = [2, 3, 4];
      const model = singleOpModel({
        op: c.op,
        inputs: [{ name: "x", type: c.type, dims }],
        attributes: c.attributes,
        opset: c.opset,
      });
      const results = await gradCheck({
        model,
        wrt: ["x"],
        feeds: { x: randomTensor(7, dims, c.type, c.map) },
        ...TOLERANCE[c.type],
      });
      for (const r of results)
        expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
    });
  }
});
