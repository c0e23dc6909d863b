// Regression tests for the autodiff defects of issue 15 (no silent zero gradient; op forms).
import { describe, expect, it } from "vitest";
import { constantTensor } from "../builder";
import type { OpCase } from "../testing/gradcheck";
import { checkOp } from "../testing/gradcheck";

// x stays away from the bounds (±0.5 ± a little), so central differences do not straddle a kink.
const awayFromBounds = (v: number) => (Math.abs(Math.abs(v) - 0.5) < 0.3 ? Math.sign(v) * 1.1 : v);
const lowBound = (v: number) => -0.5 + 0.05 * Math.tanh(v);
const highBound = (v: number) => 0.5 + 0.05 * Math.tanh(v);

async function expectMatches(c: OpCase): Promise<void> {
  const results = await checkOp(c);
  expect(results.length).toBeGreaterThan(0);
  for (const r of results)
    expect(r.error, `${r.name}: ${r.analytic} vs ${r.numeric}`).toBeLessThanOrEqual(r.tolerance);
}

describe("Clip: gradients w.r.t. the bounds are computed", () => {
  it("min and max as graph inputs", async () => {
    await expectMatches({
      op: "Clip",
      type: "float64",
      inputs: [
        { name: "x", dims: [4, 5], map: awayFromBounds },
        { name: "lo", dims: [], map: lowBound },
        { name: "hi", dims: [], map: highBound },
      ],
    });
  });
  it("only the bounds (x constant), opset 11", async () => {
    await expectMatches({
      op: "Clip",
      type: "float32",
      opset: 11,
      inputs: [
        constantTensor("x", "float32", [6], [-2, -1, -0.1, 0.2, 1.5, 3]),
        { name: "lo", dims: [], map: lowBound },
        { name: "hi", dims: [], map: highBound },
      ],
    });
  });
});
