import { describe, expect, it } from "vitest";
import { GLOSSARY, glossaryEntry, glossaryEntryFor } from "./glossary";

describe("glossary", () => {
  it("has unique ids and words, and a short plain sentence for every term", () => {
    expect(new Set(GLOSSARY.map((entry) => entry.id)).size).toBe(GLOSSARY.length);
    const words = GLOSSARY.flatMap((entry) =>
      [entry.term, ...entry.aliases].map((word) => word.toLowerCase()),
    );
    expect(new Set(words).size).toBe(words.length);
    for (const entry of GLOSSARY) {
      expect(entry.text.length, entry.id).toBeGreaterThan(40);
      expect(entry.text.length, entry.id).toBeLessThan(300);
      expect(entry.text, entry.id).toMatch(/\.$/);
    }
  });

  it("explains every term the run screens show, by the word shown", () => {
    for (const word of ["objective", "PR", "γ", "‖g‖", "eta", "keeper", "best-iterate", "fired", "score"]) {
      expect(glossaryEntryFor(word), word).toBeDefined();
    }
    expect(glossaryEntryFor("Objective")?.id).toBe("score");
    expect(glossaryEntry("pr")?.text).toContain("99 and above");
    expect(glossaryEntryFor("nonsense")).toBeUndefined();
  });
});
