"use client";
/**
 * "3 unread comments" on a workflow's row in the list. Every row asks with the same list of ids, so React
 * Query sends one request for the whole page.
 */
import "./comments.css";
import { useQuery } from "@tanstack/react-query";
import { useTRPC } from "@/app/_trpc/provider";
import { unreadText } from "./comment-words";

export function UnreadComments(props: {
  readonly workflowIds: readonly string[];
  readonly workflowId: string;
}) {
  const trpc = useTRPC();
  const unread = useQuery({
    ...trpc.comments.unreadByWorkflow.queryOptions({ workflowIds: [...props.workflowIds] }),
    retry: false,
  });
  const count = unread.data?.[props.workflowId] ?? 0;
  if (count === 0) return null;
  return (
    <span className="unread-comments" data-testid={`workflows.item.${props.workflowId}.unread`}>
      {" "}
      · 💬 {unreadText(count)}
    </span>
  );
}
