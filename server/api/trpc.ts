/**
 * tRPC setup (create-t3-app's shape): the request context, superjson, and the one place where application
 * errors become transport errors. The error formatter gives the client `appCode` (AppError's code, or
 * VALIDATION for rejected input), `issues` (per node / parameter / field) and `details`. Messages are for
 * people: input errors are sentences (nodes/graph/format-issues.ts), never zod JSON; a server failure answers
 * with a request id while its details go to the server log; no stack is sent.
 */
import { randomBytes } from "node:crypto";
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { getDb } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { AppError, type AppErrorCode, type AppIssue, TRPC_CODE_BY_APP_CODE } from "../errors";
import { formatInputIssues, type InputIssueLike, joinIssueMessages } from "@/nodes/graph/format-issues";
import { isJavaScriptInternalError, sanitizeErrorMessage } from "../sanitize-message";
import { actorFromHeaders } from "../auth/actor-from-request";
import { appOrigin } from "../auth/app-origin";
import type { ServiceContext } from "../services/context";

export interface TrpcContext extends ServiceContext {
  /** Quoted in messages about server failures; the server log carries the same id with the details. */
  requestId?: string;
  /** Where links in mails point (invitations): BETTER_AUTH_URL or the request's own origin. */
  origin?: string;
}

/** A short id that a user can quote and an operator can find in the server log. */
export function newRequestId(): string {
  return randomBytes(6).toString("hex");
}

/**
 * Context of one HTTP request: the actor is the session cookie's account or the `Authorization: Bearer`
 * personal API token's (server/auth/actor-from-request.ts); anonymous otherwise.
 */
export async function createTRPCContext(options: {
  headers: Headers;
  requestId?: string;
}): Promise<TrpcContext> {
  // Memoized: costs nothing after the first request; covers servers started without the instrumentation hook.
  await ensureDatabaseReady();
  const db = getDb();
  const actor = await actorFromHeaders(options.headers, { db });
  return { db, actor, requestId: options.requestId ?? newRequestId(), origin: appOrigin(options.headers) };
}

/** A rejected input (zod / Standard Schema) as located, readable issues; null when `cause` is not one. */
function inputIssues(cause: unknown): AppIssue[] | null {
  if (typeof cause !== "object" || cause === null || !("issues" in cause) || !Array.isArray(cause.issues)) {
    return null;
  }
  return formatInputIssues(cause.issues as InputIssueLike[]).map(({ message, path }) => ({
    message,
    code: "invalid-input",
    path,
  }));
}

export function unreadableInputMessage(requestId: string): string {
  return `The request's input is not in the form this server expects (request id ${requestId}). Reload the page and try again.`;
}

export function internalErrorMessage(requestId: string): string {
  return `Something went wrong on the server (request id ${requestId}). The details are in the server log.`;
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error, ctx, path }) {
    const cause = error.cause;
    let appCode: AppErrorCode | null = null;
    let issues: AppIssue[] = [];
    let details: Record<string, unknown> = {};
    let message = sanitizeErrorMessage(shape.message);
    const fromInput = error.code === "BAD_REQUEST" ? inputIssues(cause) : null;
    if (cause instanceof AppError && cause.code !== "INTERNAL") {
      appCode = cause.code;
      issues = cause.issues.map((issue) => ({ ...issue, message: sanitizeErrorMessage(issue.message) }));
      const { issues: _issues, ...rest } = cause.details;
      details = rest;
    } else if (fromInput) {
      appCode = "VALIDATION";
      issues = fromInput;
      message = joinIssueMessages(fromInput.map((issue) => issue.message));
    } else if (error.code === "INTERNAL_SERVER_ERROR" || isJavaScriptInternalError(cause)) {
      // Stack traces, JavaScript internals and server paths stay in the log, under an id the user can quote.
      const requestId = ctx?.requestId ?? newRequestId();
      console.error(`[request ${requestId}] tRPC ${path ?? "(unknown path)"} failed:`, cause ?? error);
      const internal = error.code === "INTERNAL_SERVER_ERROR";
      appCode = internal ? "INTERNAL" : "VALIDATION";
      // A malformed request (e.g. a null superjson payload) trips JavaScript inside tRPC: the client's fault.
      message = internal ? internalErrorMessage(requestId) : unreadableInputMessage(requestId);
      details = { requestId };
    }
    const { stack: _stack, ...data } = shape.data;
    return { ...shape, message, data: { ...data, appCode, issues, details } };
  },
});

/** AppError → TRPCError with the mapped code; the AppError stays the cause for the formatter. */
const mapAppErrors = t.middleware(async ({ next }) => {
  const result = await next();
  if (!result.ok && result.error.cause instanceof AppError) {
    const cause = result.error.cause;
    throw new TRPCError({ code: TRPC_CODE_BY_APP_CODE[cause.code], message: cause.message, cause });
  }
  return result;
});

export const createTRPCRouter = t.router;
export const createCallerFactory = t.createCallerFactory;
/** No accounts yet: every procedure is public; services check authorization per record. */
export const publicProcedure = t.procedure.use(mapAppErrors);
