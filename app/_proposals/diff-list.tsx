/** A readable graph diff (nodes/graph/readable-diff.ts) as a list: one sentence per change. */
import "./proposals.css";
import type { GraphChange } from "@/nodes/graph/readable-diff";

const MARK: Record<GraphChange["kind"], string> = {
  "node-added": "+",
  "node-removed": "−",
  "node-renamed": "✎",
  "node-type-changed": "⇄",
  "param-changed": "•",
  "link-added": "+",
  "link-removed": "−",
  moved: "↔",
};

export function DiffList(props: {
  readonly changes: readonly GraphChange[];
  readonly summary: string;
  readonly testId: string;
}) {
  if (props.changes.length === 0) {
    return (
      <p className="muted" data-testid={`${props.testId}.empty`}>
        {props.summary}.
      </p>
    );
  }
  return (
    <ul className="diff-list" data-testid={props.testId}>
      {props.changes.map((change, index) => (
        <li
          // Sentences can repeat only for identical changes; the index keeps keys unique.
          // biome-ignore lint/suspicious/noArrayIndexKey: the list is rebuilt whole, never reordered
          key={index}
          className={`diff-${change.kind}`}
          data-testid={`${props.testId}.item`}
        >
          <span className="diff-mark" aria-hidden="true">
            {MARK[change.kind]}
          </span>
          {change.param && change.nodeName ? (
            <>
              {change.nodeName} › {change.label}: <del>{change.before}</del> → <ins>{change.after}</ins>
            </>
          ) : (
            change.text
          )}
        </li>
      ))}
    </ul>
  );
}
