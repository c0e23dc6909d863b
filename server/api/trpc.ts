/**
 * tRPC setup (create-t3-app's shape): the request context, superjson, and the one place where application
 * errors become transport errors. The error formatter gives the client `appCode` (AppError's code, or
 * VALIDATION for rejected input), `issues` (per node / parameter / field) and `details`.
 */
import { initTRPC, TRPCError } from "@trpc/server";
import superjson from "superjson";
import { getDb } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import { AppError, type AppErrorCode, type AppIssue, TRPC_CODE_BY_APP_CODE } from "../errors";
import { ANONYMOUS, type ServiceContext } from "../services/context";

export type TrpcContext = ServiceContext;

/** Context of one HTTP request. Accounts will read the session from `headers` here. */
export async function createTRPCContext(_options: { headers: Headers }): Promise<TrpcContext> {
  // Memoized: costs nothing after the first request; covers servers started without the instrumentation hook.
  await ensureDatabaseReady();
  return { db: getDb(), actor: ANONYMOUS };
}

/** Issues of a rejected input (zod / Standard Schema), as AppIssues with the field path. */
function inputIssues(cause: unknown): AppIssue[] | null {
  if (typeof cause !== "object" || cause === null || !("issues" in cause) || !Array.isArray(cause.issues)) {
    return null;
  }
  const issues: AppIssue[] = [];
  for (const raw of cause.issues as unknown[]) {
    if (typeof raw !== "object" || raw === null) continue;
    const message = "message" in raw && typeof raw.message === "string" ? raw.message : "Invalid value";
    const path =
      "path" in raw && Array.isArray(raw.path)
        ? raw.path
            .map((key: unknown) =>
              typeof key === "object" && key !== null && "key" in key ? (key as { key: unknown }).key : key,
            )
            .filter(
              (key: unknown): key is string | number => typeof key === "string" || typeof key === "number",
            )
        : [];
    issues.push({
      message: path.length > 0 ? `${path.join(".")}: ${message}` : message,
      code: "invalid-input",
      path,
    });
  }
  return issues;
}

const t = initTRPC.context<TrpcContext>().create({
  transformer: superjson,
  errorFormatter({ shape, error }) {
    const cause = error.cause;
    let appCode: AppErrorCode | null = null;
    let issues: AppIssue[] = [];
    let details: Record<string, unknown> = {};
    if (cause instanceof AppError) {
      appCode = cause.code;
      issues = cause.issues;
      const { issues: _issues, ...rest } = cause.details;
      details = rest;
    } else if (error.code === "BAD_REQUEST") {
      const fromInput = inputIssues(cause);
      if (fromInput) {
        appCode = "VALIDATION";
        issues = fromInput;
      }
    }
    return { ...shape, data: { ...shape.data, appCode, issues, details } };
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
