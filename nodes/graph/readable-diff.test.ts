import { describe, expect, it } from "vitest";
import type { GraphDocument, GraphNode } from "./document";
import { exampleWorkflows } from "./examples";
import { mergeGraphs } from "./merge-graphs";
import { diffGraphs } from "./readable-diff";

/** The Brighten example cut down to one guard, so the expectations do not follow the example's changes. */
const KEPT = new Set(["prompt-1", "noise-1", "sampler-1", "reward-1", "guard-1", "optimizer-1"]);
function example(): GraphDocument {
  const found = exampleWorkflows.find((workflow) => workflow.slug === "brighten-with-a-guard");
  if (!found) throw new Error("example missing");
  const document = structuredClone(found.document);
  document.nodes = document.nodes.filter((item) => KEPT.has(item.id));
  document.edges = document.edges.filter((edge) => KEPT.has(edge.source) && KEPT.has(edge.target));
  const guard = document.nodes.find((item) => item.id === "guard-1");
  if (guard) guard.params.gamma = 1;
  return document;
}

function node(document: GraphDocument, id: string): GraphNode {
  const found = document.nodes.find((candidate) => candidate.id === id);
  if (!found) throw new Error(`no node ${id}`);
  return found;
}

describe("diffGraphs", () => {
  it("finds nothing between equal documents, and ignores the viewport", () => {
    const after = example();
    after.viewport = { x: 10, y: 20, zoom: 2 };
    expect(diffGraphs(example(), after)).toEqual({ changes: [], movedNodeIds: [], summary: "No changes" });
  });

  it("words a param change with the node's name and the param's label", () => {
    const after = example();
    node(after, "guard-1").params.gamma = 5;
    const diff = diffGraphs(example(), after);
    expect(diff.changes.map((change) => change.text)).toEqual([
      "Probability regularization › Strength (γ): 1 → 5",
    ]);
    expect(diff.changes[0]).toMatchObject({
      kind: "param-changed",
      nodeId: "guard-1",
      param: "gamma",
      before: "1",
      after: "5",
    });
    expect(diff.summary).toBe("1 change");
  });

  it("uses option labels for a kind change and lists only the params shown for either kind", () => {
    const after = example();
    const guard = node(after, "guard-1");
    guard.params.kind = "norm-prior";
    guard.params.lambda = 0.05;
    // Hidden for both kinds: not listed.
    guard.params.patience = 99;
    const texts = diffGraphs(example(), after).changes.map((change) => change.text);
    expect(texts).toEqual([
      "Probability regularization › Guard: Probability regularization (reward-hacking meter) → Norm prior",
      "Probability regularization › Strength (λ): 0.01 → 0.05",
    ]);
  });

  it("shows units, on/off and quoted text", () => {
    const before = example();
    const guard = node(before, "guard-1");
    guard.params.kind = "early-stop";
    const after = structuredClone(before);
    node(after, "guard-1").params.patience = 20;
    node(after, "sampler-1").params.finalStepNoise = true;
    node(after, "prompt-1").params.text = "a blue square";
    expect(diffGraphs(before, after).changes.map((change) => change.text)).toEqual([
      "Prompt 1 › Prompt: “a yellow circle on a blue background” → “a blue square”",
      expect.stringMatching(/^Sampler 1 › .+: off → on$/),
      "Probability regularization › Patience: 10 iterations → 20 iterations",
    ]);
  });

  it("lists added and removed nodes and links by name, not by link id", () => {
    const before = example();
    const after = example();
    after.nodes.push({
      id: "guard-2",
      type: "guard",
      version: 1,
      position: { x: 0, y: 600 },
      params: { ...node(after, "guard-1").params, kind: "prompt-keeper" },
      label: "Keep colours",
    });
    after.edges = after.edges.filter((edge) => edge.id !== "edge-2");
    after.edges.push({
      id: "edge-9",
      source: "guard-2",
      sourcePort: "guard",
      target: "optimizer-1",
      targetPort: "guards",
    });
    // The same link under another id is no change.
    const prompt = after.edges.find((edge) => edge.id === "edge-1");
    if (prompt) prompt.id = "edge-renamed";
    const diff = diffGraphs(before, after);
    expect(diff.changes.map((change) => change.text)).toEqual([
      "Added Guard “Keep colours”",
      "Removed link Noise 1 → Sampler 1 › Noise",
      "Added link Keep colours → Optimizer 1 › Guards",
    ]);
    expect(diffGraphs(after, before).changes.map((change) => change.text)).toContain(
      "Removed Guard “Keep colours”",
    );
  });

  it("summarises nodes that only moved and words renames", () => {
    const after = example();
    node(after, "noise-1").position = { x: 500, y: 500 };
    node(after, "sampler-1").position = { x: 500, y: 900 };
    expect(diffGraphs(example(), after)).toMatchObject({
      changes: [{ kind: "moved", text: "Moved 2 nodes on the canvas" }],
      movedNodeIds: ["noise-1", "sampler-1"],
      summary: "Only moved on the canvas",
    });
    node(after, "reward-1").label = "Brighter";
    expect(diffGraphs(example(), after).changes[0]?.text).toBe("Renamed Reward “Brightness” to “Brighter”");
  });
});

describe("mergeGraphs", () => {
  it("replays a proposal's change on a head that changed something else", () => {
    const base = example();
    const proposal = example();
    node(proposal, "guard-1").params.gamma = 5;
    const head = example();
    node(head, "optimizer-1").params.iterations = 60;
    node(head, "noise-1").position = { x: 1, y: 2 };
    const merged = mergeGraphs(base, proposal, head);
    if (!merged.ok) throw new Error(merged.conflicts.join(" "));
    expect(node(merged.document, "guard-1").params.gamma).toBe(5);
    expect(node(merged.document, "optimizer-1").params.iterations).toBe(60);
    expect(node(merged.document, "noise-1").position).toEqual({ x: 1, y: 2 });
  });

  it("adds the proposal's nodes and links and removes what it removed", () => {
    const base = example();
    const proposal = example();
    proposal.nodes.push({ ...structuredClone(node(proposal, "guard-1")), id: "guard-2", label: "Second" });
    proposal.edges.push({
      id: "edge-5",
      source: "guard-2",
      sourcePort: "guard",
      target: "optimizer-1",
      targetPort: "guards",
    });
    const head = example();
    head.edges = head.edges.filter((edge) => edge.id !== "edge-5");
    const merged = mergeGraphs(base, proposal, head);
    if (!merged.ok) throw new Error(merged.conflicts.join(" "));
    expect(merged.document.nodes.map((item) => item.id)).toContain("guard-2");
    const links = merged.document.edges.filter((edge) => edge.target === "optimizer-1");
    expect(links.map((edge) => edge.source).sort()).toEqual(["guard-2", "reward-1"]);
    expect(new Set(merged.document.edges.map((edge) => edge.id)).size).toBe(merged.document.edges.length);
  });

  it("reports the same param changed differently on both sides, with labels", () => {
    const base = example();
    const proposal = example();
    node(proposal, "guard-1").params.gamma = 5;
    const head = example();
    node(head, "guard-1").params.gamma = 2;
    expect(mergeGraphs(base, proposal, head)).toEqual({
      ok: false,
      conflicts: [
        "Probability regularization › Strength (γ): the proposal changes 1 to 5, but the current version has 2.",
      ],
    });
    // Both sides made the same change: no conflict.
    node(head, "guard-1").params.gamma = 5;
    expect(mergeGraphs(base, proposal, head).ok).toBe(true);
  });

  it("refuses to change a node the head removed", () => {
    const base = example();
    const proposal = example();
    node(proposal, "guard-1").params.gamma = 5;
    const head = example();
    head.nodes = head.nodes.filter((item) => item.id !== "guard-1");
    const merged = mergeGraphs(base, proposal, head);
    expect(merged.ok).toBe(false);
    if (!merged.ok) expect(merged.conflicts[0]).toMatch(/Probability regularization was changed/);
  });
});
