"use client";
/**
 * On a node card: the number of open threads on the node (and its parameters) as a badge that opens them,
 * or a quiet "Comment" button when there are none. On a parameter row: a marker when that parameter has open
 * threads; clicking it opens the thread pinned there.
 */
import "./comments.css";
import { badgeNumber, openCommentsText } from "./comment-words";
import { commentBadges, nodeCommentCount, paramCommentCount, useCommentBadgeCount } from "./comment-badges";

export function NodeCommentBadge(props: { readonly nodeId: string }) {
  const { nodeId } = props;
  const count = useCommentBadgeCount((snapshot) => nodeCommentCount(snapshot, nodeId));
  return (
    <button
      type="button"
      className={`icon-btn nodrag comment-badge${count > 0 ? " has-comments" : ""}`}
      title={count > 0 ? `${openCommentsText(count)} — show` : "Comment on this node"}
      aria-label={count > 0 ? openCommentsText(count) : "Comment on this node"}
      data-testid={`node.${nodeId}.comments`}
      data-count={count}
      onClick={() => commentBadges.requestOpen({ kind: "node", nodeId })}
    >
      <span aria-hidden="true">💬</span>
      {count > 0 ? <span className="comment-badge-count">{badgeNumber(count)}</span> : null}
    </button>
  );
}

export function ParamCommentMarker(props: {
  readonly nodeId: string;
  readonly paramKey: string;
  readonly label: string;
}) {
  const { nodeId, paramKey } = props;
  const count = useCommentBadgeCount((snapshot) => paramCommentCount(snapshot, nodeId, paramKey));
  if (count === 0) return null;
  return (
    <button
      type="button"
      className="param-comment-marker nodrag"
      title={`${openCommentsText(count)} on ${props.label} — show`}
      aria-label={`${openCommentsText(count)} on ${props.label}`}
      data-testid={`node.${nodeId}.param.${paramKey}.comments`}
      onClick={() => commentBadges.requestOpen({ kind: "param", nodeId, paramKey })}
    >
      💬 {badgeNumber(count)}
    </button>
  );
}
