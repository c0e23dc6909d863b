import { describe, expect, it } from "vitest";
import { createGraphNode } from "./create";
import type { GraphDocument, GraphEdge } from "./document";
import { exampleWorkflows } from "./examples";
import { type GraphIssue, issuesBlockingRun, issuesBlockingSave, validateGraph } from "./validate";

/** A fresh copy of the valid "Brighten with a guard" workflow, to break in each test. */
function brighten(): GraphDocument {
  const example = exampleWorkflows.find((workflow) => workflow.slug === "brighten-with-a-guard");
  if (!example) throw new Error("example missing");
  return structuredClone(example.document);
}

function node(doc: GraphDocument, id: string) {
  const found = doc.nodes.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

function withoutEdge(doc: GraphDocument, source: string, target: string): GraphDocument {
  doc.edges = doc.edges.filter((edge) => !(edge.source === source && edge.target === target));
  return doc;
}

function addEdge(doc: GraphDocument, edge: Omit<GraphEdge, "id">): GraphDocument {
  doc.edges.push({ id: `extra-${doc.edges.length + 1}`, ...edge });
  return doc;
}

function codes(issues: GraphIssue[]): string[] {
  return issues.map((issue) => issue.code).sort();
}

describe("validateGraph", () => {
  it("finds nothing wrong in the example workflows", () => {
    for (const example of exampleWorkflows) expect(validateGraph(example.document), example.slug).toEqual([]);
  });

  it("unknown-node-type: blocks saving and names the type", () => {
    const doc = brighten();
    doc.nodes.push({ id: "x", type: "upscaler", version: 1, position: { x: 0, y: 0 }, params: {} });
    const [issue, ...rest] = validateGraph(doc);
    expect(rest).toEqual([]);
    expect(issue).toMatchObject({
      code: "unknown-node-type",
      severity: "error",
      blocks: "save",
      nodeId: "x",
    });
    expect(issue?.message).toContain("“upscaler”");
  });

  it("param-invalid: names the node, the parameter and the bounds", () => {
    const doc = brighten();
    node(doc, "sampler-1").params.steps = 5000;
    expect(validateGraph(doc)).toEqual([
      {
        code: "param-invalid",
        severity: "error",
        blocks: "save",
        nodeId: "sampler-1",
        param: "steps",
        message: "Sampler 1 › Steps must be between 1 and 1000; got 5000.",
      },
    ]);
  });

  it("param-invalid: wrong types, fractional integers, unknown options and too-long lists", () => {
    const doc = brighten();
    node(doc, "sampler-1").params.eta = "high";
    node(doc, "noise-1").params.seed = 1.5;
    node(doc, "noise-1").params.batchSeeds = Array.from({ length: 17 }, (_, index) => index);
    node(doc, "reward-1").params.kind = "loudness";
    node(doc, "optimizer-1").params.betas = [0.9, 2];
    const messages = validateGraph(doc).map((issue) => issue.message);
    expect(messages).toEqual(
      expect.arrayContaining([
        "Sampler 1 › Eta must be a number; got “high”.",
        "Noise 1 › Seed must be a whole number; got 1.5.",
        "Noise 1 › Extra seeds holds 17 values; at most 16 are allowed.",
        "Optimizer 1 › Betas (β2) must be between 0 and 0.99999; got 2.",
      ]),
    );
    const kind = messages.find((message) => message.startsWith("Brightness › Reward must be one of"));
    expect(kind).toMatch(/must be one of “Brightness \(lighter is better\)”, .*; got “loudness”\.$/);
  });

  it("param-incomplete: a custom ONNX reward without an uploaded scorer blocks only running", () => {
    const doc = brighten();
    node(doc, "reward-1").params.kind = "custom-onnx";
    expect(validateGraph(doc)).toEqual([
      expect.objectContaining({
        code: "param-incomplete",
        blocks: "run",
        nodeId: "reward-1",
        param: "modelAsset",
      }),
    ]);
  });

  it("missing-input: names the input and what to connect", () => {
    const doc = withoutEdge(brighten(), "noise-1", "sampler-1");
    expect(validateGraph(doc)).toEqual([
      {
        code: "missing-input",
        severity: "error",
        blocks: "run",
        nodeId: "sampler-1",
        port: "noise",
        message: "Sampler “Sampler 1”: the input “Noise” is not connected. Connect a Noise node to it.",
      },
    ]);
  });

  it("missing-input: an input required only by a setting (prompt faithfulness needs the prompt)", () => {
    const doc = brighten();
    node(doc, "reward-1").params.kind = "prompt-faithfulness";
    const [issue] = validateGraph(doc);
    expect(issue).toMatchObject({ code: "missing-input", nodeId: "reward-1", port: "conditioning" });
    expect(issue?.message).toBe(
      "Reward “Brightness”: the input “Prompt” is not connected, but “Prompt faithfulness” needs it. Connect a Prompt node to it.",
    );
    addEdge(doc, {
      source: "prompt-1",
      sourcePort: "conditioning",
      target: "reward-1",
      targetPort: "conditioning",
    });
    expect(validateGraph(doc)).toEqual([]);
  });

  it("keeper-floor-without-reward: a keeper floor guard needs its reward", () => {
    const doc = brighten();
    node(doc, "guard-1").params.kind = "keeper-floor";
    expect(validateGraph(doc)).toEqual([
      expect.objectContaining({
        code: "keeper-floor-without-reward",
        blocks: "run",
        nodeId: "guard-1",
        port: "reward",
      }),
    ]);
    doc.nodes.push(
      createGraphNode("reward", {
        id: "reward-2",
        position: { x: 0, y: 0 },
        params: { kind: "prompt-faithfulness" },
      }),
    );
    addEdge(doc, { source: "sampler-1", sourcePort: "image", target: "reward-2", targetPort: "image" });
    addEdge(doc, {
      source: "prompt-1",
      sourcePort: "conditioning",
      target: "reward-2",
      targetPort: "conditioning",
    });
    addEdge(doc, { source: "reward-2", sourcePort: "reward", target: "guard-1", targetPort: "reward" });
    expect(validateGraph(doc)).toEqual([]);
  });

  it("type-mismatch: blocks saving and is not also reported as an unconnected input", () => {
    const doc = withoutEdge(brighten(), "noise-1", "sampler-1");
    addEdge(doc, {
      source: "prompt-1",
      sourcePort: "conditioning",
      target: "sampler-1",
      targetPort: "noise",
    });
    expect(validateGraph(doc)).toEqual([
      expect.objectContaining({
        code: "type-mismatch",
        blocks: "save",
        nodeId: "sampler-1",
        port: "noise",
        message:
          "Sampler “Sampler 1”: the input “Noise” expects Noise, but receives Conditioning from Prompt “Prompt 1”. Delete that connection.",
      }),
    ]);
  });

  it("dangling-edge: a missing node or a missing port", () => {
    const doc = brighten();
    addEdge(doc, { source: "ghost", sourcePort: "image", target: "reward-1", targetPort: "image" });
    addEdge(doc, { source: "sampler-1", sourcePort: "latent", target: "optimizer-1", targetPort: "rewards" });
    const issues = validateGraph(doc);
    expect(codes(issues)).toEqual(["dangling-edge", "dangling-edge"]);
    expect(issues.every((issue) => issue.blocks === "save")).toBe(true);
    expect(issues[0]?.message).toContain("“ghost”, which does not exist");
    expect(issues[1]).toMatchObject({ nodeId: "sampler-1", port: "latent" });
    expect(issues[1]?.message).toContain("Sampler “Sampler 1” has no output “latent”");
  });

  it("duplicate-connection: the same output wired twice into one input", () => {
    const doc = addEdge(brighten(), {
      source: "reward-1",
      sourcePort: "reward",
      target: "optimizer-1",
      targetPort: "rewards",
    });
    expect(validateGraph(doc)).toEqual([
      expect.objectContaining({ code: "duplicate-connection", nodeId: "optimizer-1", port: "rewards" }),
    ]);
  });

  it("too-many-connections: two sources into a single input", () => {
    const doc = brighten();
    doc.nodes.push(createGraphNode("noise", { id: "noise-2", position: { x: 0, y: 500 } }));
    addEdge(doc, { source: "noise-2", sourcePort: "noise", target: "sampler-1", targetPort: "noise" });
    expect(validateGraph(doc)).toEqual([
      expect.objectContaining({ code: "too-many-connections", nodeId: "sampler-1", port: "noise" }),
    ]);
  });

  it("cycle: every node on the loop is marked and the loop is spelled out", () => {
    const doc = brighten();
    // The optimizer's best image scored by the reward that feeds the optimizer: a loop.
    doc.edges = doc.edges.filter((edge) => edge.target !== "reward-1");
    addEdge(doc, { source: "optimizer-1", sourcePort: "image", target: "reward-1", targetPort: "image" });
    const issues = validateGraph(doc);
    const loopIssues = issues.filter((issue) => issue.code === "cycle");
    expect(loopIssues.map((issue) => issue.nodeId).sort()).toEqual(["optimizer-1", "reward-1"]);
    expect(loopIssues.every((issue) => issue.blocks === "run")).toBe(true);
    expect(loopIssues[0]?.message).toMatch(
      /part of a loop \((Brightness → Optimizer 1 → Brightness|Optimizer 1 → Brightness → Optimizer 1)\)/,
    );
  });

  it("optimizer-without-reward: no Reward upstream", () => {
    const doc = withoutEdge(brighten(), "reward-1", "optimizer-1");
    expect(validateGraph(doc)).toEqual([
      expect.objectContaining({
        code: "optimizer-without-reward",
        blocks: "run",
        nodeId: "optimizer-1",
        port: "rewards",
      }),
    ]);
  });

  it("non-differentiable-reward: a JPEG reward with the backprop estimator", () => {
    const doc = brighten();
    node(doc, "reward-1").params.kind = "jpeg-compressibility";
    const [issue] = validateGraph(doc);
    expect(issue).toMatchObject({
      code: "non-differentiable-reward",
      nodeId: "optimizer-1",
      param: "estimator",
    });
    expect(issue?.message).toContain("Hybrid");
    node(doc, "optimizer-1").params.estimator = "hybrid";
    expect(validateGraph(doc)).toEqual([]);
  });

  it("no-optimizer: a warning that blocks nothing", () => {
    const doc = brighten();
    doc.nodes = doc.nodes.filter((candidate) => candidate.id !== "optimizer-1");
    doc.edges = doc.edges.filter((edge) => edge.target !== "optimizer-1");
    const issues = validateGraph(doc);
    expect(issues).toEqual([expect.objectContaining({ code: "no-optimizer", severity: "warning" })]);
    expect(issuesBlockingRun(issues)).toEqual([]);
    expect(issuesBlockingSave(issues)).toEqual([]);
  });

  it("duplicate node and edge ids", () => {
    const doc = brighten();
    doc.nodes.push({ ...node(doc, "noise-1"), position: { x: 5, y: 5 } });
    doc.edges.push({ ...doc.edges[0]! });
    expect(codes(validateGraph(doc))).toEqual(["duplicate-edge-id", "duplicate-node-id"]);
  });

  it("an empty document has no issues", () => {
    expect(validateGraph({ schemaVersion: 2, nodes: [], edges: [] })).toEqual([]);
  });

  it("reports every bad node in one pass", () => {
    const doc = withoutEdge(brighten(), "noise-1", "sampler-1");
    node(doc, "sampler-1").params.guidanceScale = -1;
    node(doc, "optimizer-1").params.iterations = 0;
    node(doc, "guard-1").params.permutations = 5000;
    doc.nodes.push({ id: "mystery", type: "upscaler", version: 1, position: { x: 0, y: 0 }, params: {} });
    const issues = validateGraph(doc);
    expect(new Set(issues.map((issue) => issue.nodeId))).toEqual(
      new Set(["sampler-1", "optimizer-1", "guard-1", "mystery"]),
    );
    expect(codes(issues)).toEqual([
      "missing-input",
      "param-invalid",
      "param-invalid",
      "param-invalid",
      "unknown-node-type",
    ]);
    expect(issuesBlockingSave(issues)).toHaveLength(4);
  });

  it("reports both structural and incompleteness problems of separate nodes together", () => {
    const doc = withoutEdge(brighten(), "noise-1", "sampler-1");
    node(doc, "guard-1").params.gamma = -1;
    expect(codes(validateGraph(doc))).toEqual(["missing-input", "param-invalid"]);
    expect(issuesBlockingSave(validateGraph(doc)).map((issue) => issue.nodeId)).toEqual(["guard-1"]);
  });

  it("handles a 2000-node chain without deep recursion", () => {
    const nodes = Array.from({ length: 2000 }, (_, index) =>
      createGraphNode("guard", { id: `guard-${index}`, position: { x: index, y: 0 } }),
    );
    const doc: GraphDocument = { schemaVersion: 2, nodes, edges: [] };
    expect(validateGraph(doc)).toEqual([expect.objectContaining({ code: "no-optimizer" })]);
  });
});

describe("validateGraph warnings", () => {
  it("input-ignored: a keeper reward wired into a guard that does not use it", () => {
    const doc = brighten();
    addEdge(doc, { source: "reward-1", sourcePort: "reward", target: "guard-1", targetPort: "reward" });
    const issues = validateGraph(doc);
    expect(issues).toEqual([
      expect.objectContaining({
        code: "input-ignored",
        severity: "warning",
        nodeId: "guard-1",
        port: "reward",
      }),
    ]);
    expect(issues[0]?.message).toBe(
      "Guard “Probability regularization”: the input “Keeper reward” is connected but not used with this setting (only “Keeper reward floor” uses it).",
    );
    expect(issuesBlockingRun(issues)).toEqual([]);
  });
});
