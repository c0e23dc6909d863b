/** Plain words for comment counts, times and targets, shared by the panel, badges and the run page. */

export function openCommentsText(count: number): string {
  return count === 1 ? "1 open comment" : `${count} open comments`;
}

export function unreadText(count: number): string {
  return count === 1 ? "1 unread comment" : `${count} unread comments`;
}

/** "just now", "5 min ago", "3 h ago", "2 days ago", then the date. */
export function timeAgo(when: Date, now: Date = new Date()): string {
  const seconds = Math.max(0, Math.round((now.getTime() - when.getTime()) / 1000));
  if (seconds < 45) return "just now";
  const minutes = Math.round(seconds / 60);
  if (minutes < 60) return `${minutes} min ago`;
  const hours = Math.round(minutes / 60);
  if (hours < 24) return `${hours} h ago`;
  const days = Math.round(hours / 24);
  if (days < 7) return days === 1 ? "yesterday" : `${days} days ago`;
  return when.toISOString().slice(0, 10);
}

/** The badge's number: capped so it fits on a card. */
export function badgeNumber(count: number): string {
  return count > 99 ? "99+" : String(count);
}

/** Keys of the editor's comment targets, for comparing a thread's target with the one being shown. */
export function targetKey(
  target:
    | { kind: string; nodeId?: string; paramKey?: string; runId?: string; iteration?: number }
    | null
    | undefined,
): string {
  if (!target) return "";
  return [
    target.kind,
    target.nodeId ?? "",
    target.paramKey ?? "",
    target.runId ?? "",
    target.iteration ?? "",
  ].join(":");
}
