/**
 * Who a comment mentions: `@email` or `@name` of someone who can open the workflow. Names may contain spaces
 * ("@Ana Lopez"), so instead of guessing where a name ends, each person's name and email are looked for after
 * an "@" (case-insensitive), ending at a character that cannot continue a name. Longer names win, so
 * "@Ana Lopez" does not also mention an "Ana".
 */

export interface MentionCandidate {
  id: string;
  name: string;
  email: string;
}

/** A character that may continue a name or an email: letters, digits, and the joiners inside emails. */
const CONTINUES = /[\p{L}\p{N}_.@+-]/u;

function mentionsAt(lower: string, handle: string): Array<{ start: number; end: number }> {
  const found: Array<{ start: number; end: number }> = [];
  const needle = `@${handle.toLowerCase()}`;
  if (needle.length < 2) return found;
  for (let at = lower.indexOf(needle); at !== -1; at = lower.indexOf(needle, at + 1)) {
    const before = at === 0 ? "" : lower[at - 1]!;
    const end = at + needle.length;
    // A sentence may end right after the name: "thanks @ana." mentions ana.
    const after = lower.slice(end);
    const next = after[0] ?? "";
    const nextContinues = next !== "" && CONTINUES.test(next) && !/^[.]($|\s)/.test(after);
    if (before !== "" && CONTINUES.test(before)) continue;
    if (nextContinues) continue;
    found.push({ start: at, end });
  }
  return found;
}

/** The ids of the candidates the body mentions, in the order of their first mention. */
export function findMentions(body: string, candidates: readonly MentionCandidate[]): string[] {
  const lower = body.toLowerCase();
  const hits: Array<{ id: string; start: number; end: number }> = [];
  for (const person of candidates) {
    for (const handle of [person.email, person.name.trim()]) {
      for (const span of mentionsAt(lower, handle)) hits.push({ id: person.id, ...span });
    }
  }
  // Longest first, then drop hits inside a longer one ("@Ana Lopez" hides "@Ana").
  hits.sort((a, b) => b.end - b.start - (a.end - a.start) || a.start - b.start);
  const kept: typeof hits = [];
  for (const hit of hits) {
    if (!kept.some((other) => hit.start >= other.start && hit.end <= other.end && other.id !== hit.id)) {
      kept.push(hit);
    }
  }
  kept.sort((a, b) => a.start - b.start);
  return [...new Set(kept.map((hit) => hit.id))];
}
