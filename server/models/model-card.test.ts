import { mkdirSync, mkdtempSync, rmSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import path from "node:path";
import { afterEach, describe, expect, it } from "vitest";
import { CARD_SUMMARY_MAX_LENGTH, cardSummaryOf, readModelCardInfo } from "./model-card";

const made: string[] = [];
function folder(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), "model-card-"));
  made.push(dir);
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}
afterEach(() => {
  for (const dir of made.splice(0)) rmSync(dir, { recursive: true, force: true });
});

describe("cardSummaryOf", () => {
  it("takes the first paragraph after the heading as plain text", () => {
    const card =
      "# my-model: a title\n\nDraws **cats** with `unet`,\nsee [the paper](https://x.y).\n\n## More\nrest";
    expect(cardSummaryOf(card)).toBe("Draws cats with unet, see the paper.");
  });

  it("caps long paragraphs", () => {
    const summary = cardSummaryOf(`# t\n\n${"word ".repeat(500)}`);
    expect(summary?.length).toBe(CARD_SUMMARY_MAX_LENGTH);
    expect(summary?.endsWith("…")).toBe(true);
  });
});

describe("readModelCardInfo", () => {
  it("gives nothing for a folder without a card or vocabulary", () => {
    expect(readModelCardInfo(folder({ "model_index.json": "{}" }))).toEqual({});
  });

  it("reads vocabulary.json lowercased and deduplicated, and ignores a malformed one", () => {
    const dir = folder({
      "vocabulary.json": JSON.stringify({ words: ["Cat", "dog", "cat"] }),
      "MODEL_CARD.md": "Hi.",
    });
    expect(readModelCardInfo(dir)).toEqual({ vocabulary: ["cat", "dog"], cardSummary: "Hi." });
    expect(readModelCardInfo(folder({ "vocabulary.json": "{not json" }))).toEqual({});
    expect(readModelCardInfo(folder({ "vocabulary.json": JSON.stringify({ words: "cat" }) }))).toEqual({});
  });
});
