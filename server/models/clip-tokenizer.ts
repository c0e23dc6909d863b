/**
 * Builds CLIP's `tokenizer.json` from the slow tokenizer's files (tokenizer/vocab.json + merges.txt), which
 * is what Stable Diffusion ONNX exports usually ship. The structure is the one transformers' CLIPConverter
 * writes for openai/clip-vit-large-patch14, so @huggingface/tokenizers tokenizes exactly like CLIPTokenizer.
 */

const BOS = "<|startoftext|>";
const EOS = "<|endoftext|>";
/** CLIPTokenizer keeps the first 49152 − 256 − 2 merges of merges.txt. */
const MAX_MERGES = 49152 - 256 - 2;
/** CLIP's pre-tokenization pattern (contractions, letter runs, single digits, other symbol runs). */
const CLIP_SPLIT_PATTERN =
  "<\\|startoftext\\|>|<\\|endoftext\\|>|'s|'t|'re|'ve|'m|'ll|'d|[\\p{L}]+|[\\p{N}]|[^\\s\\p{L}\\p{N}]+";

export function clipTokenizerJson(vocab: Record<string, number>, mergesText: string): unknown {
  const lines = mergesText.split("\n").map((line) => line.trim());
  const merges = lines
    .filter((line, index) => line !== "" && !(index === 0 && line.startsWith("#version")))
    .slice(0, MAX_MERGES);
  const bosId = vocab[BOS];
  const eosId = vocab[EOS];
  if (bosId === undefined || eosId === undefined) {
    throw new Error(`vocab.json lacks CLIP's special tokens ${BOS} and ${EOS}`);
  }
  const added = (id: number, content: string) => ({
    id,
    content,
    single_word: false,
    lstrip: false,
    rstrip: false,
    normalized: true,
    special: true,
  });
  return {
    version: "1.0",
    truncation: null,
    padding: null,
    added_tokens: [added(bosId, BOS), added(eosId, EOS)],
    normalizer: {
      type: "Sequence",
      normalizers: [
        { type: "NFC" },
        { type: "Replace", pattern: { Regex: "\\s+" }, content: " " },
        { type: "Lowercase" },
      ],
    },
    pre_tokenizer: {
      type: "Sequence",
      pretokenizers: [
        { type: "Split", pattern: { Regex: CLIP_SPLIT_PATTERN }, behavior: "Removed", invert: true },
        { type: "ByteLevel", add_prefix_space: false, trim_offsets: true, use_regex: false },
      ],
    },
    post_processor: {
      type: "RobertaProcessing",
      sep: [EOS, eosId],
      cls: [BOS, bosId],
      trim_offsets: false,
      add_prefix_space: false,
    },
    decoder: { type: "ByteLevel", add_prefix_space: true, trim_offsets: true, use_regex: true },
    model: {
      type: "BPE",
      dropout: null,
      unk_token: EOS,
      continuing_subword_prefix: "",
      end_of_word_suffix: "</w>",
      fuse_unk: false,
      byte_fallback: false,
      vocab,
      merges,
    },
  };
}
