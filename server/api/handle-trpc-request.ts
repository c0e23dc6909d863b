/**
 * The tRPC HTTP entry (app/api/trpc/[trpc]/route.ts calls it). Before any procedure runs, the request's JSON
 * — the POST body, read with a byte cap even when it comes chunked without a Content-Length, or the GET
 * `input` parameter — goes through the one untrusted-JSON parser: size (MAX_BODY_BYTES, 413), depth
 * (MAX_JSON_DEPTH) and keys that reach a prototype are refused with a readable message. A refused request
 * never reaches a procedure, so it stores nothing. The proxy's Content-Length check (server/http/) answers
 * earlier for declared sizes; this one is the backstop that holds for every body.
 */
import { TRPCError } from "@trpc/server";
import { fetchRequestHandler } from "@trpc/server/adapters/fetch";
import { tooLargeMessage } from "../http/body-limit";
import { requestBodyLimits } from "../json/json-limits";
import { parseUntrustedJson, type UntrustedJsonLimits } from "../json/parse-untrusted-json";
import { AppError } from "../errors";
import { appRouter } from "./root";
import { createTRPCContext, newRequestId, type TrpcContext } from "./trpc";

export const TRPC_ENDPOINT = "/api/trpc";

export interface HandleTrpcRequestOptions {
  /** Tests pass their own database; the app's context otherwise. */
  createContext?: (requestId: string) => Promise<TrpcContext>;
  limits?: UntrustedJsonLimits;
}

type BodyRead = { ok: true; bytes: Uint8Array<ArrayBuffer> | null } | { ok: false; refusal: TRPCError };

function refusal(code: "PAYLOAD_TOO_LARGE" | "BAD_REQUEST", error: AppError): TRPCError {
  return new TRPCError({ code, message: error.message, cause: error });
}

/** Reads the body chunk by chunk and stops at the first byte past the limit (nothing more is buffered). */
async function readCappedBody(request: Request, limit: number): Promise<BodyRead> {
  if (!request.body) return { ok: true, bytes: null };
  const tooLarge = () => ({
    ok: false as const,
    refusal: refusal(
      "PAYLOAD_TOO_LARGE",
      new AppError("PAYLOAD_TOO_LARGE", tooLargeMessage(limit), { limit }),
    ),
  });
  const declared = request.headers.get("content-length");
  if (declared !== null && Number(declared) > limit) {
    await request.body.cancel().catch(() => undefined);
    return tooLarge();
  }
  const reader = request.body.getReader();
  const chunks: Uint8Array[] = [];
  let total = 0;
  for (;;) {
    const { done, value } = await reader.read();
    if (done) break;
    total += value.byteLength;
    if (total > limit) {
      await reader.cancel().catch(() => undefined);
      return tooLarge();
    }
    chunks.push(value);
  }
  const bytes = new Uint8Array(total);
  let offset = 0;
  for (const chunk of chunks) {
    bytes.set(chunk, offset);
    offset += chunk.byteLength;
  }
  return { ok: true, bytes };
}

/** The JSON a tRPC request carries, checked; null when it passes. */
function checkJson(text: string, source: string, limits: UntrustedJsonLimits): TRPCError | null {
  const parsed = parseUntrustedJson(text, source, limits);
  if (parsed.ok) return null;
  const { code, message, line, column, limit } = parsed.problem;
  const error = new AppError(code === "too-large" ? "PAYLOAD_TOO_LARGE" : "VALIDATION", message, {
    issues: [{ code, message, ...(line !== undefined ? { line, column } : {}) }],
    ...(limit !== undefined ? { limit } : {}),
  });
  return refusal(code === "too-large" ? "PAYLOAD_TOO_LARGE" : "BAD_REQUEST", error);
}

export async function handleTrpcRequest(
  request: Request,
  options: HandleTrpcRequestOptions = {},
): Promise<Response> {
  const limits = options.limits ?? requestBodyLimits();
  const requestId = newRequestId();
  let refused: TRPCError | null = null;
  let forwarded = request;

  const input = new URL(request.url).searchParams.get("input");
  if (input !== null) refused = checkJson(input, "The request's input", limits);

  if (!refused && request.method !== "GET" && request.method !== "HEAD") {
    const body = await readCappedBody(request, limits.maxBytes);
    if (!body.ok) refused = body.refusal;
    else if (body.bytes) {
      // An empty body is tRPC's to judge (a mutation without input); the stream is spent either way.
      if (body.bytes.byteLength > 0) {
        refused = checkJson(new TextDecoder().decode(body.bytes), "The request body", limits);
      }
      const headers = new Headers(request.headers);
      headers.delete("transfer-encoding");
      headers.set("content-length", String(body.bytes.byteLength));
      forwarded = new Request(request.url, { method: request.method, headers, body: body.bytes });
    }
  }
  if (refused) {
    // Only the refusal travels on: the procedures never see the body or input, so nothing is stored.
    const url = new URL(request.url);
    if (url.searchParams.has("input")) url.searchParams.set("input", "{}");
    const hasBody = request.method !== "GET" && request.method !== "HEAD";
    forwarded = new Request(url, {
      method: request.method,
      headers: { "content-type": "application/json" },
      ...(hasBody ? { body: "{}" } : {}),
    });
  }
  const failure = refused;

  return fetchRequestHandler({
    endpoint: TRPC_ENDPOINT,
    req: forwarded,
    router: appRouter,
    createContext: async () => {
      if (failure) throw failure;
      return options.createContext
        ? options.createContext(requestId)
        : createTRPCContext({ headers: request.headers, requestId });
    },
  });
}
