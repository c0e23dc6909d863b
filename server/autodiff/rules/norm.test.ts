import { describe, expect, it } from "vitest";
import { attr } from "../ir";
import type { OpCase } from "../testing/gradcheck";
import { checkOp } from "../testing/gradcheck";

const positive = (v: number) => Math.abs(v) + 0.5;

const CASES: Array<[string, OpCase]> = [
  [
    "InstanceNormalization (float32: no double kernel)",
    {
      op: "InstanceNormalization",
      type: "float32",
      inputs: [
        { name: "x", dims: [2, 3, 4, 4] },
        { name: "s", dims: [3] },
        { name: "b", dims: [3] },
      ],
      attributes: [attr.float("epsilon", 1e-3)],
      tolerance: { h: 1e-2, rtol: 3e-2, atol: 5e-3 },
    },
  ],
  [
    "LayerNormalization last axis",
    {
      op: "LayerNormalization",
      type: "float64",
      inputs: [
        { name: "x", dims: [2, 3, 6] },
        { name: "s", dims: [6] },
        { name: "b", dims: [6] },
      ],
    },
  ],
  [
    "LayerNormalization axis 1 over two axes",
    {
      op: "LayerNormalization",
      type: "float64",
      inputs: [
        { name: "x", dims: [2, 3, 4] },
        { name: "s", dims: [3, 4] },
        { name: "b", dims: [3, 4] },
      ],
      attributes: [attr.int("axis", 1)],
    },
  ],
  [
    "LayerNormalization with broadcast scale, no bias, dynamic batch",
    {
      op: "LayerNormalization",
      type: "float64",
      inputs: [
        { name: "x", dims: [2, 3, 4], symbolic: ["n", "t", 4] },
        { name: "s", dims: [1, 4] },
      ],
      attributes: [attr.int("axis", 1)],
    },
  ],
  [
    "GroupNormalization opset 21 (per-channel scale, statistics in double)",
    {
      op: "GroupNormalization",
      type: "float64",
      opset: 21,
      inputs: [
        { name: "x", dims: [2, 4, 3, 3] },
        { name: "s", dims: [4] },
        { name: "b", dims: [4] },
      ],
      // stash_type defaults to float32, which would make the forward itself float32-accurate.
      attributes: [attr.int("num_groups", 2), attr.int("stash_type", 11)],
    },
  ],
  [
    "GroupNormalization opset 18 (per-group scale)",
    {
      op: "GroupNormalization",
      type: "float64",
      opset: 18,
      inputs: [
        { name: "x", dims: [2, 6, 4] },
        { name: "s", dims: [3] },
        { name: "b", dims: [3] },
      ],
      attributes: [attr.int("num_groups", 3)],
    },
  ],
  [
    "BatchNormalization inference",
    {
      op: "BatchNormalization",
      type: "float64",
      inputs: [
        { name: "x", dims: [2, 3, 4, 4] },
        { name: "s", dims: [3] },
        { name: "b", dims: [3] },
        { name: "mean", dims: [3] },
        { name: "var", dims: [3], map: positive },
      ],
      wrt: ["x", "s", "b"],
    },
  ],
];

describe("normalization VJP rules against central differences", () => {
  for (const [label, c] of CASES) {
    it(label, async () => {
      const results = await checkOp(c);
      for (const r of results)
        expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
    });
  }
});
