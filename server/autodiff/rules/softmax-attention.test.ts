/**
 * Softmax's VJP inside attention: when the probabilities' only reader is MatMul(p, V) over their last axis, the
 * row dot Σ_j dy_ij·p_ij is taken as Σ_k dO_ik·O_ik (rules/softmax.ts). Central differences for that form and
 * for every form that must keep the plain row dot; the emitted graph says which one was used.
 */
import { describe, expect, it } from "vitest";
import { buildModel } from "../builder";
import { attr, DataType, type Dim } from "../ir";
import { TOLERANCE, gradCheck, randomTensor } from "../testing/gradcheck";
import { buildVjpIr } from "../vjp";

interface AttentionCase {
  x: { dims: number[]; symbolic?: Dim[] };
  v: { dims: number[]; symbolic?: Dim[] };
  axis?: number;
  /** The probabilities also read elsewhere: added to the output through a ReduceSum. */
  alsoRead?: boolean;
  /** The probabilities are a graph output too. */
  output?: boolean;
  /** A node between the softmax and the MatMul: a no-op Cast (as SD exports have), an Identity. */
  between?: "Cast" | "Identity";
}

function attentionModel(c: AttentionCase) {
  const extra = c.alsoRead
    ? [
        {
          opType: "ReduceSum",
          inputs: ["p", "axes"],
          outputs: ["ps"],
          attributes: [attr.int("keepdims", 1)],
        },
        { opType: "Add", inputs: ["o", "ps"], outputs: ["y"] },
      ]
    : [{ opType: "Sin", inputs: ["o"], outputs: ["y"] }];
  return buildModel({
    inputs: [
      { name: "x", type: "float64", dims: c.x.symbolic ?? c.x.dims },
      { name: "v", type: "float64", dims: c.v.symbolic ?? c.v.dims },
    ],
    outputs: [{ name: "y", type: "float64" }, ...(c.output ? [{ name: "p", type: "float64" as const }] : [])],
    initializers: c.alsoRead ? [{ name: "axes", dataType: 7, dims: [1], int64Data: [-1] }] : [],
    nodes: [
      { opType: "Softmax", inputs: ["x"], outputs: ["p"], attributes: [attr.int("axis", c.axis ?? -1)] },
      ...(c.between
        ? [
            {
              opType: c.between,
              inputs: ["p"],
              outputs: ["pc"],
              attributes: c.between === "Cast" ? [attr.int("to", DataType.DOUBLE)] : [],
            },
          ]
        : []),
      { opType: "MatMul", inputs: [c.between ? "pc" : "p", "v"], outputs: ["o"] },
      ...extra,
    ],
  });
}

/** Whether the VJP's row dot reads the MatMul's output (the attention form) rather than the probabilities. */
function usesOutputRowDot(c: AttentionCase): boolean {
  const vjp = buildVjpIr(attentionModel(c), { wrt: ["x", "v"], of: "y" });
  return vjp.graph.nodes.some((node) => node.opType === "Mul" && node.inputs.includes("o"));
}

async function expectGradientsMatch(c: AttentionCase): Promise<void> {
  const results = await gradCheck({
    model: attentionModel(c),
    wrt: ["x", "v"],
    of: "y",
    feeds: { x: randomTensor(3, c.x.dims, "float64"), v: randomTensor(4, c.v.dims, "float64") },
    ...TOLERANCE.float64,
  });
  expect(results).toHaveLength(2);
  for (const r of results)
    expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
}

const CASES: Array<[string, AttentionCase, boolean]> = [
  [
    "heads of attention: the row dot from the output",
    { x: { dims: [2, 3, 5, 6] }, v: { dims: [2, 3, 6, 4] } },
    true,
  ],
  [
    "symbolic batch dims, equal on both sides",
    { x: { dims: [2, 5, 6], symbolic: ["n", 5, 6] }, v: { dims: [2, 6, 4], symbolic: ["n", 6, 4] } },
    true,
  ],
  [
    "through a Cast to the same type (as SD exports have)",
    { x: { dims: [2, 5, 6] }, v: { dims: [2, 6, 4] }, between: "Cast" },
    true,
  ],
  ["through an Identity", { x: { dims: [2, 5, 6] }, v: { dims: [2, 6, 4] }, between: "Identity" }, true],
  [
    "the probabilities read elsewhere too",
    { x: { dims: [2, 5, 6] }, v: { dims: [2, 6, 4] }, alsoRead: true },
    false,
  ],
  [
    "the probabilities are a graph output",
    { x: { dims: [2, 5, 6] }, v: { dims: [2, 6, 4] }, output: true },
    false,
  ],
  [
    "softmax over another axis than the one contracted",
    { x: { dims: [2, 6, 6] }, v: { dims: [2, 6, 4] }, axis: 1 },
    false,
  ],
  ["probabilities broadcast over V's batch", { x: { dims: [1, 5, 6] }, v: { dims: [3, 6, 4] } }, false],
  ["probabilities of lower rank than V", { x: { dims: [5, 6] }, v: { dims: [3, 6, 4] } }, false],
];

describe("Softmax feeding MatMul (attention) against central differences", () => {
  for (const [label, c, attentionForm] of CASES) {
    it(label, async () => {
      expect(usesOutputRowDot(c)).toBe(attentionForm);
      await expectGradientsMatch(c);
    });
  }
});
