import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes";
import { CommentBadgeStore, nodeCommentCount, paramCommentCount } from "./comment-badges";
import { editorTargetChoices } from "./editor-comment-targets";

const document = exampleWorkflows.find((example) => example.slug === "brighten-with-a-guard")!.document;

describe("editorTargetChoices", () => {
  it("offers the workflow, the focused node and its parameters in the card's words", () => {
    const { choices, selected } = editorTargetChoices(document, {
      kind: "param",
      nodeId: "guard-1",
      paramKey: "gamma",
    });
    expect(choices[0]?.label).toBe("the whole workflow");
    expect(choices[1]).toEqual({
      label: "Probability regularization",
      target: { kind: "node", nodeId: "guard-1" },
    });
    expect(choices[selected]).toEqual({
      label: "Probability regularization › Strength (γ)",
      target: { kind: "param", nodeId: "guard-1", paramKey: "gamma" },
    });
    expect(editorTargetChoices(document, { kind: "node", nodeId: "guard-1" }).selected).toBe(1);
  });

  it("falls back to the whole workflow without a focus or for a node that is gone", () => {
    expect(editorTargetChoices(document, null)).toEqual({
      choices: [{ label: "the whole workflow", target: { kind: "workflow" } }],
      selected: 0,
    });
    expect(editorTargetChoices(document, { kind: "node", nodeId: "gone" }).choices).toHaveLength(1);
  });
});

describe("CommentBadgeStore", () => {
  it("holds counts per node and parameter and notifies subscribers of open requests", () => {
    const store = new CommentBadgeStore();
    let calls = 0;
    const unsubscribe = store.subscribe(() => {
      calls += 1;
    });
    store.setCounts({ byNode: { "guard-1": 2 }, byParam: { "guard-1:gamma": 1 } });
    expect(nodeCommentCount(store.getSnapshot(), "guard-1")).toBe(2);
    expect(paramCommentCount(store.getSnapshot(), "guard-1", "gamma")).toBe(1);
    expect(paramCommentCount(store.getSnapshot(), "guard-1", "lambda")).toBe(0);
    store.requestOpen({ kind: "node", nodeId: "guard-1" });
    const first = store.getSnapshot().request;
    store.requestOpen({ kind: "node", nodeId: "guard-1" });
    // A repeated request is a new object, so the panel reacts to the second click too.
    expect(store.getSnapshot().request).not.toBe(first);
    expect(calls).toBe(3);
    unsubscribe();
  });
});
