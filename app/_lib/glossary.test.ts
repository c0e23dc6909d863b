import { describe, expect, it } from "vitest";
import { GLOSSARY, glossaryEntry, glossaryEntryFor } from "./glossary";
import { restoredNotice, savedToRunNotice, VERSION_VERBS } from "./version-verbs";

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

  it("explains each version verb in the words its button uses, one distinct verb per action", () => {
    const verbs = Object.values(VERSION_VERBS);
    expect(new Set(verbs.map((verb) => verb.label.toLowerCase())).size).toBe(verbs.length);
    for (const verb of verbs) {
      const entry = GLOSSARY.find((candidate) => candidate.term.startsWith(verb.label));
      expect(entry?.text, verb.label).toBe(verb.help);
    }
    // The retired near-synonyms are nobody's label any more.
    for (const retired of ["open", "load"]) {
      expect(verbs.map((verb) => verb.label.toLowerCase())).not.toContain(retired);
    }
    expect(glossaryEntryFor("Saved to run")?.id).toBe("version");
    expect(savedToRunNotice(4)).toContain("Saved as version 4");
    expect(restoredNotice(2, 5)).toBe("Restored version 2: it is now version 5, the newest.");
  });
});
