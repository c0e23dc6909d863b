import { describe, expect, it } from "vitest";
import { exampleWorkflows } from "@/nodes/graph/examples";
import { parseWorkflowText } from "./load-workflow";

const document = exampleWorkflows[0]!.document;

describe("parseWorkflowText", () => {
  it("reads the export envelope and a bare graph document", () => {
    const envelope = {
      format: "dno-studio.workflow",
      formatVersion: 1,
      name: "Brighten",
      description: "",
      exportedAt: "2026-11-28T00:00:00Z",
      document,
    };
    const fromEnvelope = parseWorkflowText(JSON.stringify(envelope));
    expect(fromEnvelope.name).toBe("Brighten");
    expect(fromEnvelope.document.nodes).toHaveLength(document.nodes.length);
    expect(parseWorkflowText(JSON.stringify(document)).document.edges).toHaveLength(document.edges.length);
  });

  it("says what is wrong with a bad file", () => {
    expect(() => parseWorkflowText("{nope", "w.json")).toThrow(
      "w.json, line 1, column 2: expected a property name in double quotes.",
    );
    expect(() => parseWorkflowText(JSON.stringify({ format: "other", document }), "w.json")).toThrow(
      /not a DNO Studio export/,
    );
    expect(() => parseWorkflowText(JSON.stringify({ nodes: [] }), "w.json")).toThrow(/no schema version/);
  });
});
