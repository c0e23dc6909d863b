import { z } from "zod";
import { describe, expect, it } from "vitest";
import {
  formatInputIssues,
  issueNodeName,
  joinIssueMessages,
  nodeIssueSentence,
  runFailureSentence,
} from "./format-issues";

describe("format-issues", () => {
  it("names a node by its label, or by its type and id", () => {
    expect(issueNodeName({ id: "s1", type: "sampler", label: "Sampler 1" }, { title: "Sampler" })).toBe(
      "Sampler 1",
    );
    expect(issueNodeName({ id: "s1", type: "sampler", label: "  " }, { title: "Sampler" })).toBe(
      "Sampler s1",
    );
    expect(
      nodeIssueSentence(
        { id: "s1", type: "sampler" },
        undefined,
        "Steps must be between 1 and 1000; got 5000",
      ),
    ).toBe("sampler s1 › Steps must be between 1 and 1000; got 5000.");
  });

  it("joins the first few messages and counts the rest", () => {
    expect(joinIssueMessages(["a", "b.", "c", "d", "e"])).toBe("a. b. c. (and 2 more)");
  });

  it("reports a union by the alternative the caller meant, not as a tree", () => {
    const schema = z.union([
      z.object({ workflowId: z.string(), versionId: z.string() }),
      z.object({ workflowId: z.string(), document: z.object({ nodes: z.array(z.unknown()) }) }),
    ]);
    const byId = schema.safeParse({ workflowId: "w", versionId: 5 });
    expect(formatInputIssues(byId.error?.issues ?? []).map((issue) => issue.message)).toEqual([
      "“versionId” must be text (got a number).",
    ]);
    const byDocument = schema.safeParse({ workflowId: "w", document: { nodes: "x" } });
    expect(formatInputIssues(byDocument.error?.issues ?? []).map((issue) => issue.message)).toEqual([
      "“document.nodes” must be a list (got text).",
    ]);
    const missing = z.object({ runId: z.string().min(1, "An id is required") }).safeParse({ runId: "" });
    expect(formatInputIssues(missing.error?.issues ?? [])).toEqual([
      { message: "“runId”: An id is required.", path: ["runId"] },
    ]);
  });

  it("names the failing node of a run once", () => {
    const document = {
      nodes: [
        { id: "r1", type: "reward", version: 1, position: { x: 0, y: 0 }, params: {}, label: "Classifier" },
      ],
    };
    expect(runFailureSentence(document, "r1", "the scorer expects 64×64 images; got 32×32")).toBe(
      "Classifier › the scorer expects 64×64 images; got 32×32.",
    );
    expect(runFailureSentence(document, "r1", "Reward “Classifier” failed.")).toBe(
      "Reward “Classifier” failed.",
    );
    expect(runFailureSentence(document, null, "Out of memory.")).toBe("Out of memory.");
  });
});
