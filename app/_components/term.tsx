"use client";
/**
 * A term with its plain-word explanation (app/_lib/glossary.ts) on hover and on keyboard focus, linked to
 * /glossary. Screen readers get the explanation as the element's description.
 */
import { useId } from "react";
import { glossaryEntry } from "@/app/_lib/glossary";

export function Term(props: { readonly id: string; readonly children?: React.ReactNode }) {
  const entry = glossaryEntry(props.id);
  const tipId = useId();
  if (!entry) return <>{props.children}</>;
  return (
    <span className="term" data-testid={`term.${entry.id}`}>
      <a href={`/glossary#${entry.id}`} className="term-word" aria-describedby={tipId}>
        {props.children ?? entry.term}
      </a>
      <span role="tooltip" id={tipId} className="term-tip">
        {entry.text}
      </span>
    </span>
  );
}
