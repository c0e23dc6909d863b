"use client";
/**
 * The bell in the app header: the signed-in person's unread count and a dropdown of their notifications
 * (mentions, replies, proposals, finished runs), each linking to its target. Anonymous visitors (the sign-in
 * pages) see no bell: the count query is refused with UNAUTHORIZED and nothing is drawn.
 */
import "./comments.css";
import { QueryClientContext, useMutation, useQuery, useQueryClient } from "@tanstack/react-query";
import Link from "next/link";
import { useContext, useEffect, useRef, useState } from "react";
import { useTRPC } from "@/app/_trpc/provider";
import { badgeNumber, timeAgo } from "./comment-words";

export function NotificationsMenu() {
  const trpc = useTRPC();
  const queryClient = useQueryClient();
  const [open, setOpen] = useState(false);
  const unread = useQuery({
    ...trpc.notifications.unreadCount.queryOptions(),
    refetchInterval: 30_000,
    retry: false,
  });
  const list = useQuery({ ...trpc.notifications.list.queryOptions({ limit: 20 }), enabled: open });
  const markRead = useMutation(trpc.notifications.markRead.mutationOptions());
  const markAll = useMutation(trpc.notifications.markAllRead.mutationOptions());
  const ref = useRef<HTMLDivElement>(null);
  useEffect(() => {
    if (!open) return;
    const close = (event: MouseEvent) => {
      if (ref.current && !ref.current.contains(event.target as Node)) setOpen(false);
    };
    document.addEventListener("mousedown", close);
    return () => document.removeEventListener("mousedown", close);
  }, [open]);
  if (unread.isError || unread.data === undefined) return null;
  const refresh = () => void queryClient.invalidateQueries({ queryKey: trpc.notifications.pathKey() });
  const count = unread.data;
  return (
    <div className="notifications" ref={ref}>
      <button
        type="button"
        className="btn btn-small notifications-bell"
        aria-expanded={open}
        aria-label={count > 0 ? `Notifications, ${count} unread` : "Notifications"}
        title="Notifications"
        data-testid="notifications.bell"
        onClick={() => setOpen((shown) => !shown)}
      >
        {/* Drawn, not an emoji: a machine without an emoji font shows an empty box for 🔔. */}
        <svg
          aria-hidden="true"
          width="14"
          height="14"
          viewBox="0 0 24 24"
          fill="none"
          stroke="currentColor"
          strokeWidth="2"
          strokeLinecap="round"
          strokeLinejoin="round"
        >
          <path d="M6 8a6 6 0 0 1 12 0c0 7 3 9 3 9H3s3-2 3-9" />
          <path d="M10.3 21a1.94 1.94 0 0 0 3.4 0" />
        </svg>
        {count > 0 ? (
          <span className="count-badge" data-testid="notifications.count">
            {badgeNumber(count)}
          </span>
        ) : null}
      </button>
      {open ? (
        <div className="notifications-menu" role="menu" data-testid="notifications.menu">
          <div className="notifications-head">
            <span>Notifications</span>
            <button
              type="button"
              className="link-btn"
              disabled={count === 0 || markAll.isPending}
              onClick={() => markAll.mutate(undefined, { onSuccess: refresh })}
              data-testid="notifications.mark-all"
            >
              Mark all read
            </button>
          </div>
          {list.isPending ? <div className="muted">Loading…</div> : null}
          {list.data && list.data.length === 0 ? <div className="muted">Nothing yet.</div> : null}
          {list.data?.map((item) => {
            const content = (
              <>
                <div>{item.line}</div>
                {item.excerpt ? <div className="notification-excerpt">{item.excerpt}</div> : null}
                <div className="faint">{timeAgo(new Date(item.createdAt))}</div>
              </>
            );
            const onOpen = () => {
              setOpen(false);
              if (!item.read) markRead.mutate({ ids: [item.id] }, { onSuccess: refresh });
            };
            return item.href ? (
              <Link
                key={item.id}
                href={item.href}
                className={`notification${item.read ? "" : " unread"}`}
                role="menuitem"
                onClick={onOpen}
                data-testid={`notifications.item.${item.kind}`}
              >
                {content}
              </Link>
            ) : (
              <button
                key={item.id}
                type="button"
                className={`notification${item.read ? "" : " unread"}`}
                role="menuitem"
                onClick={onOpen}
                data-testid={`notifications.item.${item.kind}`}
              >
                {content}
              </button>
            );
          })}
        </div>
      ) : null}
    </div>
  );
}

/**
 * The bell where the app's data providers are present (every page); nothing where they are not (a header
 * rendered on its own, e.g. in a test), so the header stays usable anywhere.
 */
export function NotificationsBell() {
  const client = useContext(QueryClientContext);
  return client ? <NotificationsMenu /> : null;
}
