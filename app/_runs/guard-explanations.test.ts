import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes/graph/examples";
import { explainGuards, formatIterations } from "./guard-explanations";

const brighten = exampleWorkflows[0]!.document;
const guardIds = brighten.nodes.filter((node) => node.type === "guard").map((node) => node.id);

function steps(firedAt: Record<string, number[]>, count: number) {
  return Array.from({ length: count }, (_, iteration) => ({
    iteration,
    metrics: {
      guards: Object.fromEntries(
        Object.entries(firedAt).map(([key, fired]) => [key, { fired: fired.includes(iteration) }]),
      ),
    },
  }));
}

describe("guard explanations", () => {
  it("joins consecutive iterations into ranges", () => {
    expect(formatIterations([3])).toBe("3");
    expect(formatIterations([3, 7])).toBe("3 and 7");
    expect(formatIterations([3, 4, 5, 6, 7])).toBe("3–7");
    expect(formatIterations([20, 3, 4, 5, 12, 12])).toBe("3–5, 12 and 20");
    expect(formatIterations([])).toBe("");
  });

  it("says when and why a guard fired, in its kind's words, and when it stayed quiet", () => {
    const pr = brighten.nodes.find((node) => node.params.kind === "probability-regularization")!;
    const fired = explainGuards(brighten, steps({ [pr.id]: [4, 5, 6, 9] }, 10)).find(
      (entry) => entry.nodeId === pr.id,
    );
    expect(fired?.firedIterations).toEqual([4, 5, 6, 9]);
    expect(fired?.sentence).toMatch(
      /fired on 4 of 10 iterations \(4–6 and 9\): the noise drifted toward reward hacking/,
    );
    const quiet = explainGuards(brighten, steps({ [pr.id]: [] }, 10)).find((entry) => entry.nodeId === pr.id);
    expect(quiet?.sentence).toMatch(/never fired: the noise stayed typical of random noise/);
  });

  it("explains every guard of every example, and nothing without a document", () => {
    for (const example of exampleWorkflows) {
      const explained = explainGuards(example.document, []);
      const guards = example.document.nodes.filter((node) => node.type === "guard");
      expect(explained.map((entry) => entry.nodeId)).toEqual(guards.map((node) => node.id));
      for (const entry of explained) expect(entry.sentence).toMatch(/never fired: .+\.$/);
    }
    expect(explainGuards(undefined, [])).toEqual([]);
    expect(guardIds.length).toBeGreaterThan(0);
  });
});
