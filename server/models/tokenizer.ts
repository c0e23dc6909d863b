/**
 * Prompt tokenization through @huggingface/tokenizers from a local tokenizer.json (CLIP's BPE, WordLevel,
 * ...), padded or truncated to the text encoder's fixed length the way Hugging Face does it: special
 * tokens (BOS/EOS) are kept, content is cut in between.
 */
import { Tokenizer } from "@huggingface/tokenizers";
import { z } from "zod";

export interface PromptTokenizer {
  /** Token count the text encoder takes (77 for SD-1.5's CLIP). */
  readonly length: number;
  readonly padId: number;
  /** Exactly `length` ids. */
  encode(text: string): number[];
}

const tokenizerJsonSchema = z
  .object({
    padding: z
      .object({ pad_id: z.number().int().optional(), pad_token: z.string().optional() })
      .nullable()
      .optional(),
    truncation: z.object({ max_length: z.number().int().positive().optional() }).nullable().optional(),
  })
  .loose();

const tokenizerConfigSchema = z
  .object({
    model_max_length: z.number().optional(),
    pad_token: z.union([z.string(), z.object({ content: z.string() }).loose(), z.null()]).optional(),
  })
  .loose();

export type TokenizerConfigJson = z.infer<typeof tokenizerConfigSchema>;

/** The length the tokenizer files themselves declare, if any (used when the encoder's input is dynamic). */
export function declaredTokenizerLength(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
): number | undefined {
  const json = tokenizerJsonSchema.safeParse(tokenizerJson);
  const fromJson = json.success ? json.data.truncation?.max_length : undefined;
  if (fromJson) return fromJson;
  const config = tokenizerConfigSchema.safeParse(tokenizerConfig ?? {});
  const fromConfig = config.success ? config.data.model_max_length : undefined;
  // transformers writes a huge sentinel (1e30) when there is no limit.
  return fromConfig && fromConfig > 0 && fromConfig < 1_000_000 ? fromConfig : undefined;
}

export function createPromptTokenizer(
  tokenizerJson: unknown,
  tokenizerConfig: unknown,
  length: number,
): PromptTokenizer {
  if (!Number.isInteger(length) || length < 2) {
    throw new RangeError(`Token length must be an integer ≥ 2, got ${length}`);
  }
  const config = tokenizerConfigSchema.parse(tokenizerConfig ?? {});
  const tokenizer = new Tokenizer(tokenizerJson as object, config);
  // The special tokens the post-processor wraps around the content, found from the empty prompt:
  // CLIP gives [BOS, EOS], so one leading and one trailing special token.
  const empty = tokenizer.encode("").ids;
  const probe = tokenizer.encode("a").ids;
  const probeContent = tokenizer.encode("a", { add_special_tokens: false }).ids;
  let prefixLength = 0;
  while (prefixLength < empty.length && probe[prefixLength] === empty[prefixLength]) prefixLength++;
  prefixLength = Math.min(prefixLength, probe.length - probeContent.length);
  const suffixLength = empty.length - prefixLength;

  const json = tokenizerJsonSchema.safeParse(tokenizerJson);
  const padToken =
    typeof config.pad_token === "string" ? config.pad_token : (config.pad_token?.content ?? undefined);
  const padId =
    (json.success ? json.data.padding?.pad_id : undefined) ??
    (padToken !== undefined ? tokenizer.token_to_id(padToken) : undefined) ??
    // No declared padding: CLIP pads with its end-of-text token, the last special token.
    empty.at(-1) ??
    0;

  return {
    length,
    padId,
    encode(text: string): number[] {
      const full = tokenizer.encode(text).ids;
      let ids = full;
      if (full.length > length) {
        const content = tokenizer.encode(text, { add_special_tokens: false }).ids;
        ids = [
          ...full.slice(0, prefixLength),
          ...content.slice(0, length - prefixLength - suffixLength),
          ...full.slice(full.length - suffixLength),
        ];
      }
      const padded = ids.slice(0, length);
      while (padded.length < length) padded.push(padId);
      return padded;
    },
  };
}
