"use client";
/**
 * A list of comment threads with a box to start one: used by the editor's comments panel, the run page and
 * proposals. Draws what the server sends (who may edit is in each comment's `canEdit`; the server checks
 * again) and refreshes every comment query after a change, so badges and counts follow.
 */
import "./comments.css";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useEffect, useRef, useState } from "react";
import { describeError } from "@/app/_lib/errors";
import { artifactUrl } from "@/app/_runs/run-types";
import { useTRPC } from "@/app/_trpc/provider";
import type { CommentTarget, CommentView } from "@/server/services/comments/comment-views";
import type { CommentThreadWithLabel } from "@/server/services/comments/list-comments";
import { CommentBody } from "./comment-body";
import { targetKey, timeAgo } from "./comment-words";

/** A target a new thread can be pinned to, with how the box names it. */
export interface TargetChoice {
  readonly label: string;
  readonly target: CommentTarget;
}

const MAX_LENGTH = 4000;

function useInvalidateComments() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  return () => {
    void queryClient.invalidateQueries({ queryKey: trpc.comments.pathKey() });
    void queryClient.invalidateQueries({ queryKey: trpc.activity.pathKey() });
  };
}

function Composer(props: {
  readonly placeholder: string;
  readonly submitLabel: string;
  readonly initial?: string;
  readonly busy: boolean;
  readonly testId: string;
  readonly autoFocus?: boolean;
  readonly onSubmit: (body: string, done: () => void) => void;
  readonly onCancel?: () => void;
}) {
  const [body, setBody] = useState(props.initial ?? "");
  const ref = useRef<HTMLTextAreaElement>(null);
  useEffect(() => {
    if (props.autoFocus) ref.current?.focus();
  }, [props.autoFocus]);
  return (
    <form
      className="comment-composer"
      onSubmit={(event) => {
        event.preventDefault();
        if (body.trim() === "") return;
        props.onSubmit(body, () => setBody(""));
      }}
    >
      <textarea
        ref={ref}
        className="input nodrag"
        value={body}
        maxLength={MAX_LENGTH}
        rows={3}
        placeholder={props.placeholder}
        aria-label={props.placeholder}
        data-testid={`${props.testId}.input`}
        onChange={(event) => setBody(event.target.value)}
        onKeyDown={(event) => {
          // Ctrl/⌘+Enter sends, as in most comment boxes; Enter alone is a new line.
          if (event.key === "Enter" && (event.ctrlKey || event.metaKey))
            event.currentTarget.form?.requestSubmit();
          event.stopPropagation();
        }}
      />
      <div className="comment-composer-buttons">
        {props.onCancel ? (
          <button type="button" className="btn btn-small" onClick={props.onCancel}>
            Cancel
          </button>
        ) : null}
        <button
          type="submit"
          className="btn btn-small btn-primary"
          disabled={props.busy || body.trim() === ""}
          data-testid={`${props.testId}.send`}
        >
          {props.busy ? "Sending…" : props.submitLabel}
        </button>
      </div>
    </form>
  );
}

function CommentItem(props: {
  readonly comment: CommentView;
  readonly onError: (message: string | null) => void;
}) {
  const { comment } = props;
  const trpc = useTRPC();
  const invalidate = useInvalidateComments();
  const [editing, setEditing] = useState(false);
  const edit = useMutation(trpc.comments.edit.mutationOptions());
  const remove = useMutation(trpc.comments.delete.mutationOptions());
  return (
    <div className="comment" data-testid={`comment.${comment.id}`}>
      <div className="comment-meta">
        <span className="comment-author">{comment.author.name}</span>
        <span className="faint" title={new Date(comment.createdAt).toLocaleString()}>
          {timeAgo(new Date(comment.createdAt))}
          {comment.edited && !comment.deleted ? " · edited" : ""}
        </span>
      </div>
      {editing ? (
        <Composer
          placeholder="Edit your comment"
          submitLabel="Save"
          initial={comment.body}
          busy={edit.isPending}
          autoFocus
          testId={`comment.${comment.id}.edit`}
          onCancel={() => setEditing(false)}
          onSubmit={(body) =>
            edit.mutate(
              { commentId: comment.id, body },
              {
                onSuccess: () => {
                  setEditing(false);
                  props.onError(null);
                  invalidate();
                },
                onError: (error) => props.onError(describeError(error)),
              },
            )
          }
        />
      ) : (
        <CommentBody body={comment.body} deleted={comment.deleted} testId={`comment.${comment.id}.body`} />
      )}
      {comment.canEdit && !editing ? (
        <div className="comment-actions">
          <button
            type="button"
            className="link-btn"
            onClick={() => setEditing(true)}
            data-testid={`comment.${comment.id}.edit`}
          >
            Edit
          </button>
          <button
            type="button"
            className="link-btn"
            disabled={remove.isPending}
            data-testid={`comment.${comment.id}.delete`}
            onClick={() => {
              if (!window.confirm("Delete this comment? Replies stay; your text is removed.")) return;
              remove.mutate(
                { commentId: comment.id },
                { onSuccess: invalidate, onError: (error) => props.onError(describeError(error)) },
              );
            }}
          >
            Delete
          </button>
        </div>
      ) : null}
    </div>
  );
}

function Thread(props: {
  readonly thread: CommentThreadWithLabel;
  readonly focused: boolean;
  readonly canComment: boolean;
  readonly onTargetClick?: (target: CommentTarget) => void;
}) {
  const { thread } = props;
  const trpc = useTRPC();
  const invalidate = useInvalidateComments();
  const [replying, setReplying] = useState(false);
  const [error, setError] = useState<string | null>(null);
  const reply = useMutation(trpc.comments.add.mutationOptions());
  const resolve = useMutation(trpc.comments.resolve.mutationOptions());
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (props.focused) ref.current?.scrollIntoView({ block: "nearest" });
  }, [props.focused]);
  const image = artifactUrl(thread.imageArtifactId);
  return (
    <div
      ref={ref}
      className={`comment-thread${thread.resolved ? " resolved" : ""}${props.focused ? " focused" : ""}`}
      data-testid={`comment-thread.${thread.id}`}
      data-target-kind={thread.target.kind}
    >
      <div className="comment-thread-head">
        {props.onTargetClick ? (
          <button
            type="button"
            className="link-btn comment-target"
            onClick={() => props.onTargetClick?.(thread.target)}
            title="Show it"
          >
            {thread.targetLabel}
          </button>
        ) : (
          <span className="comment-target">{thread.targetLabel}</span>
        )}
        {thread.resolved ? (
          <span className="faint" data-testid={`comment-thread.${thread.id}.resolved`}>
            Resolved{thread.resolvedBy ? ` by ${thread.resolvedBy.name}` : ""}
          </span>
        ) : null}
      </div>
      {image ? (
        // biome-ignore lint/performance/noImgElement: artifact PNGs are served as they are
        <img className="comment-image" src={image} alt={thread.targetLabel} />
      ) : null}
      <CommentItem comment={thread} onError={setError} />
      {thread.replies.map((item) => (
        <div key={item.id} className="comment-reply">
          <CommentItem comment={item} onError={setError} />
        </div>
      ))}
      {error ? (
        <div className="banner banner-error" role="alert">
          {error}
        </div>
      ) : null}
      {replying ? (
        <Composer
          placeholder="Reply (use @name to notify someone)"
          submitLabel="Reply"
          busy={reply.isPending}
          autoFocus
          testId={`comment-thread.${thread.id}.reply`}
          onCancel={() => setReplying(false)}
          onSubmit={(body, done) =>
            reply.mutate(
              { workflowId: thread.workflowId, parentId: thread.id, body },
              {
                onSuccess: () => {
                  done();
                  setReplying(false);
                  setError(null);
                  invalidate();
                },
                onError: (failure) => setError(describeError(failure)),
              },
            )
          }
        />
      ) : props.canComment ? (
        <div className="comment-actions">
          {!thread.deleted ? (
            <button
              type="button"
              className="link-btn"
              onClick={() => setReplying(true)}
              data-testid={`comment-thread.${thread.id}.reply`}
            >
              Reply
            </button>
          ) : null}
          <button
            type="button"
            className="link-btn"
            disabled={resolve.isPending}
            data-testid={`comment-thread.${thread.id}.${thread.resolved ? "reopen" : "resolve"}`}
            onClick={() =>
              resolve.mutate(
                { commentId: thread.id, resolved: !thread.resolved },
                {
                  onSuccess: () => {
                    setError(null);
                    invalidate();
                  },
                  onError: (failure) => setError(describeError(failure)),
                },
              )
            }
          >
            {thread.resolved ? "Reopen" : "Resolve"}
          </button>
        </div>
      ) : null}
    </div>
  );
}

export function CommentThreads(props: {
  readonly workflowId: string;
  readonly filter?: { runId?: string; proposalId?: string; nodeId?: string };
  /** Where a new thread goes; the box offers a choice when there are several. Null: no box. */
  readonly targets: readonly TargetChoice[] | null;
  /** Index into `targets` to preselect (changes when a badge or "Comment" action asks for a target). */
  readonly selectedTarget?: number;
  readonly focusThreadId?: string | null;
  readonly onTargetClick?: (target: CommentTarget) => void;
  /** Only threads whose target passes (e.g. one iteration). */
  readonly show?: (thread: CommentThreadWithLabel) => boolean;
  readonly testId?: string;
}) {
  const trpc = useTRPC();
  const invalidate = useInvalidateComments();
  const testId = props.testId ?? "comments";
  const list = useQuery(trpc.comments.list.queryOptions({ workflowId: props.workflowId, ...props.filter }));
  // Viewers read; the boxes and buttons appear once the server says this person may write.
  const counts = useQuery(trpc.comments.counts.queryOptions({ workflowId: props.workflowId }));
  const canComment = counts.data?.canComment ?? false;
  const add = useMutation(trpc.comments.add.mutationOptions());
  const [choice, setChoice] = useState(props.selectedTarget ?? 0);
  const [showResolved, setShowResolved] = useState(false);
  const [error, setError] = useState<string | null>(null);
  useEffect(() => setChoice(props.selectedTarget ?? 0), [props.selectedTarget]);

  const targets = props.targets ?? [];
  const chosen = targets[Math.min(choice, targets.length - 1)];
  const threads = (list.data ?? []).filter((thread) => (props.show ? props.show(thread) : true));
  const open = threads.filter((thread) => !thread.resolved);
  const resolved = threads.filter((thread) => thread.resolved);
  const focusedResolved = resolved.some((thread) => thread.id === props.focusThreadId);

  return (
    <div className="comment-threads" data-testid={testId}>
      {counts.data && !canComment ? (
        <div className="muted" data-testid={`${testId}.read-only`}>
          You can read these comments. To write, ask the owner for reviewer access.
        </div>
      ) : null}
      {props.targets && chosen && canComment ? (
        <div className="comment-new">
          {targets.length > 1 ? (
            <label className="muted comment-new-target">
              Comment on{" "}
              <select
                className="input"
                value={Math.min(choice, targets.length - 1)}
                onChange={(event) => setChoice(Number(event.target.value))}
                data-testid={`${testId}.target`}
              >
                {targets.map((item, index) => (
                  <option key={targetKey(item.target)} value={index}>
                    {item.label}
                  </option>
                ))}
              </select>
            </label>
          ) : (
            <div className="muted comment-new-target">Comment on {chosen.label}</div>
          )}
          <Composer
            placeholder="Write a comment (use @name to notify someone)"
            submitLabel="Comment"
            busy={add.isPending}
            testId={testId}
            onSubmit={(body, done) =>
              add.mutate(
                { workflowId: props.workflowId, target: chosen.target, body },
                {
                  onSuccess: () => {
                    done();
                    setError(null);
                    invalidate();
                  },
                  onError: (failure) => setError(describeError(failure)),
                },
              )
            }
          />
          {error ? (
            <div className="banner banner-error" role="alert" data-testid={`${testId}.error`}>
              {error}
            </div>
          ) : null}
        </div>
      ) : null}
      {list.isError ? (
        <div className="banner banner-error" role="alert">
          {describeError(list.error)}
        </div>
      ) : null}
      {list.isPending ? <div className="muted">Loading comments…</div> : null}
      {list.data && threads.length === 0 ? (
        <div className="muted" data-testid={`${testId}.none`}>
          No comments yet.
        </div>
      ) : null}
      {open.map((thread) => (
        <Thread
          key={thread.id}
          thread={thread}
          focused={thread.id === props.focusThreadId}
          canComment={canComment}
          onTargetClick={props.onTargetClick}
        />
      ))}
      {resolved.length > 0 ? (
        <button
          type="button"
          className="link-btn"
          onClick={() => setShowResolved((shown) => !shown)}
          data-testid={`${testId}.show-resolved`}
        >
          {showResolved || focusedResolved ? "Hide" : "Show"} {resolved.length} resolved
        </button>
      ) : null}
      {showResolved || focusedResolved
        ? resolved.map((thread) => (
            <Thread
              key={thread.id}
              thread={thread}
              focused={thread.id === props.focusThreadId}
              canComment={canComment}
              onTargetClick={props.onTargetClick}
            />
          ))
        : null}
    </div>
  );
}
