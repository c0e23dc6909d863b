import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "./examples";
import { graphDocumentInputSchema } from "./input-schema";

const brighten = () => structuredClone(exampleWorkflows[0]!.document);

describe("graphDocumentInputSchema", () => {
  it("accepts every example workflow unchanged", () => {
    for (const example of exampleWorkflows) {
      expect(graphDocumentInputSchema.parse(example.document)).toEqual(example.document);
    }
  });

  it("rejects a parameter out of range, naming the node and the parameter, at its path", () => {
    const doc = brighten();
    const optimizer = doc.nodes.findIndex((node) => node.id === "optimizer-1");
    doc.nodes[optimizer]!.params.learningRate = 50;
    const result = graphDocumentInputSchema.safeParse(doc);
    expect(result.success).toBe(false);
    expect(result.error?.issues).toEqual([
      expect.objectContaining({
        path: ["nodes", optimizer, "params", "learningRate"],
        message: "Optimizer 1 › Learning rate must be between 0.00001 and 10; got 50.",
      }),
    ]);
  });

  it("rejects unknown node types, dangling edges and type mismatches", () => {
    const doc = brighten();
    doc.nodes.push({ id: "mystery", type: "upscaler", version: 1, position: { x: 0, y: 0 }, params: {} });
    doc.edges.push({
      id: "bad-1",
      source: "ghost",
      sourcePort: "image",
      target: "reward-1",
      targetPort: "image",
    });
    doc.edges.push({
      id: "bad-2",
      source: "noise-1",
      sourcePort: "noise",
      target: "reward-1",
      targetPort: "image",
    });
    const result = graphDocumentInputSchema.safeParse(doc);
    expect(result.error?.issues.map((issue) => issue.path)).toEqual([
      ["nodes", doc.nodes.length - 1],
      ["edges", doc.edges.length - 2],
      ["edges", doc.edges.length - 1],
    ]);
  });

  it("accepts an incomplete workflow (it may be saved, not run)", () => {
    const doc = brighten();
    doc.edges = doc.edges.filter((edge) => edge.source !== "noise-1");
    expect(graphDocumentInputSchema.safeParse(doc).success).toBe(true);
  });

  it("fills missing params with defaults and drops unknown ones", () => {
    const doc = brighten();
    const sampler = doc.nodes.find((node) => node.id === "sampler-1")!;
    sampler.params = { steps: 12, obsolete: true };
    const parsed = graphDocumentInputSchema.parse(doc);
    expect(parsed.nodes.find((node) => node.id === "sampler-1")?.params).toEqual({
      model: "tiny-shapes-sd",
      // Added after these documents were written: the model's default size.
      imageSize: 0,
      steps: 12,
      eta: 1,
      guidanceScale: 5,
      scheduler: "ddim",
      // A current-version Sampler without the param gets the new default (noise-free last step).
      finalStepNoise: false,
    });
  });

  it("rejects oversized documents and oversized params", () => {
    const doc = brighten();
    doc.nodes[0]!.params.text = "x".repeat(30_000);
    expect(graphDocumentInputSchema.safeParse(doc).error?.issues[0]?.message).toMatch(/the limit is 20000/);
    const many = brighten();
    many.edges = Array.from({ length: 5001 }, (_, index) => ({ ...many.edges[0]!, id: `e${index}` }));
    expect(graphDocumentInputSchema.safeParse(many).error?.issues[0]?.path).toEqual(["edges"]);
  });

  it("rejects other schema versions (imports go through parseGraphDocument)", () => {
    expect(graphDocumentInputSchema.safeParse({ ...brighten(), schemaVersion: 1 }).success).toBe(false);
  });
});
