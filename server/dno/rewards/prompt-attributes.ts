/**
 * Parses the attributes a caption asks for — "a red circle on a blue background", "two small green
 * squares on a yellow background" — into (head, label) pairs that a multi-head attribute classifier
 * can score (prompt faithfulness). The vocabulary is data: the executor passes the bundled
 * classifier's labels (and synonyms) so that nothing here assumes a particular model.
 *
 * Grammar (case-insensitive, punctuation ignored):
 *   caption    := [count] [size] [color] shape [background]
 *   background := ("on" | "against" | "over" | "in front of") ["a" | "an" | "the"] color ["background"]
 * Words outside the vocabulary are reported in `unknownWords`, never guessed.
 */

export type AttributeRole = "count" | "size" | "color" | "shape" | "background";

/** label → the words that mean it. Colors serve both the object's color and the background. */
export interface PromptVocabulary {
  count: Record<string, readonly string[]>;
  size: Record<string, readonly string[]>;
  color: Record<string, readonly string[]>;
  shape: Record<string, readonly string[]>;
}

export const DEFAULT_PROMPT_VOCABULARY: PromptVocabulary = {
  count: {
    one: ["a", "an", "one", "single", "1"],
    two: ["two", "2", "pair"],
    three: ["three", "3"],
    four: ["four", "4"],
  },
  size: { small: ["small", "tiny", "little"], large: ["large", "big", "huge"] },
  color: {
    red: ["red"],
    green: ["green"],
    blue: ["blue"],
    yellow: ["yellow"],
    white: ["white"],
    black: ["black"],
    orange: ["orange"],
    purple: ["purple", "violet"],
    cyan: ["cyan"],
    magenta: ["magenta"],
    pink: ["pink"],
    gray: ["gray", "grey"],
    brown: ["brown"],
  },
  shape: {
    circle: ["circle", "circles", "disc", "discs", "disk", "disks"],
    square: ["square", "squares"],
    triangle: ["triangle", "triangles"],
    rectangle: ["rectangle", "rectangles"],
    star: ["star", "stars"],
    cross: ["cross", "crosses"],
    ring: ["ring", "rings"],
    heart: ["heart", "hearts"],
  },
};

export interface PromptAttribute {
  role: AttributeRole;
  /** The classifier head that scores this attribute (role name unless renamed by `headNames`). */
  head: string;
  /** The canonical label, e.g. "green". */
  label: string;
  /** The word(s) of the caption it came from. */
  word: string;
}

export interface ParsedPrompt {
  attributes: PromptAttribute[];
  unknownWords: string[];
}

const BACKGROUND_PREPOSITIONS = new Set(["on", "against", "over"]);
const ARTICLES = new Set(["a", "an", "the"]);
const FILLER = new Set(["of", "with", "and", "background", "backdrop", "in", "front", "colored", "coloured"]);

export function parsePromptAttributes(
  prompt: string,
  vocabulary: PromptVocabulary = DEFAULT_PROMPT_VOCABULARY,
  headNames: Partial<Record<AttributeRole, string>> = {},
): ParsedPrompt {
  const lookup = (role: keyof PromptVocabulary, word: string): string | undefined => {
    for (const [label, words] of Object.entries(vocabulary[role])) if (words.includes(word)) return label;
    return undefined;
  };
  const words = prompt
    .toLowerCase()
    .replace(/[^a-z0-9\s-]/g, " ")
    .split(/[\s-]+/)
    .filter((word) => word.length > 0);
  const attributes: PromptAttribute[] = [];
  const unknownWords: string[] = [];
  const add = (role: AttributeRole, label: string, word: string): void => {
    // The first mention wins: "a red circle, red" must not count twice.
    if (attributes.some((a) => a.role === role)) return;
    attributes.push({ role, head: headNames[role] ?? role, label, word });
  };

  // Split into the object phrase and the background phrase at the first background preposition
  // ("in front of" counts as one).
  let split = words.length;
  for (let i = 0; i < words.length; i++) {
    if (BACKGROUND_PREPOSITIONS.has(words[i]!) || (words[i] === "in" && words[i + 1] === "front")) {
      split = i;
      break;
    }
  }
  let seenObjectWord = false;
  for (const word of words.slice(0, split)) {
    // "a"/"an" are counts only before anything else ("a red circle"); elsewhere they are articles.
    const count = lookup("count", word);
    if (count && !seenObjectWord) {
      add("count", count, word);
      seenObjectWord = true;
      continue;
    }
    seenObjectWord = true;
    const size = lookup("size", word);
    if (size) {
      add("size", size, word);
      continue;
    }
    const color = lookup("color", word);
    if (color) {
      add("color", color, word);
      continue;
    }
    const shape = lookup("shape", word);
    if (shape) {
      add("shape", shape, word);
      continue;
    }
    if (!ARTICLES.has(word) && !FILLER.has(word)) unknownWords.push(word);
  }
  for (const word of words.slice(split)) {
    if (BACKGROUND_PREPOSITIONS.has(word) || ARTICLES.has(word) || FILLER.has(word)) continue;
    const color = lookup("color", word);
    if (color) {
      add("background", color, word);
      continue;
    }
    unknownWords.push(word);
  }
  // A count without a shape counts nothing the classifier knows ("a photo of a duck").
  if (!attributes.some((a) => a.role === "shape")) {
    return { attributes: attributes.filter((a) => a.role !== "count"), unknownWords };
  }
  return { attributes, unknownWords };
}
