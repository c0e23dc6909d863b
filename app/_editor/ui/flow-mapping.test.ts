import { describe, expect, it } from "vitest";
import { createGraphNode, emptyGraphDocument } from "@/nodes/graph/create";
import type { GraphDocument } from "@/nodes/graph/document";
import { PORT_COLORS } from "@/nodes/types";
import { estimateFitViewport, FlowMapper, type Measured } from "./flow-mapping";

function documentWith(count: number): GraphDocument {
  const nodes = Array.from({ length: count }, (_, index) =>
    createGraphNode(index % 2 === 0 ? "prompt" : "sampler", {
      id: `n-${index}`,
      position: { x: index * 10, y: 0 },
    }),
  );
  return {
    ...emptyGraphDocument(),
    nodes,
    edges: [
      { id: "e-1", source: "n-0", sourcePort: "conditioning", target: "n-1", targetPort: "conditioning" },
    ],
  };
}

const NONE: ReadonlySet<string> = new Set();
const NO_ISSUES = new Map();
const NO_SIZES: ReadonlyMap<string, Measured> = new Map();

describe("FlowMapper", () => {
  it("names each card's frame for screen readers: its label, else its type and number", () => {
    const doc = documentWith(2);
    const labelled = { ...doc, nodes: [{ ...doc.nodes[0]!, label: "Cat prompt" }, doc.nodes[1]!] };
    const nodes = new FlowMapper().nodes(labelled, NONE, NO_ISSUES, NO_SIZES, true);
    expect(nodes.map((node) => node.ariaLabel)).toEqual(["Cat prompt", "Sampler 1"]);
  });

  it("reuses the React Flow object of every node that did not change", () => {
    const mapper = new FlowMapper();
    const doc = documentWith(50);
    const first = mapper.nodes(doc, NONE, NO_ISSUES, NO_SIZES, true);
    const moved = {
      ...doc,
      nodes: doc.nodes.map((node, i) => (i === 7 ? { ...node, position: { x: 1, y: 2 } } : node)),
    };
    const second = mapper.nodes(moved, NONE, NO_ISSUES, NO_SIZES, true);
    const changed = second.filter((node, index) => node !== first[index]).map((node) => node.id);
    expect(changed).toEqual(["n-7"]);
    expect(second[7]?.position).toEqual({ x: 1, y: 2 });
    // Only the position moved: the card's data object is the same, so the memoized card skips rendering.
    expect(second[7]?.data).toBe(first[7]?.data);
  });

  it("gives a node new data when its params change, and marks selection and measured size", () => {
    const mapper = new FlowMapper();
    const doc = documentWith(3);
    const first = mapper.nodes(doc, NONE, NO_ISSUES, NO_SIZES, true);
    const edited = {
      ...doc,
      nodes: doc.nodes.map((node, i) => (i === 1 ? { ...node, params: { ...node.params, steps: 3 } } : node)),
    };
    const size = { width: 280, height: 300 };
    const second = mapper.nodes(edited, new Set(["n-2"]), NO_ISSUES, new Map([["n-0", size]]), true);
    expect(second[1]?.data).not.toBe(first[1]?.data);
    expect(second[1]?.data.node.params.steps).toBe(3);
    expect(second[2]?.selected).toBe(true);
    expect(second[0]?.measured).toBe(size);
  });

  it("maps edges to handles coloured by the source port's type", () => {
    const mapper = new FlowMapper();
    const doc = documentWith(2);
    const [edge] = mapper.edges(doc, NONE);
    expect(edge).toMatchObject({ source: "n-0", sourceHandle: "conditioning", targetHandle: "conditioning" });
    expect(edge?.style?.stroke).toBe(PORT_COLORS.conditioning);
    expect(mapper.edges(doc, NONE)[0]).toBe(edge);
  });
});

describe("estimateFitViewport", () => {
  const options = { padding: 0.1, minZoom: 0.08, maxZoom: 1 };

  it("centres a small graph at no more than the maximum zoom", () => {
    const doc = documentWith(1);
    const viewport = estimateFitViewport(doc, { width: 1000, height: 800 }, options);
    expect(viewport.zoom).toBe(1);
    // The single card (280 × 320 at the origin) sits in the middle of the pane.
    expect(viewport.x).toBeCloseTo((1000 - 280) / 2);
    expect(viewport.y).toBeCloseTo((800 - 320) / 2);
  });

  it("zooms a tall graph out to fit its height, down to the minimum zoom", () => {
    const tall = {
      ...emptyGraphDocument(),
      nodes: [0, 5000].map((y, i) => createGraphNode("noise", { id: `n-${i}`, position: { x: 0, y } })),
    };
    const viewport = estimateFitViewport(tall, { width: 1000, height: 800 }, options);
    expect(viewport.zoom).toBeCloseTo(800 / (5320 * 1.2));
    const huge = { ...tall, nodes: [tall.nodes[0]!, { ...tall.nodes[1]!, position: { x: 0, y: 90_000 } }] };
    expect(estimateFitViewport(huge, { width: 1000, height: 800 }, options).zoom).toBe(0.08);
  });
});
