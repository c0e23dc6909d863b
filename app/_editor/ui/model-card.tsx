"use client";
/**
 * What the picked model knows, under the Sampler's model picker: its card's first paragraph, the words it was
 * trained on (a Prompt should use these), and its sample grid. Collapsed by default to keep the card small.
 */
import type { ModelOption } from "./node-card";

/** How many vocabulary words are shown before "and N more". */
const SHOWN_WORDS = 40;

export function ModelCard(props: { readonly option: ModelOption | undefined; readonly testId: string }) {
  const { option } = props;
  if (!option || (!option.summary && !option.vocabulary && !option.samplesUrl)) return null;
  const words = option.vocabulary ?? [];
  return (
    <details className="model-card nodrag" data-testid={`${props.testId}.card`}>
      <summary>What this model knows</summary>
      {option.summary ? <p>{option.summary}</p> : null}
      {words.length > 0 ? (
        <p data-testid={`${props.testId}.vocabulary`}>
          <span className="muted">Words it knows: </span>
          {words.slice(0, SHOWN_WORDS).join(", ")}
          {words.length > SHOWN_WORDS ? ` and ${words.length - SHOWN_WORDS} more` : ""}. Prompts with other
          words get a warning.
        </p>
      ) : (
        <p className="muted">This model lists no vocabulary, so prompts are not checked against it.</p>
      )}
      {option.samplesUrl ? (
        <a
          href={option.samplesUrl}
          target="_blank"
          rel="noreferrer"
          title="Open the sample pictures full size"
        >
          {/* biome-ignore lint/performance/noImgElement: a small server-made grid, loaded only when opened. */}
          <img src={option.samplesUrl} alt={`Sample pictures made by ${option.label}`} loading="lazy" />
        </a>
      ) : null}
    </details>
  );
}
