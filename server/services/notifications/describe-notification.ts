/**
 * A notification's line and link, in plain words: "Ana mentioned you on Guard › Strength (γ) in “Cats”",
 * "Your run of version 4 of “Cats” finished — best score 0.82". Pure (tested without a database).
 */
import { numberText } from "@/nodes/graph/format-issues";

export type NotificationData = Record<string, string | number | boolean | null>;

function text(data: NotificationData, key: string): string | null {
  const value = data[key];
  return typeof value === "string" && value !== "" ? value : null;
}

export function describeNotification(
  kind: string,
  data: NotificationData,
): { line: string; href: string | null } {
  const workflow = text(data, "workflowName");
  const inWorkflow = workflow ? ` in “${workflow}”` : "";
  const who = text(data, "authorName") ?? text(data, "actorName") ?? "Someone";
  const href = text(data, "href");
  const link = href?.startsWith("/") ? href : null;
  switch (kind) {
    case "mention":
      return {
        line: `${who} mentioned you on ${text(data, "target") ?? "a comment"}${inWorkflow}`,
        href: link,
      };
    case "reply":
      return { line: `${who} replied on ${text(data, "target") ?? "a thread"}${inWorkflow}`, href: link };
    case "run-finished": {
      const version = typeof data.versionNumber === "number" ? `version ${data.versionNumber}` : "a version";
      const of = workflow ? ` of “${workflow}”` : "";
      const status = text(data, "status");
      const best = typeof data.bestReward === "number" ? data.bestReward : null;
      const runHref = text(data, "runId")
        ? `/runs/${encodeURIComponent(text(data, "runId") as string)}`
        : link;
      if (status === "succeeded") {
        return {
          line: `Your run of ${version}${of} finished${best !== null ? ` — best score ${numberText(best)}` : ""}`,
          href: runHref,
        };
      }
      if (status === "failed") return { line: `Your run of ${version}${of} failed`, href: runHref };
      return { line: `Your run of ${version}${of} was cancelled`, href: runHref };
    }
    case "proposal": {
      const title = text(data, "title");
      return { line: `${who} proposed ${title ? `“${title}”` : "a change"}${inWorkflow}`, href: link };
    }
    case "proposal-decided": {
      const decision = text(data, "decision") ?? text(data, "status");
      const title = text(data, "title");
      const verb = decision === "accepted" ? "accepted" : decision === "declined" ? "declined" : "decided on";
      const version =
        decision === "accepted" && typeof data.versionNumber === "number"
          ? ` as version ${data.versionNumber}`
          : "";
      return {
        line: `${who} ${verb} your proposal${title ? ` “${title}”` : ""}${inWorkflow}${version}`,
        href: link,
      };
    }
    case "shared": {
      const role = text(data, "role");
      const as = role ? ` as ${role}` : "";
      const named = text(data, "authorName") ?? text(data, "actorName") ?? text(data, "name");
      if (data.viaLink === true) {
        return {
          line: `${named ?? "Someone"} joined “${workflow ?? "a workflow"}” through a share link${as}`,
          href: link,
        };
      }
      return {
        line: named
          ? `${named} shared “${workflow ?? "a workflow"}” with you${as}`
          : `“${workflow ?? "A workflow"}” was shared with you${as}`,
        href: link,
      };
    }
    default:
      return { line: `${who}: ${kind}${inWorkflow}`, href: link };
  }
}

export function readNotificationData(raw: string): NotificationData {
  try {
    const parsed: unknown = JSON.parse(raw);
    if (typeof parsed !== "object" || parsed === null || Array.isArray(parsed)) return {};
    const data: NotificationData = {};
    for (const [key, value] of Object.entries(parsed)) {
      if (value === null || ["string", "number", "boolean"].includes(typeof value)) {
        data[key] = value as string | number | boolean | null;
      }
    }
    return data;
  } catch {
    return {};
  }
}
