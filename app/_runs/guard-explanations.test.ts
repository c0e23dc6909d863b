import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes/graph/examples";
import { explainGuards, formatIterations, formatShare, formatTimes } from "./guard-explanations";

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

  it("says how much a guard changed the update, on the iterations it fired and at most", () => {
    const keeper = brighten.nodes.find((node) => node.params.kind === "prompt-keeper")!;
    const change = [0.01, 0.2, 0.45, 0.31, 0.03];
    const history = change.map((value, iteration) => ({
      iteration,
      metrics: { guards: { "prompt-keeper": { fired: value >= 0.05, change: value } } },
    }));
    const entry = explainGuards(brighten, history).find((e) => e.nodeId === keeper.id)!;
    expect(entry.firedIterations).toEqual([1, 2, 3]);
    expect(entry.change?.mean).toBeCloseTo((0.2 + 0.45 + 0.31) / 3, 12);
    expect(entry.change?.largest).toBe(0.45);
    expect(entry.change?.at).toBe(2);
    expect(entry.sentence).toMatch(
      /fired on 3 of 5 iterations \(1–3\): .+ On those iterations it changed the update by 32 % of what the rewards asked for on average \(at most 45 %, iteration 2\)\.$/,
    );
    expect(entry.detail).toMatch(/on the iterations it fired — 1: 20 %, 2: 45 %, 3: 31 %\.$/);
    const quiet = explainGuards(brighten, history.slice(0, 1)).find((e) => e.nodeId === keeper.id)!;
    expect(quiet.sentence).toMatch(/never fired: .+ Its largest change of the update was 1 %\.$/);
    // Runs recorded before the change was measured read as before.
    const old = explainGuards(brighten, steps({ "prompt-keeper": [1] }, 3)).find(
      (e) => e.nodeId === keeper.id,
    )!;
    expect(old.change).toBeNull();
    expect(old.sentence).toMatch(/fired on 1 of 3 iterations \(1\): .+ to keep it\.$/);
  });

  it("says a guard that outweighed the rewards as a multiple", () => {
    const keeper = brighten.nodes.find((node) => node.params.kind === "prompt-keeper")!;
    const history = [55.89, 20, 28.84].map((value, iteration) => ({
      iteration,
      metrics: { guards: { "prompt-keeper": { fired: true, change: value } } },
    }));
    const entry = explainGuards(brighten, history).find((e) => e.nodeId === keeper.id)!;
    expect(entry.sentence).toMatch(
      /its push on the update was 35 times the rewards' own on average \(at most 56 times, iteration 0\): it, not the rewards, steered the picture\.$/,
    );
    expect(formatTimes(1.26)).toBe("1.3 times");
  });

  it("writes shares as people read them", () => {
    expect(formatShare(0.3241)).toBe("32 %");
    expect(formatShare(0.004)).toBe("0.4 %");
    expect(formatShare(2.5)).toBe("250 %");
  });
});
