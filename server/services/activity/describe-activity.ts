/**
 * One feed line per activity, in plain words with people's names: "Ana ran version 4", "Ana's run of version
 * 4 finished — best score 0.82", "Ben commented on Guard › Strength (γ)". Pure, so the wording is tested
 * without a database.
 */
import { numberText } from "@/nodes/graph/format-issues";

export type ActivityData = Record<string, string | number | boolean | null>;

function text(data: ActivityData, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && value !== "" ? value : null;
}

function num(data: ActivityData, key: string): number | null {
  const value = data[key];
  return typeof value === "number" && Number.isFinite(value) ? value : null;
}

function version(data: ActivityData, key = "versionNumber"): string {
  const value = num(data, key);
  return value === null ? "a version" : `version ${value}`;
}

/**
 * `actor` is the name of whoever did it (null for the app itself); `names` resolves people ids stored in the
 * data (a run's starter, a share's recipient).
 */
export function describeActivity(
  kind: string,
  data: ActivityData,
  actor: string | null,
  names: ReadonlyMap<string, string> = new Map(),
): string {
  const who = actor ?? "The app";
  const titleText = text(data, "title");
  const title = titleText ? ` “${titleText}”` : "";
  const person = (key: string, fallback: string) => {
    const id = text(data, key);
    return (
      (id ? names.get(id) : undefined) ??
      text(data, `${key.replace(/Id$/, "")}Name`) ??
      (key === "userId" ? text(data, "name") : null) ??
      fallback
    );
  };
  switch (kind) {
    case "created":
      return `${who} created the workflow`;
    case "saved": {
      const message = text(data, "message");
      return `${who} saved ${version(data)}${message && message !== "Saved" ? ` — “${message}”` : ""}`;
    }
    case "renamed":
      return `${who} renamed the workflow${text(data, "from") ? ` from “${text(data, "from")}”` : ""} to “${text(data, "to") ?? "?"}”`;
    case "restored-version":
      return `${who} restored version ${num(data, "restoredNumber") ?? "?"} as ${version(data)}`;
    case "ran":
      return `${who} ran ${version(data)}`;
    case "run-finished": {
      const starter = person("starterId", "");
      const whose = starter ? `${starter}’s run` : "A run";
      const status = text(data, "status");
      const best = num(data, "bestReward");
      if (status === "succeeded") {
        return `${whose} of ${version(data)} finished${best !== null ? ` — best score ${numberText(best)}` : ""}`;
      }
      if (status === "failed") return `${whose} of ${version(data)} failed`;
      return `${whose} of ${version(data)} was cancelled`;
    }
    case "commented":
      return `${who} ${data.reply === true ? "replied on" : "commented on"} ${text(data, "target") ?? "the workflow"}`;
    case "proposed":
      return `${who} proposed a change${title}`;
    case "proposal-ran":
      return `${who} ran the proposal${title}`;
    case "accepted": {
      const author = person("authorId", "");
      const as = num(data, "versionNumber") !== null ? ` as ${version(data)}` : "";
      return `${who} accepted ${author ? `${author}’s` : "a"} proposal${title}${as}`;
    }
    case "declined": {
      const author = person("authorId", "");
      return `${who} declined ${author ? `${author}’s` : "a"} proposal${title}`;
    }
    case "shared": {
      const role = text(data, "role");
      const as = role ? ` as ${role}` : "";
      if (text(data, "viaLink")) return `${who} joined through a share link${as}`;
      const previous = text(data, "previousRole");
      if (previous && role && previous !== role) {
        return `${who} changed ${person("userId", "someone")}’s access from ${previous} to ${role}`;
      }
      return `${who} shared the workflow with ${person("userId", "someone")}${as}`;
    }
    case "unshared":
      if (data.left === true) return `${who} left the workflow`;
      return `${who} removed ${person("userId", "someone")}’s access`;
    case "link-created":
      return `${who} created a share link${text(data, "role") ? ` (${text(data, "role")})` : ""}`;
    case "link-revoked":
      return `${who} revoked a share link`;
    case "deleted":
      return `${who} moved the workflow to the trash`;
    case "restored":
      return `${who} restored the workflow from the trash`;
    default:
      return `${who}: ${kind}`;
  }
}

/** Ids of people named in an activity's data (resolved to names when the feed is listed). */
export const PERSON_KEYS = ["starterId", "authorId", "userId"] as const;
