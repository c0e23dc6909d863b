/**
 * Turns a failed tRPC call into the text shown to the user. The server's messages name the problem and the
 * place (AppError), so they are shown verbatim, followed by the per-node issues when there are any (worded
 * by nodes/graph/format-issues.ts on the server). Transport failures become a sentence, never a parse error.
 */
import { TRPCClientError } from "@trpc/client";
import { asSentence } from "@/nodes/graph/format-issues";

interface IssueLike {
  readonly message: string;
}

function readIssues(data: unknown): IssueLike[] {
  if (typeof data !== "object" || data === null || !("issues" in data)) return [];
  const issues = (data as { issues: unknown }).issues;
  if (!Array.isArray(issues)) return [];
  return issues.filter(
    (issue): issue is IssueLike =>
      typeof issue === "object" && issue !== null && typeof (issue as IssueLike).message === "string",
  );
}

export function errorAppCode(error: unknown): string | undefined {
  if (!(error instanceof TRPCClientError)) return undefined;
  const data: unknown = error.data;
  if (typeof data !== "object" || data === null) return undefined;
  const record = data as { appCode?: unknown; code?: unknown };
  if (typeof record.appCode === "string") return record.appCode;
  return typeof record.code === "string" ? record.code : undefined;
}

/** The HTTP status of a response that was not a tRPC answer (a proxy's refusal, a crashed server). */
function responseStatus(error: TRPCClientError<never>): number | undefined {
  const response = error.meta?.response;
  return response instanceof Response ? response.status : undefined;
}

/** What a status means when the answer carried no message the app wrote. */
function statusSentence(status: number | undefined): string {
  if (status === 413)
    return "The request is larger than the server accepts. Send less data (a smaller file).";
  if (status === 421)
    return "The server does not answer to this address. Open the app by the address it was started with.";
  if (status !== undefined && status >= 500)
    return "The server could not answer. Try again; if it persists, the server log says why.";
  return "The server's answer could not be read. Try again.";
}

export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    // A response that is not tRPC's JSON (e.g. a plain-text refusal): its parse error means nothing to a user.
    if (error.data === undefined || error.data === null) return statusSentence(responseStatus(error));
    const issues = readIssues(error.data).filter((issue) => !error.message.includes(issue.message));
    const shown = issues.slice(0, 8).map((issue) => `• ${asSentence(issue.message)}`);
    if (issues.length > shown.length) shown.push(`• …and ${issues.length - shown.length} more`);
    return [error.message, ...shown].join("\n");
  }
  if (error instanceof TypeError)
    return "The server could not be reached. Check the connection and try again.";
  if (error instanceof Error) return error.message;
  return String(error);
}

/** Saves text as a file in the browser's downloads. */
export function downloadText(fileName: string, text: string, mime = "application/json"): void {
  const url = URL.createObjectURL(new Blob([text], { type: mime }));
  const link = document.createElement("a");
  link.href = url;
  link.download = fileName;
  document.body.appendChild(link);
  link.click();
  link.remove();
  setTimeout(() => URL.revokeObjectURL(url), 1000);
}

export function safeFileName(name: string): string {
  const cleaned = name
    .trim()
    .replace(/[^a-z0-9._-]+/gi, "-")
    .replace(/^-+|-+$/g, "");
  return cleaned === "" ? "workflow" : cleaned.slice(0, 80);
}
