/**
 * Turns a failed tRPC call into the text shown to the user. The server's messages name the problem and the
 * place (AppError), so they are shown verbatim, followed by the per-node issues when there are any.
 */
import { TRPCClientError } from "@trpc/client";

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

export function describeError(error: unknown): string {
  if (error instanceof TRPCClientError) {
    const issues = readIssues(error.data).filter((issue) => !error.message.includes(issue.message));
    const shown = issues.slice(0, 8).map((issue) => `• ${issue.message}`);
    if (issues.length > shown.length) shown.push(`• …and ${issues.length - shown.length} more`);
    return [error.message, ...shown].join("\n");
  }
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
