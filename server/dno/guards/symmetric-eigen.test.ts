import { describe, expect, it } from "vitest";
import { createRng } from "@/server/models/rng";
import { createEigenWorkspace, symmetricEigen } from "./symmetric-eigen";

describe("symmetricEigen (Jacobi)", () => {
  it("diagonalises random symmetric matrices: A·v = λ·v with orthonormal v", () => {
    const rng = createRng(5);
    for (const size of [1, 2, 4, 7]) {
      const workspace = createEigenWorkspace(size);
      const a = new Float64Array(size * size);
      for (let i = 0; i < size; i++) {
        for (let j = i; j < size; j++) {
          const value = rng.normal();
          a[i * size + j] = value;
          a[j * size + i] = value;
        }
      }
      symmetricEigen(a, workspace);
      for (let c = 0; c < size; c++) {
        const lambda = workspace.values[c]!;
        for (let i = 0; i < size; i++) {
          let av = 0;
          for (let j = 0; j < size; j++) av += a[i * size + j]! * workspace.vectors[j * size + c]!;
          expect(av).toBeCloseTo(lambda * workspace.vectors[i * size + c]!, 12);
        }
        for (let d = 0; d < size; d++) {
          let inner = 0;
          for (let i = 0; i < size; i++)
            inner += workspace.vectors[i * size + c]! * workspace.vectors[i * size + d]!;
          expect(inner).toBeCloseTo(c === d ? 1 : 0, 12);
        }
      }
    }
  });

  it("finds the known eigenvalues of a hand-made matrix", () => {
    // [[2,1],[1,2]] has eigenvalues 1 and 3.
    const workspace = createEigenWorkspace(2);
    symmetricEigen([2, 1, 1, 2], workspace);
    const values = Array.from(workspace.values).sort((x, y) => x - y);
    expect(values[0]).toBeCloseTo(1, 14);
    expect(values[1]).toBeCloseTo(3, 14);
  });
});
