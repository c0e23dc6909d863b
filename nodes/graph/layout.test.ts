import { describe, expect, it } from "vitest";
import type { GraphDocument } from "./document";
import { exampleWorkflows } from "./examples";
import { hasOverlappingCards, LAYOUT_DEFAULT_SIZE, layoutDocument, tidyDocument } from "./layout";

function chain(): GraphDocument {
  // Every card stacked on one spot, listed in reverse flow order: the layout must untangle both.
  const at = { x: 100, y: 100 };
  return {
    schemaVersion: 1,
    nodes: [
      { id: "opt", type: "optimizer", version: 1, position: at, params: {} },
      { id: "reward", type: "reward", version: 1, position: at, params: {} },
      { id: "sampler", type: "sampler", version: 1, position: at, params: {} },
      { id: "noise", type: "noise", version: 1, position: at, params: {} },
      { id: "prompt", type: "prompt", version: 1, position: at, params: {} },
    ],
    edges: [],
  } as unknown as GraphDocument;
}

describe("automatic layout (elkjs)", () => {
  it("places linked cards left to right along the flow, with no two cards overlapping", async () => {
    const example = exampleWorkflows[0]!.document;
    const stacked: GraphDocument = {
      ...example,
      nodes: example.nodes.map((node) => ({ ...node, position: { x: 0, y: 0 } })),
    };
    expect(hasOverlappingCards(stacked)).toBe(true);
    const tidy = await tidyDocument(stacked);
    expect(hasOverlappingCards(tidy)).toBe(false);
    const x = new Map(tidy.nodes.map((node) => [node.id, node.position.x]));
    for (const edge of tidy.edges) {
      // An input sits right of the output feeding it, at least a card's width plus the gap away.
      expect(x.get(edge.target) ?? 0, `${edge.source} → ${edge.target}`).toBeGreaterThanOrEqual(
        (x.get(edge.source) ?? 0) + LAYOUT_DEFAULT_SIZE.width,
      );
    }
  });

  it("uses measured sizes, keeps the graph's top-left corner, and is deterministic", async () => {
    const doc = chain();
    const sizes = new Map(doc.nodes.map((node) => [node.id, { width: 300, height: 500 }]));
    const first = await layoutDocument(doc, { sizes });
    const second = await layoutDocument(doc, { sizes });
    expect([...first]).toEqual([...second]);
    const tidy = await tidyDocument(doc, { sizes });
    expect(hasOverlappingCards(tidy, sizes)).toBe(false);
    expect(Math.min(...tidy.nodes.map((node) => node.position.x))).toBe(100);
    expect(Math.min(...tidy.nodes.map((node) => node.position.y))).toBe(100);
  });

  it("leaves the input document unchanged and ignores links to unknown ports", async () => {
    const doc = chain();
    doc.edges.push({ id: "e", source: "prompt", sourcePort: "nope", target: "sampler", targetPort: "x" });
    const before = JSON.stringify(doc);
    await tidyDocument(doc);
    expect(JSON.stringify(doc)).toBe(before);
  });

  it("ships examples whose cards do not overlap and that open fitted to the window (no stored viewport)", () => {
    // The tallest each card type was measured at full detail in Chromium at 1440×900 (2026-11-30, the
    // examples' own parameters): the default size alone let guard cards of the examples overlap on screen.
    const measuredHeight: Record<string, number> = {
      prompt: 201,
      noise: 223,
      sampler: 389,
      reward: 279,
      guard: 338,
      optimizer: 419,
    };
    for (const example of exampleWorkflows) {
      const sizes = new Map(
        example.document.nodes.map((node) => [
          node.id,
          { width: 280, height: measuredHeight[node.type] ?? LAYOUT_DEFAULT_SIZE.height },
        ]),
      );
      expect(hasOverlappingCards(example.document), example.slug).toBe(false);
      expect(hasOverlappingCards(example.document, sizes), example.slug).toBe(false);
      expect(example.document.viewport, example.slug).toBeUndefined();
    }
  });
});
