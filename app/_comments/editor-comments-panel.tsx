"use client";
/**
 * The editor's comments panel: the workflow's threads (clicking a thread's target brings its node into view),
 * the box to start one on the workflow, the focused node or one of its parameters, and the counts that feed
 * the canvas badges. Opening it marks the workflow's comments as read for this person.
 */
import "./comments.css";
import { useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import { useRouter } from "next/navigation";
import { useEffect, useMemo, useState } from "react";
import { useEditorSelector } from "@/app/_editor/ui/editor-context";
import { useTRPC } from "@/app/_trpc/provider";
import { type EditorCommentTarget, commentBadges, useCommentRequest } from "./comment-badges";
import { CommentThreads } from "./comment-threads";
import { editorTargetChoices } from "./editor-comment-targets";

/** Keeps the canvas badges and the tab's unread number current while the editor is open. */
export function useEditorCommentCounts(workflowId: string) {
  const trpc = useTRPC();
  const counts = useQuery({
    ...trpc.comments.counts.queryOptions({ workflowId }),
    refetchInterval: 20_000,
  });
  useEffect(() => {
    if (counts.data) commentBadges.setCounts(counts.data);
  }, [counts.data]);
  useEffect(() => () => commentBadges.reset(), []);
  return counts.data ?? null;
}

export function EditorCommentsPanel(props: {
  readonly workflowId: string;
  readonly focusThreadId: string | null;
  readonly onFocusNode: (nodeId: string) => void;
}) {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const document = useEditorSelector((snapshot) => snapshot.document);
  const selected = useEditorSelector((snapshot) =>
    snapshot.selectedNodeIds.size === 1 ? [...snapshot.selectedNodeIds][0] : undefined,
  );
  const router = useRouter();
  const request = useCommentRequest();
  const [focus, setFocus] = useState<EditorCommentTarget | null>(request?.target ?? null);
  // A badge or "Comment" action picks the target; otherwise the selected node does.
  useEffect(() => {
    if (request) setFocus(request.target);
  }, [request]);
  useEffect(() => {
    if (selected)
      setFocus((current) =>
        current && "nodeId" in current && current.nodeId === selected
          ? current
          : { kind: "node", nodeId: selected },
      );
  }, [selected]);
  const { choices, selected: selectedChoice } = useMemo(
    () => editorTargetChoices(document, focus),
    [document, focus],
  );

  const markRead = useMutation(trpc.comments.markRead.mutationOptions());
  const { mutate } = markRead;
  const { workflowId } = props;
  useEffect(() => {
    mutate(
      { workflowId },
      {
        onSuccess: () => {
          void queryClient.invalidateQueries({ queryKey: trpc.comments.counts.queryKey({ workflowId }) });
          void queryClient.invalidateQueries({ queryKey: trpc.comments.unreadByWorkflow.queryKey() });
        },
      },
    );
  }, [mutate, workflowId, queryClient, trpc]);

  return (
    <CommentThreads
      workflowId={props.workflowId}
      targets={choices}
      selectedTarget={selectedChoice}
      focusThreadId={request?.threadId ?? props.focusThreadId}
      onTargetClick={(target) => {
        // Nodes are on this canvas; runs and proposals have their own pages.
        if ("nodeId" in target) props.onFocusNode(target.nodeId);
        else if ("runId" in target) router.push(`/runs/${encodeURIComponent(target.runId)}`);
        else if ("proposalId" in target) {
          router.push(
            `/workflows/${encodeURIComponent(props.workflowId)}/proposals/${encodeURIComponent(target.proposalId)}`,
          );
        }
      }}
      testId="comments"
    />
  );
}
