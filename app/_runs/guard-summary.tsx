"use client";
/** "What the guards did": one plain sentence per Guard node under the run's curves (guard-explanations.ts). */
import { Term } from "@/app/_components/term";
import type { GraphDocument } from "@/nodes/graph/document";
import { explainGuards, type GuardStepLike } from "./guard-explanations";

export function GuardSummary(props: {
  readonly document: GraphDocument | undefined;
  readonly steps: readonly GuardStepLike[];
}) {
  const explained = explainGuards(props.document, props.steps);
  if (explained.length === 0) return null;
  return (
    <section
      className="run-card guard-summary"
      data-testid="run-page.guards"
      aria-label="What the guards did"
    >
      <div className="muted">
        What the guards did (red dots on the guard curve: the guard <Term id="fired">fired</Term>)
      </div>
      <ul>
        {explained.map((entry) => (
          <li key={entry.nodeId} data-testid={`run-page.guard.${entry.nodeId}`} title={entry.detail}>
            {entry.sentence}
          </li>
        ))}
      </ul>
    </section>
  );
}
