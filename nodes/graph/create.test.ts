import { describe, expect, it } from "vitest";
import { createGraphNode, defaultParams, emptyGraphDocument, nextEdgeId, nextNodeId } from "./create";
import { validateGraph } from "./validate";

describe("create helpers", () => {
  it("defaultParams comes from the params schema and is a fresh object each time", () => {
    const first = defaultParams("noise");
    expect(first).toEqual({ seed: 42, batchSeeds: [], optimize: "initial-and-steps" });
    (first.batchSeeds as number[]).push(1);
    expect(defaultParams("noise").batchSeeds).toEqual([]);
    expect(() => defaultParams("upscaler")).toThrow(/Unknown node type "upscaler"/);
  });

  it("createGraphNode gives a labelled node at the current version with overrides applied", () => {
    const node = createGraphNode("sampler", {
      id: "sampler-3",
      position: { x: 4, y: 5 },
      params: { steps: 20 },
    });
    expect(node).toMatchObject({ type: "sampler", version: 2, label: "Sampler 3", position: { x: 4, y: 5 } });
    expect(node.params).toMatchObject({ steps: 20, eta: 1, guidanceScale: 5, model: "tiny-shapes-sd" });
    expect(createGraphNode("guard", { id: "custom", position: { x: 0, y: 0 } }).label).toBe("Guard");
  });

  it("nextNodeId and nextEdgeId never reuse an id", () => {
    const doc = emptyGraphDocument();
    expect(nextNodeId(doc, "reward")).toBe("reward-1");
    doc.nodes.push(createGraphNode("reward", { id: "reward-1", position: { x: 0, y: 0 } }));
    doc.nodes.push(createGraphNode("reward", { id: "reward-7", position: { x: 0, y: 0 } }));
    expect(nextNodeId(doc, "reward")).toBe("reward-8");
    expect(nextNodeId(doc, "guard")).toBe("guard-1");
    doc.edges.push({ id: "edge-1", source: "a", sourcePort: "b", target: "c", targetPort: "d" });
    doc.edges.push({ id: "edge-2", source: "a", sourcePort: "b", target: "c", targetPort: "d" });
    doc.edges.splice(0, 1);
    expect(nextEdgeId(doc)).toBe("edge-3");
  });

  it("an empty document is valid and current", () => {
    expect(emptyGraphDocument()).toEqual({ schemaVersion: 2, nodes: [], edges: [] });
    expect(validateGraph(emptyGraphDocument())).toEqual([]);
  });
});
