import { describe, expect, it } from "vitest";
import { checkConnection, isReachable } from "./connect";
import { createGraphNode, emptyGraphDocument } from "./create";
import type { GraphDocument } from "./document";
import { exampleWorkflows } from "./examples";

function looseNodes(): GraphDocument {
  const doc = emptyGraphDocument();
  for (const [type, id] of [
    ["prompt", "prompt-1"],
    ["noise", "noise-1"],
    ["sampler", "sampler-1"],
    ["reward", "reward-1"],
    ["guard", "guard-1"],
    ["optimizer", "optimizer-1"],
  ] as const) {
    doc.nodes.push(createGraphNode(type, { id, position: { x: 0, y: 0 } }));
  }
  return doc;
}

describe("checkConnection", () => {
  it("allows a matching output into a free input", () => {
    const doc = looseNodes();
    expect(
      checkConnection(doc, {
        source: "noise-1",
        sourcePort: "noise",
        target: "sampler-1",
        targetPort: "noise",
      }),
    ).toEqual({ ok: true });
  });

  it("refuses a type mismatch with a reason naming both types", () => {
    const result = checkConnection(looseNodes(), {
      source: "noise-1",
      sourcePort: "noise",
      target: "sampler-1",
      targetPort: "conditioning",
    });
    expect(result).toEqual({
      ok: false,
      code: "type-mismatch",
      reason: "A Noise output cannot go into the Prompt input of Sampler — it expects Conditioning.",
    });
  });

  it("refuses connecting a node to itself", () => {
    const result = checkConnection(looseNodes(), {
      source: "optimizer-1",
      sourcePort: "image",
      target: "optimizer-1",
      targetPort: "rewards",
    });
    expect(result).toMatchObject({ ok: false, code: "self-loop" });
  });

  it("refuses unknown ports and unknown nodes", () => {
    const doc = looseNodes();
    expect(
      checkConnection(doc, {
        source: "sampler-1",
        sourcePort: "latent",
        target: "reward-1",
        targetPort: "image",
      }),
    ).toEqual({ ok: false, code: "unknown-port", reason: "Sampler “Sampler 1” has no output “latent”." });
    expect(
      checkConnection(doc, {
        source: "sampler-1",
        sourcePort: "image",
        target: "reward-1",
        targetPort: "picture",
      }),
    ).toMatchObject({ ok: false, code: "unknown-port" });
    // An input used as a source is an unknown output.
    expect(
      checkConnection(doc, {
        source: "sampler-1",
        sourcePort: "noise",
        target: "reward-1",
        targetPort: "image",
      }),
    ).toMatchObject({ ok: false, code: "unknown-port" });
    expect(
      checkConnection(doc, { source: "ghost", sourcePort: "image", target: "reward-1", targetPort: "image" }),
    ).toMatchObject({ ok: false, code: "unknown-node" });
  });

  it("refuses a second connection into a single input, but not into a multiple one", () => {
    const doc = structuredClone(exampleWorkflows[0]!.document);
    doc.nodes.push(createGraphNode("noise", { id: "noise-2", position: { x: 0, y: 0 } }));
    const occupied = checkConnection(doc, {
      source: "noise-2",
      sourcePort: "noise",
      target: "sampler-1",
      targetPort: "noise",
    });
    expect(occupied).toMatchObject({ ok: false, code: "port-occupied" });
    if (!occupied.ok) expect(occupied.reason).toContain("already connected");

    doc.nodes.push(createGraphNode("reward", { id: "reward-2", position: { x: 0, y: 0 } }));
    expect(
      checkConnection(doc, {
        source: "reward-2",
        sourcePort: "reward",
        target: "optimizer-1",
        targetPort: "rewards",
      }),
    ).toEqual({ ok: true });
  });

  it("refuses the same connection twice, even into a multiple input", () => {
    const doc = structuredClone(exampleWorkflows[0]!.document);
    expect(
      checkConnection(doc, {
        source: "reward-1",
        sourcePort: "reward",
        target: "optimizer-1",
        targetPort: "rewards",
      }),
    ).toMatchObject({ ok: false, code: "already-connected" });
  });

  it("refuses a connection that would close a loop", () => {
    const doc = structuredClone(exampleWorkflows[0]!.document);
    doc.edges = doc.edges.filter((edge) => edge.target !== "reward-1");
    const result = checkConnection(doc, {
      source: "optimizer-1",
      sourcePort: "image",
      target: "reward-1",
      targetPort: "image",
    });
    expect(result).toMatchObject({ ok: false, code: "cycle" });
    if (!result.ok) expect(result.reason).toContain("would create a loop");
  });
});

describe("isReachable", () => {
  it("follows edges forward only", () => {
    const doc = exampleWorkflows[0]!.document;
    expect(isReachable(doc, "noise-1", "optimizer-1")).toBe(true);
    expect(isReachable(doc, "optimizer-1", "noise-1")).toBe(false);
  });
});
