/** The delete dialog's question when a workflow still has runs going: they are cancelled with it. */
export function activeRunsQuestion(counts: { running: number; queued: number }): string | null {
  const parts: string[] = [];
  const phrase = (count: number, kind: string) => `${count} ${kind} run${count === 1 ? "" : "s"}`;
  if (counts.running > 0) parts.push(phrase(counts.running, "running"));
  if (counts.queued > 0) parts.push(phrase(counts.queued, "queued"));
  if (parts.length === 0) return null;
  const total = counts.running + counts.queued;
  return `This workflow has ${parts.join(" and ")}. Delete and cancel ${total === 1 ? "it" : "them"}?`;
}
