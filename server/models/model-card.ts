/**
 * What a model folder says about itself, for people: the words it was trained on (`vocabulary.json` next
 * to MODEL_CARD.md) and the first paragraph of MODEL_CARD.md. Both are optional; a folder without them
 * gets neither (and the editor then gives no vocabulary warning). Files are size-checked before reading
 * because model folders come from users (MODELS_DIR, uploads).
 */
import { existsSync, readFileSync, statSync } from "node:fs";
import path from "node:path";
import { z } from "zod";

export const VOCABULARY_FILE = "vocabulary.json";
export const MODEL_CARD_FILE = "MODEL_CARD.md";
/** A grid of pictures the model made (the model build script writes one), shown next to the model picker. */
export const SAMPLES_FILE = "samples.png";
/** Largest samples.png served (bytes); a bigger one is ignored. */
export const MAX_SAMPLES_BYTES = 8 * 1024 * 1024;
const PNG_SIGNATURE = [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a];
/** Longest card summary sent to clients (characters); longer ones end with "…". */
export const CARD_SUMMARY_MAX_LENGTH = 400;
const MAX_VOCABULARY_WORDS = 5000;
const MAX_FILE_BYTES = 512 * 1024;

const vocabularySchema = z.object({
  words: z.array(z.string().trim().min(1).max(64)).min(1).max(MAX_VOCABULARY_WORDS),
});

export interface ModelCardInfo {
  readonly vocabulary?: readonly string[];
  readonly cardSummary?: string;
  readonly hasSamples?: boolean;
}

function readSmallFile(file: string): string | undefined {
  try {
    if (!existsSync(file)) return undefined;
    const stats = statSync(file);
    if (!stats.isFile() || stats.size > MAX_FILE_BYTES) return undefined;
    return readFileSync(file, "utf8");
  } catch {
    return undefined;
  }
}

/** The model's words, lowercased and deduplicated in file order; undefined when absent or malformed. */
function readVocabulary(dir: string): string[] | undefined {
  const text = readSmallFile(path.join(/* turbopackIgnore: true */ dir, VOCABULARY_FILE));
  if (text === undefined) return undefined;
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    return undefined;
  }
  const parsed = vocabularySchema.safeParse(json);
  if (!parsed.success) return undefined;
  return [...new Set(parsed.data.words.map((word) => word.toLowerCase()))];
}

/** Markdown inline syntax to plain text: `code`, **bold**, [text](link) (underscores stay: file names). */
function plainText(markdown: string): string {
  return markdown
    .replace(/\[([^\]]*)\]\([^)]*\)/g, "$1")
    .replace(/[`*]/g, "")
    .replace(/\s+/g, " ")
    .trim();
}

/** The first paragraph of the card that is not a heading, as plain text capped at CARD_SUMMARY_MAX_LENGTH. */
export function cardSummaryOf(markdown: string): string | undefined {
  const paragraphs = markdown.replace(/\r\n?/g, "\n").split(/\n\s*\n/);
  for (const paragraph of paragraphs) {
    const lines = paragraph.split("\n").filter((line) => !/^\s*#/.test(line) && line.trim() !== "");
    const text = plainText(lines.join(" "));
    if (text === "") continue;
    return text.length > CARD_SUMMARY_MAX_LENGTH
      ? `${text.slice(0, CARD_SUMMARY_MAX_LENGTH - 1).trimEnd()}…`
      : text;
  }
  return undefined;
}

function samplesFileOf(dir: string): string | undefined {
  const file = path.join(/* turbopackIgnore: true */ dir, SAMPLES_FILE);
  try {
    const stats = statSync(file);
    return stats.isFile() && stats.size > 0 && stats.size <= MAX_SAMPLES_BYTES ? file : undefined;
  } catch {
    return undefined;
  }
}

/** The model folder's sample grid as PNG bytes; undefined when it has none (or it is too big or not a PNG). */
export function readModelSamples(dir: string): Uint8Array | undefined {
  const file = samplesFileOf(dir);
  if (!file) return undefined;
  const bytes = readFileSync(file);
  return PNG_SIGNATURE.every((byte, index) => bytes[index] === byte) ? new Uint8Array(bytes) : undefined;
}

/** Only the fields a folder has: spread into a ModelSummary, absent ones stay absent. */
export function readModelCardInfo(dir: string): ModelCardInfo {
  const vocabulary = readVocabulary(dir);
  const card = readSmallFile(path.join(/* turbopackIgnore: true */ dir, MODEL_CARD_FILE));
  const cardSummary = card === undefined ? undefined : cardSummaryOf(card);
  return {
    ...(vocabulary ? { vocabulary } : {}),
    ...(cardSummary ? { cardSummary } : {}),
    ...(samplesFileOf(dir) ? { hasSamples: true } : {}),
  };
}
