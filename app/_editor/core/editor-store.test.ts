import { describe, expect, it } from "vitest";
import { emptyGraphDocument } from "@/nodes/graph/create";
import { exampleWorkflows } from "@/nodes/graph/examples";
import { imageSizeIssues } from "@/nodes/graph/image-size-issues";
import { promptVocabularyIssues } from "@/nodes/graph/prompt-vocabulary";
import { registryGraphKit } from "./default-kit";
import { EditorStore } from "./editor-store";
import type { GraphKit } from "./graph-kit";
import { DEFAULT_NODE_SIZE, overlaps, type Size } from "./placement";
import type { GraphDocument } from "./types";

const EMPTY: GraphDocument = emptyGraphDocument();

/** A store on the real registry kit, a hand-driven clock and predictable ids. */
function setup(document: GraphDocument = EMPTY, kit: GraphKit = registryGraphKit) {
  let time = 1_000;
  let counter = 0;
  const store = new EditorStore({
    kit,
    document,
    now: () => time,
    createId: (prefix) => `${prefix}-${++counter}`,
  });
  return {
    store,
    advance(ms: number) {
      time += ms;
    },
    doc: () => store.getSnapshot().document,
  };
}

/** Pairs of cards that overlap where one of them is not in `before` (the fixture's own cards may touch). */
function overlappingPairs(
  store: EditorStore,
  before: readonly string[],
  sizes: ReadonlyMap<string, Size> = new Map(),
): string[] {
  const nodes = store.getSnapshot().document.nodes;
  const rect = (node: (typeof nodes)[number]) => ({
    ...node.position,
    ...(sizes.get(node.id) ?? DEFAULT_NODE_SIZE),
  });
  const pairs: string[] = [];
  for (let i = 0; i < nodes.length; i++) {
    for (let j = i + 1; j < nodes.length; j++) {
      if (before.includes(nodes[i]!.id) && before.includes(nodes[j]!.id)) continue;
      if (overlaps(rect(nodes[i]!), rect(nodes[j]!))) pairs.push(`${nodes[i]!.id}/${nodes[j]!.id}`);
    }
  }
  return pairs;
}

/** Prompt + Noise wired into a Sampler: the start of every pipeline. */
function pipeline() {
  const ctx = setup();
  const { store } = ctx;
  const prompt = store.addNode("prompt", { x: 0, y: 0 });
  const noise = store.addNode("noise", { x: 0, y: 200 });
  const sampler = store.addNode("sampler", { x: 300, y: 100 });
  const a = store.connect({
    source: prompt,
    sourcePort: "conditioning",
    target: sampler,
    targetPort: "conditioning",
  });
  const b = store.connect({ source: noise, sourcePort: "noise", target: sampler, targetPort: "noise" });
  expect(a.ok && b.ok).toBe(true);
  return { ...ctx, prompt, noise, sampler };
}

describe("addNode", () => {
  it("adds a node of the registry type with default params at the position, selected, as one step", () => {
    const { store, doc } = setup();
    const id = store.addNode("sampler", { x: 12, y: 34 });
    const node = doc().nodes[0]!;
    expect(node).toMatchObject({ id, type: "sampler", position: { x: 12, y: 34 } });
    expect(node.params.steps).toBe(50);
    expect([...store.getSnapshot().selectedNodeIds]).toEqual([id]);
    expect(store.historyLabels()).toEqual(["Add sampler"]);
    store.undo();
    expect(doc().nodes).toHaveLength(0);
    store.redo();
    expect(doc().nodes[0]?.id).toBe(id);
  });

  it("refuses an unknown node type without touching the document", () => {
    const { store, doc } = setup();
    expect(() => store.addNode("teleporter", { x: 0, y: 0 })).toThrow(/teleporter/);
    expect(doc().nodes).toHaveLength(0);
    expect(store.getSnapshot().canUndo).toBe(false);
  });
});

describe("moveNodes", () => {
  it("records a whole drag (begin, many updates, end) as ONE undo step", () => {
    const { store, doc } = setup();
    const id = store.addNode("prompt", { x: 0, y: 0 });
    store.beginMove();
    for (let step = 1; step <= 10; step++) store.updateMove({ [id]: { x: step * 10, y: step * 5 } });
    store.endMove();
    expect(doc().nodes[0]?.position).toEqual({ x: 100, y: 50 });
    expect(store.historyLabels()).toEqual(["Add prompt", "Move"]);
    store.undo();
    expect(doc().nodes[0]?.position).toEqual({ x: 0, y: 0 });
    store.redo();
    expect(doc().nodes[0]?.position).toEqual({ x: 100, y: 50 });
  });

  it("moves several nodes at once and records nothing when nothing moved", () => {
    const { store, doc } = setup();
    const a = store.addNode("prompt", { x: 0, y: 0 });
    const b = store.addNode("noise", { x: 0, y: 100 });
    store.moveNodes(
      new Map([
        [a, { x: 5, y: 5 }],
        [b, { x: 5, y: 105 }],
      ]),
    );
    expect(doc().nodes.map((node) => node.position)).toEqual([
      { x: 5, y: 5 },
      { x: 5, y: 105 },
    ]);
    store.moveNodes({ [a]: { x: 5, y: 5 } });
    expect(store.historyLabels()).toEqual(["Add prompt", "Add noise", "Move"]);
  });

  it("does not re-run graph validation while only positions change", () => {
    let validations = 0;
    const countingKit: GraphKit = {
      ...registryGraphKit,
      validateGraph(document) {
        validations += 1;
        return registryGraphKit.validateGraph(document);
      },
    };
    const { store } = setup(EMPTY, countingKit);
    const id = store.addNode("sampler", { x: 0, y: 0 });
    const before = validations;
    const issues = store.getSnapshot().issues;
    store.beginMove();
    for (let step = 0; step < 20; step++) store.updateMove({ [id]: { x: step, y: step } });
    store.endMove();
    expect(validations).toBe(before);
    expect(store.getSnapshot().issues).toBe(issues);
  });
});

describe("connect", () => {
  it("adds an edge the registry allows", () => {
    const { doc, prompt, sampler } = pipeline();
    expect(doc().edges).toHaveLength(2);
    expect(doc().edges[0]).toMatchObject({ source: prompt, target: sampler, targetPort: "conditioning" });
  });

  it("refuses a type mismatch with the registry's reason and changes nothing", () => {
    const { store, doc } = setup();
    const prompt = store.addNode("prompt", { x: 0, y: 0 });
    const sampler = store.addNode("sampler", { x: 300, y: 0 });
    const before = doc();
    const labels = store.historyLabels();
    const result = store.connect({
      source: prompt,
      sourcePort: "conditioning",
      target: sampler,
      targetPort: "noise",
    });
    expect(result.ok).toBe(false);
    if (!result.ok) expect(result.reason.length).toBeGreaterThan(10);
    expect(doc()).toBe(before);
    expect(store.historyLabels()).toEqual(labels);
  });
});

describe("deleteSelection", () => {
  it("deletes the selected nodes with every attached edge, undoably", () => {
    const { store, doc, sampler } = pipeline();
    store.select({ nodes: [sampler] });
    expect(store.deleteSelection()).toEqual({ nodes: 1, edges: 2 });
    expect(doc().nodes.map((node) => node.type)).toEqual(["prompt", "noise"]);
    expect(doc().edges).toHaveLength(0);
    expect(store.getSnapshot().selectedNodeIds.size).toBe(0);
    store.undo();
    expect(doc().nodes).toHaveLength(3);
    expect(doc().edges).toHaveLength(2);
  });

  it("deletes a selected edge alone and does nothing with an empty selection", () => {
    const { store, doc } = pipeline();
    store.clearSelection();
    expect(store.deleteSelection()).toEqual({ nodes: 0, edges: 0 });
    const edge = doc().edges[0]!.id;
    store.select({ edges: [edge] });
    expect(store.deleteSelection()).toEqual({ nodes: 0, edges: 1 });
    expect(doc().nodes).toHaveLength(3);
  });
});

describe("selection", () => {
  it("replaces, adds, toggles, selects all and clears", () => {
    const { store, prompt, noise, sampler } = pipeline();
    store.select({ nodes: [prompt] });
    store.select({ nodes: [noise] }, "add");
    expect([...store.getSnapshot().selectedNodeIds].sort()).toEqual([noise, prompt].sort());
    store.select({ nodes: [prompt] }, "toggle");
    expect([...store.getSnapshot().selectedNodeIds]).toEqual([noise]);
    store.selectAll();
    expect(store.getSnapshot().selectedNodeIds.size).toBe(3);
    expect(store.getSnapshot().selectedEdgeIds.size).toBe(2);
    store.clearSelection();
    expect(store.getSnapshot().selectedNodeIds.size).toBe(0);
    store.select({ nodes: [sampler] });
    expect(store.historyLabels()).not.toContain("Select");
  });

  it("keeps the snapshot object when a selection command changes nothing", () => {
    const { store, prompt } = pipeline();
    store.select({ nodes: [prompt] });
    const snapshot = store.getSnapshot();
    store.select({ nodes: [prompt] });
    expect(store.getSnapshot()).toBe(snapshot);
  });
});

describe("click-to-add placement", () => {
  it("places the new card right of the selection, in free space", () => {
    const { store, doc, prompt, noise, sampler } = pipeline();
    store.select({ nodes: [prompt] });
    // Right of the prompt is the sampler (x 300), so the card goes below it.
    const added = store.addNodeInFreeSpace("reward", { x: 0, y: 0 });
    const position = doc().nodes.find((node) => node.id === added)!.position;
    expect(position.x).toBe(280 + 48);
    expect(position.y).toBeGreaterThan(100);
    expect(overlappingPairs(store, [prompt, noise, sampler])).toEqual([]);
    expect([...store.getSnapshot().selectedNodeIds]).toEqual([added]);
    expect([noise, sampler]).not.toContain(added);
  });

  it("keeps repeated clicks apart, using the measured sizes", () => {
    const { store, doc } = setup();
    const first = store.addNodeInFreeSpace("prompt", { x: 0, y: 0 });
    store.recordNodeSizes(new Map([[first, { width: 280, height: 500 }]]));
    store.select({ nodes: [] });
    const second = store.addNodeInFreeSpace("prompt", { x: 0, y: 0 });
    // Below the first card's measured 500 px, not its default 220.
    expect(doc().nodes.find((node) => node.id === second)!.position).toEqual({ x: 0, y: 524 });
    store.select({ nodes: [] });
    for (let i = 0; i < 6; i++) store.addNodeInFreeSpace("noise", { x: 10, y: 10 });
    expect(overlappingPairs(store, [], new Map([[first, { width: 280, height: 500 }]]))).toEqual([]);
  });
});

describe("click-to-add wiring and tidy up", () => {
  it("wires a card added next to the selected one when the ports fit, undone in one step", () => {
    const { store, doc } = setup();
    const sampler = store.addNodeInFreeSpace("sampler", { x: 0, y: 0 });
    const reward = store.addNodeInFreeSpace("reward", { x: 0, y: 0 });
    expect(doc().edges).toEqual([
      expect.objectContaining({ source: sampler, sourcePort: "image", target: reward, targetPort: "image" }),
    ]);
    // The other way round: a Prompt added next to the selected Sampler feeds it.
    store.select({ nodes: [sampler] });
    const prompt = store.addNodeInFreeSpace("prompt", { x: 0, y: 0 });
    expect(doc().edges.filter((edge) => edge.source === prompt)).toEqual([
      expect.objectContaining({ target: sampler, targetPort: "conditioning" }),
    ]);
    store.undo();
    expect(doc().nodes.map((node) => node.id)).not.toContain(prompt);
    expect(doc().edges).toHaveLength(1);
  });

  it("adds without wiring when nothing fits or nothing is selected", () => {
    const { store, doc } = setup();
    const prompt = store.addNodeInFreeSpace("prompt", { x: 0, y: 0 });
    store.addNodeInFreeSpace("noise", { x: 0, y: 0 });
    store.select({ nodes: [] });
    store.addNodeInFreeSpace("sampler", { x: 0, y: 0 });
    expect(doc().edges).toEqual([]);
    expect(prompt).toBeTruthy();
  });

  it("tidies a stacked graph into one with no overlapping cards, as one undo step that keeps the corner", async () => {
    const example = exampleWorkflows[0]!.document;
    const stacked: GraphDocument = {
      ...example,
      nodes: example.nodes.map((node) => ({ ...node, position: { x: 500, y: 300 } })),
    };
    const { store, doc } = setup(stacked);
    expect(overlappingPairs(store, []).length).toBeGreaterThan(0);
    expect(await store.tidyUp()).toBe("tidied");
    expect(overlappingPairs(store, [])).toEqual([]);
    expect(Math.min(...doc().nodes.map((node) => node.position.x))).toBe(500);
    expect(Math.min(...doc().nodes.map((node) => node.position.y))).toBe(300);
    expect(store.historyLabels().at(-1)).toBe("Tidy up");
    store.undo();
    expect(doc()).toEqual(stacked);
  });

  it("lays out a card never measured at the largest size measured for its type", async () => {
    const { store, doc } = setup();
    const tall = { width: 280, height: 700 };
    // Unlinked cards are packed in rows: three never-measured Optimizers above the measured one.
    const unmeasured = [0, 1, 2].map(() => store.addNode("optimizer", { x: 0, y: 0 }));
    const measured = store.addNode("optimizer", { x: 0, y: 0 });
    store.recordNodeSizes(new Map([[measured, tall]]));
    expect(await store.tidyUp()).toBe("tidied");
    const sizes = new Map([measured, ...unmeasured].map((id) => [id, tall]));
    // Laid out at the default 220 px, the 700 px cards of the first row would cover the second row.
    expect(overlappingPairs(store, [], sizes)).toEqual([]);
    expect(doc().nodes).toHaveLength(4);
  });

  it("drops a layout when the graph changed while it was computed", async () => {
    const { store, doc } = setup(exampleWorkflows[0]!.document);
    const pending = store.tidyUp();
    store.addNode("prompt", { x: 0, y: 0 });
    const afterEdit = doc();
    expect(await pending).toBe("graph-changed");
    expect(doc()).toBe(afterEdit);
    // Pressed again on a tidy graph: nothing to do, no undo step.
    const steps = store.historyLabels().length;
    expect(await store.tidyUp()).toBe("tidied");
    expect(await store.tidyUp()).toBe("already-tidy");
    expect(store.historyLabels()).toHaveLength(steps + 1);
  });
});

describe("copy and paste", () => {
  it("pastes copies with new ids, shifted, keeping only the edges between copied nodes", () => {
    const { store, doc, prompt, noise, sampler } = pipeline();
    store.select({ nodes: [prompt, sampler] });
    expect(store.copy()).toBe(2);
    const pasted = store.paste();
    expect(pasted).toHaveLength(2);
    expect(pasted).not.toContain(prompt);
    const copies = doc().nodes.filter((node) => pasted.includes(node.id));
    expect(copies.map((node) => node.type).sort()).toEqual(["prompt", "sampler"]);
    const copiedPrompt = copies.find((node) => node.type === "prompt")!;
    // 40 px right, then down below the lowest card it would cover (noise at y 200 + 220 default height + gap).
    expect(copiedPrompt.position).toEqual({ x: 40, y: 444 });
    expect(copiedPrompt.params).toEqual(doc().nodes[0]!.params);
    const newEdges = doc().edges.filter((edge) => pasted.includes(edge.target));
    // prompt→sampler is internal (kept); noise→sampler crossed the selection's border (dropped).
    expect(newEdges).toHaveLength(1);
    expect(newEdges[0]).toMatchObject({ source: copiedPrompt.id, sourcePort: "conditioning" });
    expect(doc().edges.filter((edge) => edge.source === noise)).toHaveLength(1);
    expect([...store.getSnapshot().selectedNodeIds].sort()).toEqual([...pasted].sort());
    const again = store.paste();
    expect(doc().nodes.find((node) => node.id === again[0])?.position).toEqual({ x: 80, y: 444 + 320 + 24 });
    store.undo();
    store.undo();
    expect(doc().nodes).toHaveLength(3);
  });

  it("never puts a pasted copy on any card, however often it pastes", () => {
    const { store, doc, prompt, noise, sampler } = pipeline();
    const small = { width: 280, height: 120 };
    store.recordNodeSizes(new Map([[prompt, small]]));
    store.select({ nodes: [prompt] });
    store.copy();
    const copies = Array.from({ length: 5 }, () => store.paste()).flat();
    expect(doc().nodes).toHaveLength(8);
    const sizes = new Map([prompt, ...copies].map((id) => [id, small]));
    expect(overlappingPairs(store, [prompt, noise, sampler], sizes)).toEqual([]);
    // Copies take the measured size of their original: five 120 px cards fit in less than five default ones.
    const lowest = Math.max(...doc().nodes.map((node) => node.position.y));
    expect(lowest).toBeLessThan(420 + 5 * (220 + 24));
  });

  it("pastes nothing from an empty clipboard", () => {
    const { store } = setup();
    expect(store.copy()).toBe(0);
    expect(store.paste()).toEqual([]);
  });
});

describe("updateParam", () => {
  it("groups a typing burst on one field into one undo step", () => {
    const { store, doc, advance } = setup();
    const id = store.addNode("prompt", { x: 0, y: 0 });
    for (const text of ["a", "a c", "a ca", "a cat"]) {
      advance(150);
      store.updateParam(id, "text", text);
    }
    expect(doc().nodes[0]?.params.text).toBe("a cat");
    expect(store.historyLabels()).toEqual(["Add prompt", "Edit text"]);
    store.undo();
    expect(doc().nodes[0]?.params.text).not.toBe("a");
    expect(doc().nodes).toHaveLength(1);
  });

  it("starts a new step after a pause, on another field, or after another command", () => {
    const { store, advance } = setup();
    const sampler = store.addNode("sampler", { x: 0, y: 0 });
    store.updateParam(sampler, "steps", 20);
    advance(900);
    store.updateParam(sampler, "steps", 30);
    store.updateParam(sampler, "eta", 0.5);
    store.updateParam(sampler, "steps", 40);
    store.moveNodes({ [sampler]: { x: 1, y: 1 } });
    store.updateParam(sampler, "steps", 41);
    store.renameNode(sampler, "Main sampler");
    store.updateParam(sampler, "steps", 42);
    expect(store.historyLabels()).toEqual([
      "Add sampler",
      "Edit steps",
      "Edit steps",
      "Edit eta",
      "Edit steps",
      "Move",
      "Edit steps",
      "Rename",
      "Edit steps",
    ]);
  });

  it("seals a burst on demand (a field losing focus)", () => {
    const { store } = setup();
    const id = store.addNode("prompt", { x: 0, y: 0 });
    store.updateParam(id, "text", "a");
    store.sealHistory();
    store.updateParam(id, "text", "ab");
    expect(store.historyLabels()).toEqual(["Add prompt", "Edit text", "Edit text"]);
  });

  it("records nothing when the value does not change and refuses an unknown node", () => {
    const { store } = setup();
    const id = store.addNode("sampler", { x: 0, y: 0 });
    store.updateParam(id, "steps", 50);
    expect(store.historyLabels()).toEqual(["Add sampler"]);
    expect(() => store.updateParam("ghost", "steps", 3)).toThrow(/ghost/);
  });
});

describe("renameNode", () => {
  it("sets and clears a label, undoably", () => {
    const { store, doc } = setup();
    const id = store.addNode("reward", { x: 0, y: 0 });
    store.renameNode(id, "  Brightness  ");
    expect(doc().nodes[0]?.label).toBe("Brightness");
    store.renameNode(id, "");
    expect(doc().nodes[0]).not.toHaveProperty("label");
    store.undo();
    expect(doc().nodes[0]?.label).toBe("Brightness");
  });
});

describe("undo and redo", () => {
  it("a new command after an undo drops the redo branch", () => {
    const { store, doc } = setup();
    store.addNode("prompt", { x: 0, y: 0 });
    store.addNode("noise", { x: 0, y: 0 });
    store.undo();
    expect(store.getSnapshot().canRedo).toBe(true);
    store.addNode("guard", { x: 0, y: 0 });
    expect(store.getSnapshot().canRedo).toBe(false);
    expect(store.redo()).toBe(false);
    expect(doc().nodes.map((node) => node.type)).toEqual(["prompt", "guard"]);
  });

  it("undo on an empty history does nothing", () => {
    const { store } = setup();
    expect(store.undo()).toBe(false);
    expect(store.getSnapshot().canUndo).toBe(false);
  });
});

describe("dirty tracking", () => {
  it("is clean on load, dirty after an edit, clean again after undoing back", () => {
    const { store } = setup();
    expect(store.getSnapshot().dirty).toBe(false);
    const id = store.addNode("prompt", { x: 0, y: 0 });
    expect(store.getSnapshot().dirty).toBe(true);
    store.undo();
    expect(store.getSnapshot().dirty).toBe(false);
    store.redo();
    store.markSaved("v2");
    expect(store.getSnapshot()).toMatchObject({ dirty: false, savedVersionId: "v2" });
    store.updateParam(id, "text", "x");
    expect(store.getSnapshot().dirty).toBe(true);
    store.undo();
    expect(store.getSnapshot().dirty).toBe(false);
  });

  it("compares content, not identity: editing a value and typing it back is clean", () => {
    const { store, advance } = setup();
    const id = store.addNode("sampler", { x: 0, y: 0 });
    store.markSaved("v1");
    store.updateParam(id, "steps", 10);
    advance(2_000);
    store.updateParam(id, "steps", 50);
    expect(store.getSnapshot().dirty).toBe(false);
  });

  it("keeps edits made while a save was in flight dirty", () => {
    const { store } = setup();
    const id = store.addNode("prompt", { x: 0, y: 0 });
    const sent = store.getDocumentForSave();
    store.renameNode(id, "Later edit");
    store.markSaved("v2", sent);
    expect(store.getSnapshot().dirty).toBe(true);
  });

  it("ignores viewport changes and starts clean after load", () => {
    const { store } = pipeline();
    store.setViewport({ x: 10, y: 20, zoom: 2 });
    const saved = store.getDocumentForSave();
    expect(saved.viewport).toEqual({ x: 10, y: 20, zoom: 2 });
    store.load(saved, "v9");
    expect(store.getSnapshot()).toMatchObject({ dirty: false, canUndo: false, savedVersionId: "v9" });
  });
});

describe("validation issues", () => {
  it("derives issues per node from the registry and updates them as the graph is wired", () => {
    const { store } = setup();
    const sampler = store.addNode("sampler", { x: 0, y: 0 });
    const alone = store.getSnapshot().issuesByNode.get(sampler) ?? [];
    expect(alone.some((issue) => issue.port === "conditioning")).toBe(true);
    const prompt = store.addNode("prompt", { x: 0, y: 0 });
    store.connect({
      source: prompt,
      sourcePort: "conditioning",
      target: sampler,
      targetPort: "conditioning",
    });
    const wired = store.getSnapshot().issuesByNode.get(sampler) ?? [];
    expect(wired.some((issue) => issue.port === "conditioning")).toBe(false);
    expect(wired.some((issue) => issue.port === "noise")).toBe(true);
  });

  it("reports a parameter out of range on its node and param", () => {
    const { store } = setup();
    const sampler = store.addNode("sampler", { x: 0, y: 0 });
    store.updateParam(sampler, "steps", 5000);
    const issues = store.getSnapshot().issuesByNode.get(sampler) ?? [];
    expect(issues.some((issue) => issue.param === "steps")).toBe(true);
  });
});

describe("subscribe", () => {
  it("notifies listeners on change and stops after unsubscribe", () => {
    const { store } = setup();
    let calls = 0;
    const unsubscribe = store.subscribe(() => {
      calls += 1;
    });
    store.addNode("prompt", { x: 0, y: 0 });
    expect(calls).toBe(1);
    unsubscribe();
    store.addNode("noise", { x: 0, y: 0 });
    expect(calls).toBe(1);
  });
});

describe("setExtraValidation", () => {
  it("adds the prompt-vocabulary warnings to the issues and follows prompt edits", () => {
    const example = exampleWorkflows.find((workflow) => workflow.slug === "brighten-with-a-guard");
    if (!example) throw new Error("example missing");
    const { store } = setup(structuredClone(example.document));
    const prompt = store.getSnapshot().document.nodes.find((node) => node.type === "prompt");
    if (!prompt) throw new Error("no prompt");
    const sampler = store.getSnapshot().document.nodes.find((node) => node.type === "sampler");
    const models = [{ id: String(sampler?.params.model), name: "tiny", vocabulary: ["red", "circle"] }];
    store.updateParam(prompt.id, "text", "a cute cat");
    expect(store.getSnapshot().issues).toEqual([]);

    store.setExtraValidation((doc) => promptVocabularyIssues(doc, models));
    const warnings = store.getSnapshot().issuesByNode.get(prompt.id) ?? [];
    expect(warnings.map((issue) => issue.code)).toEqual(["prompt-unknown-words"]);
    expect(warnings[0]?.message).toContain("“cute”, “cat”");

    store.updateParam(prompt.id, "text", "a red circle");
    expect(store.getSnapshot().issues).toEqual([]);
    store.setExtraValidation(null);
    store.updateParam(prompt.id, "text", "a cute cat");
    expect(store.getSnapshot().issues).toEqual([]);
  });

  it("marks a Sampler's Image size its model cannot draw as an error on that field, until it is valid again", () => {
    const example = exampleWorkflows.find((workflow) => workflow.slug === "brighten-with-a-guard");
    if (!example) throw new Error("example missing");
    const { store } = setup(structuredClone(example.document));
    const sampler = store.getSnapshot().document.nodes.find((node) => node.type === "sampler");
    if (!sampler) throw new Error("no sampler");
    const fixed = {
      adjustable: false,
      defaultWidth: 64,
      defaultHeight: 64,
      vaeScale: 8,
      granularity: 16,
      min: 64,
      max: 64,
    };
    const sd15 = { ...fixed, adjustable: true, granularity: 64, max: 1024 };
    store.setExtraValidation((doc) =>
      imageSizeIssues(doc, [
        { id: "tiny-shapes-sd", imageSize: fixed },
        { id: "user:sd15", imageSize: sd15 },
      ]),
    );
    store.updateParam(sampler.id, "model", "tiny-shapes-sd");
    store.updateParam(sampler.id, "imageSize", 256);
    const errors = store.getSnapshot().issuesByNode.get(sampler.id) ?? [];
    expect(errors.map((issue) => [issue.code, issue.param, issue.severity])).toEqual([
      ["image-size-unsupported", "imageSize", "error"],
    ]);
    expect(errors[0]?.message).toContain("this model draws only 64×64 px");
    // Another model that allows 256 px, or the model default, clears it.
    store.updateParam(sampler.id, "model", "user:sd15");
    expect(store.getSnapshot().issuesByNode.get(sampler.id) ?? []).toEqual([]);
    store.updateParam(sampler.id, "model", "tiny-shapes-sd");
    store.updateParam(sampler.id, "imageSize", 0);
    expect(store.getSnapshot().issuesByNode.get(sampler.id) ?? []).toEqual([]);
  });
});
