import { describe, expect, it } from "vitest";
import type { GraphDocument } from "./document";
import { exampleWorkflows } from "./examples";
import { promptVocabularyIssues, promptWords, unknownPromptWords } from "./prompt-vocabulary";

const TINY = {
  id: "tiny-shapes-sd",
  name: "tiny-shapes-sd",
  vocabulary: [
    "red",
    "green",
    "blue",
    "yellow",
    "white",
    "black",
    "circle",
    "square",
    "triangle",
    "a",
    "on",
    "background",
  ],
};

/** A fresh copy of an example, with its Prompt's text set; returns the doc and the Prompt's id. */
function exampleWithPrompt(text: string): { doc: GraphDocument; promptId: string } {
  const example = exampleWorkflows.find((workflow) => workflow.slug === "brighten-with-a-guard");
  if (!example) throw new Error("example missing");
  const doc = structuredClone(example.document);
  const prompt = doc.nodes.find((node) => node.type === "prompt");
  if (!prompt) throw new Error("no prompt");
  prompt.params.text = text;
  return { doc, promptId: prompt.id };
}

describe("promptWords / unknownPromptWords", () => {
  it("lowercases and strips punctuation", () => {
    expect(promptWords("A Cute, cat's  beach!")).toEqual(["a", "cute", "cats", "beach"]);
  });

  it("ignores stop words and repeats", () => {
    expect(unknownPromptWords("a cute cat on the beach with a cat", TINY.vocabulary)).toEqual([
      "cute",
      "cat",
      "beach",
    ]);
  });
});

describe("promptVocabularyIssues", () => {
  it("names the unknown words on the Prompt node and lists what the model knows", () => {
    const { doc, promptId } = exampleWithPrompt("a cute cat on the beach");
    const issues = promptVocabularyIssues(doc, [TINY]);
    expect(issues).toHaveLength(1);
    expect(issues[0]).toMatchObject({
      code: "prompt-unknown-words",
      severity: "warning",
      nodeId: promptId,
      param: "text",
    });
    expect(issues[0]?.message).toContain("the model “tiny-shapes-sd” has never seen “cute”, “cat”, “beach”");
    expect(issues[0]?.message).toContain(
      "it knows: red, green, blue, yellow, white, black, circle, square, triangle",
    );
    // Stop words are not offered as things the model "knows".
    expect(issues[0]?.message).not.toMatch(/knows:.*\ba\b/);
  });

  it("gives nothing for a prompt the model knows", () => {
    const { doc } = exampleWithPrompt("A red circle on a blue background.");
    expect(promptVocabularyIssues(doc, [TINY])).toEqual([]);
  });

  it("gives nothing for a model without a vocabulary, or one not in the list", () => {
    const { doc } = exampleWithPrompt("a cute cat on the beach");
    expect(promptVocabularyIssues(doc, [{ id: "tiny-shapes-sd", name: "tiny-shapes-sd" }])).toEqual([]);
    expect(promptVocabularyIssues(doc, [{ ...TINY, id: "another-model" }])).toEqual([]);
    expect(promptVocabularyIssues(doc, [])).toEqual([]);
  });

  it("checks the negative prompt too", () => {
    const { doc, promptId } = exampleWithPrompt("a red circle on a blue background");
    const prompt = doc.nodes.find((node) => node.id === promptId);
    if (prompt) prompt.params.negativeText = "blurry";
    const issues = promptVocabularyIssues(doc, [TINY]);
    expect(issues.map((issue) => issue.param)).toEqual(["negativeText"]);
    expect(issues[0]?.message).toContain(
      "Negative prompt: the model “tiny-shapes-sd” has never seen “blurry”",
    );
  });
});
