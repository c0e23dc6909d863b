/**
 * What the canvas needs to know about comments, readable by every node card without threading props through
 * React Flow (like the live run store): the open-thread counts per node and per parameter, and a request to
 * open the comments panel on a target (a node's badge, a parameter's marker, a "Comment" action). Plain
 * TypeScript plus one hook; the editor's comments panel writes it.
 */
import { useSyncExternalStore } from "react";

export type EditorCommentTarget =
  | { kind: "workflow" }
  | { kind: "node"; nodeId: string }
  | { kind: "param"; nodeId: string; paramKey: string };

export interface CommentBadgeSnapshot {
  byNode: Readonly<Record<string, number>>;
  byParam: Readonly<Record<string, number>>;
  /** The latest request to open the panel on a target (a new object each time, so repeats are seen). */
  request: { target: EditorCommentTarget; threadId?: string } | null;
}

const EMPTY: CommentBadgeSnapshot = { byNode: {}, byParam: {}, request: null };

export class CommentBadgeStore {
  private snapshot: CommentBadgeSnapshot = EMPTY;
  private readonly listeners = new Set<() => void>();

  getSnapshot = (): CommentBadgeSnapshot => this.snapshot;

  subscribe = (listener: () => void): (() => void) => {
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  };

  setCounts(counts: { byNode: Record<string, number>; byParam: Record<string, number> }): void {
    this.update({ byNode: counts.byNode, byParam: counts.byParam });
  }

  /** Asks the editor to show the comments panel on `target` (and a thread in it, if given). */
  requestOpen(target: EditorCommentTarget, threadId?: string): void {
    this.update({ request: threadId ? { target, threadId } : { target } });
  }

  reset(): void {
    this.snapshot = EMPTY;
    this.emit();
  }

  private update(next: Partial<CommentBadgeSnapshot>): void {
    this.snapshot = { ...this.snapshot, ...next };
    this.emit();
  }

  private emit(): void {
    for (const listener of this.listeners) listener();
  }
}

/** One editor per page, so one store per page. */
export const commentBadges = new CommentBadgeStore();

/** A node's open threads (its own and its parameters'). */
export function nodeCommentCount(snapshot: CommentBadgeSnapshot, nodeId: string): number {
  return snapshot.byNode[nodeId] ?? 0;
}

export function paramCommentCount(snapshot: CommentBadgeSnapshot, nodeId: string, paramKey: string): number {
  return snapshot.byParam[`${nodeId}:${paramKey}`] ?? 0;
}

/** Re-renders only when the selected number changes. */
export function useCommentBadgeCount(select: (snapshot: CommentBadgeSnapshot) => number): number {
  return useSyncExternalStore(
    commentBadges.subscribe,
    () => select(commentBadges.getSnapshot()),
    () => 0,
  );
}

export function useCommentRequest(): CommentBadgeSnapshot["request"] {
  return useSyncExternalStore(
    commentBadges.subscribe,
    () => commentBadges.getSnapshot().request,
    () => null,
  );
}
