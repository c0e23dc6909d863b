import { readFileSync } from "node:fs";
import path from "node:path";
import { describe, expect, it } from "vitest";
import { clipTokenizerJson } from "./clip-tokenizer";
import { createPromptTokenizer, declaredTokenizerLength } from "./tokenizer";

const fixtures = path.join(import.meta.dirname, "fixtures");
const readJson = (file: string): unknown => JSON.parse(readFileSync(path.join(fixtures, file), "utf8"));

describe("hand-made CLIP BPE tokenizer.json", () => {
  const json = readJson("clip-bpe-tokenizer.json");
  const config = readJson("clip-bpe-tokenizer_config.json");
  // Vocabulary by construction: a..z = 0..25, a</w>..z</w> = 26..51, red</w> = 53, circle</w> = 58,
  // <|startoftext|> = 59, <|endoftext|> = 60.
  it("applies CLIP's normalizer, split, BPE merges and BOS/EOS, then pads with <|endoftext|>", () => {
    const tokenizer = createPromptTokenizer(json, config, 8);
    expect(tokenizer.padId).toBe(60);
    expect(tokenizer.encode("A  Red circle")).toEqual([59, 26, 53, 58, 60, 60, 60, 60]);
  });
  it("splits unmerged words into letters and keeps the end-of-word suffix on the last one", () => {
    const tokenizer = createPromptTokenizer(json, config, 8);
    // "cab" = c, a, b</w>: no merge applies.
    expect(tokenizer.encode("cab")).toEqual([59, 2, 0, 27, 60, 60, 60, 60]);
  });
  it("truncates content, keeping BOS and EOS like Hugging Face truncation", () => {
    const tokenizer = createPromptTokenizer(json, config, 4);
    expect(tokenizer.encode("a red circle")).toEqual([59, 26, 53, 60]);
  });
  it("reads the declared length from tokenizer_config.json", () => {
    expect(declaredTokenizerLength(json, config)).toBe(8);
    expect(declaredTokenizerLength(json, { model_max_length: 1e30 })).toBeUndefined();
  });
});

describe("CLIP tokenizer.json rebuilt from vocab.json + merges.txt", () => {
  const vocab = readJson("clip-bpe-vocab.json") as Record<string, number>;
  const merges = readFileSync(path.join(fixtures, "clip-bpe-merges.txt"), "utf8");
  it("has CLIP's tokenizer.json structure", () => {
    expect(clipTokenizerJson(vocab, merges)).toEqual(readJson("clip-bpe-tokenizer.json"));
  });
  it("tokenizes like the tokenizer.json", () => {
    const config = readJson("clip-bpe-tokenizer_config.json");
    const rebuilt = createPromptTokenizer(clipTokenizerJson(vocab, merges), config, 8);
    const original = createPromptTokenizer(readJson("clip-bpe-tokenizer.json"), config, 8);
    for (const prompt of ["a red circle", "Circle  RED", "cab dab", "", "red!"]) {
      expect(rebuilt.encode(prompt)).toEqual(original.encode(prompt));
    }
  });
  it("refuses a vocabulary without CLIP's special tokens", () => {
    expect(() => clipTokenizerJson({ a: 0 }, "")).toThrow(/lacks CLIP's special tokens/);
  });
});
