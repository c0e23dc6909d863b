import { describe, expect, it } from "vitest";
import { attr } from "../ir";
import type { OpCase } from "../testing/gradcheck";
import { checkOp } from "../testing/gradcheck";

const CASES: Array<[string, OpCase]> = [
  [
    "MatMul 2-D",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [3, 4] },
        { name: "b", dims: [4, 5] },
      ],
    },
  ],
  [
    "MatMul batched",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4] },
        { name: "b", dims: [2, 4, 5] },
      ],
    },
  ],
  [
    "MatMul broadcast weight",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4] },
        { name: "b", dims: [4, 5] },
      ],
    },
  ],
  [
    "MatMul broadcast batch dims",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 1, 3, 4] },
        { name: "b", dims: [3, 4, 2] },
      ],
    },
  ],
  [
    "MatMul 1-D @ 2-D",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [4] },
        { name: "b", dims: [4, 5] },
      ],
    },
  ],
  [
    "MatMul 3-D @ 1-D",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4] },
        { name: "b", dims: [4] },
      ],
    },
  ],
  [
    "MatMul 1-D @ 1-D",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [4] },
        { name: "b", dims: [4] },
      ],
    },
  ],
  [
    "MatMul dynamic batch",
    {
      op: "MatMul",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4], symbolic: ["batch", "seq", 4] },
        { name: "b", dims: [4, 5] },
      ],
    },
  ],
  [
    "Gemm plain with bias",
    {
      op: "Gemm",
      type: "float64",
      inputs: [
        { name: "a", dims: [3, 4] },
        { name: "b", dims: [4, 5] },
        { name: "c", dims: [5] },
      ],
    },
  ],
  [
    "Gemm transA transB alpha beta",
    {
      op: "Gemm",
      type: "float64",
      inputs: [
        { name: "a", dims: [4, 3] },
        { name: "b", dims: [5, 4] },
        { name: "c", dims: [3, 5] },
      ],
      attributes: [
        attr.int("transA", 1),
        attr.int("transB", 1),
        attr.float("alpha", 0.7),
        attr.float("beta", 1.3),
      ],
    },
  ],
  [
    "Gemm transB only, scalar-broadcast C",
    {
      op: "Gemm",
      type: "float64",
      inputs: [
        { name: "a", dims: [3, 4] },
        { name: "b", dims: [5, 4] },
        { name: "c", dims: [1] },
      ],
      attributes: [attr.int("transB", 1)],
    },
  ],
  [
    "Einsum bij,bjk->bik",
    {
      op: "Einsum",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4] },
        { name: "b", dims: [2, 4, 5] },
      ],
      attributes: [attr.string("equation", "bij,bjk->bik")],
    },
  ],
  [
    "Einsum attention scores bhid,bhjd->bhij",
    {
      op: "Einsum",
      type: "float64",
      inputs: [
        { name: "q", dims: [2, 2, 3, 4] },
        { name: "k", dims: [2, 2, 5, 4] },
      ],
      attributes: [attr.string("equation", "bhid,bhjd->bhij")],
    },
  ],
  [
    "Einsum attention output bhij,bhjd->bhid",
    {
      op: "Einsum",
      type: "float64",
      inputs: [
        { name: "p", dims: [2, 2, 3, 5] },
        { name: "v", dims: [2, 2, 5, 4] },
      ],
      attributes: [attr.string("equation", "bhij,bhjd->bhid")],
    },
  ],
  [
    "Einsum with ellipsis ...ij,jk->...ik",
    {
      op: "Einsum",
      type: "float64",
      inputs: [
        { name: "a", dims: [2, 3, 4] },
        { name: "b", dims: [4, 5] },
      ],
      attributes: [attr.string("equation", "...ij,jk->...ik")],
    },
  ],
  [
    "Einsum summing a private index ij,j->",
    {
      op: "Einsum",
      type: "float64",
      inputs: [
        { name: "a", dims: [3, 4] },
        { name: "b", dims: [4] },
      ],
      attributes: [attr.string("equation", "ij,j->")],
    },
  ],
  [
    "Einsum implicit output ij,jk",
    {
      op: "Einsum",
      type: "float64",
      inputs: [
        { name: "a", dims: [3, 4] },
        { name: "b", dims: [4, 2] },
      ],
      attributes: [attr.string("equation", "ij,jk")],
    },
  ],
];

describe("linear-algebra VJP rules against central differences", () => {
  for (const [label, c] of CASES) {
    it(label, async () => {
      const results = await checkOp(c);
      for (const r of results)
        expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
    });
  }
});
