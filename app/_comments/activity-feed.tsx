"use client";
/** A workflow's activity, newest first, in readable lines with people's names; older entries on demand. */
import "./comments.css";
import { useInfiniteQuery } from "@tanstack/react-query";
import Link from "next/link";
import { describeError } from "@/app/_lib/errors";
import { useTRPC } from "@/app/_trpc/provider";
import { timeAgo } from "./comment-words";

export function ActivityFeed(props: { readonly workflowId: string }) {
  const trpc = useTRPC();
  const feed = useInfiniteQuery(
    trpc.activity.list.infiniteQueryOptions(
      { workflowId: props.workflowId, limit: 30 },
      { getNextPageParam: (page) => page.nextCursor ?? undefined },
    ),
  );
  if (feed.isPending) return <div className="muted">Loading activity…</div>;
  if (feed.isError) {
    return (
      <div className="banner banner-error" role="alert">
        {describeError(feed.error)}
      </div>
    );
  }
  const items = feed.data.pages.flatMap((page) => page.items);
  if (items.length === 0)
    return (
      <div className="muted" data-testid="activity.none">
        Nothing has happened yet.
      </div>
    );
  return (
    <div className="activity-feed" data-testid="activity.list">
      {items.map((item) => (
        <div key={item.id} className="activity-item" data-testid={`activity.${item.kind}`}>
          <div>{item.href ? <Link href={item.href}>{item.line}</Link> : item.line}</div>
          <div className="faint" title={new Date(item.createdAt).toLocaleString()}>
            {timeAgo(new Date(item.createdAt))}
          </div>
        </div>
      ))}
      {feed.hasNextPage ? (
        <button
          type="button"
          className="btn btn-small"
          disabled={feed.isFetchingNextPage}
          onClick={() => void feed.fetchNextPage()}
          data-testid="activity.more"
        >
          {feed.isFetchingNextPage ? "Loading…" : "Show older"}
        </button>
      ) : null}
    </div>
  );
}
