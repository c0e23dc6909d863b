/**
 * The cluster harness's web server when there is no production build to `next start`: the app's own tRPC
 * handler (`/api/trpc/*`, progress streams included) and artifact route (`/api/artifacts/<id>`) behind a
 * plain Node HTTP server on 127.0.0.1:$PORT, with the run-event bridge started as instrumentation.ts starts
 * it. Same code paths as the routes in app/api/, without pages.
 *
 *   PORT=3200 DATABASE_URL=postgresql://… node --import tsx server/cluster/testing/web-server.ts
 */
import http from "node:http";
import { Readable } from "node:stream";
import { artifactResponse } from "../../api/artifact-response";
import { handleTrpcRequest } from "../../api/handle-trpc-request";
import { createTRPCContext } from "../../api/trpc";
import { ensureDatabaseReady } from "../../db/ready";
import { startRunEventBridge } from "../../worker/run-event-bridge";

async function route(request: Request): Promise<Response> {
  const url = new URL(request.url);
  if (url.pathname.startsWith("/api/trpc/")) return handleTrpcRequest(request);
  const artifact = /^\/api\/artifacts\/([^/]+)$/.exec(url.pathname);
  if (artifact?.[1] && request.method === "GET") {
    const ctx = await createTRPCContext({ headers: request.headers });
    return artifactResponse(request, ctx, decodeURIComponent(artifact[1]));
  }
  return new Response("Not found", { status: 404 });
}

function toRequest(incoming: http.IncomingMessage, port: number, signal: AbortSignal): Request {
  const headers = new Headers();
  for (const [name, value] of Object.entries(incoming.headers)) {
    if (Array.isArray(value)) for (const item of value) headers.append(name, item);
    else if (value !== undefined) headers.set(name, value);
  }
  const hasBody = incoming.method !== "GET" && incoming.method !== "HEAD";
  return new Request(`http://127.0.0.1:${port}${incoming.url ?? "/"}`, {
    method: incoming.method ?? "GET",
    headers,
    signal,
    ...(hasBody ? { body: Readable.toWeb(incoming) as ReadableStream<Uint8Array>, duplex: "half" } : {}),
  });
}

async function main(): Promise<void> {
  const port = Number(process.env.PORT);
  if (!Number.isInteger(port) || port <= 0) throw new Error("Set PORT to the port to listen on.");
  await ensureDatabaseReady({ seed: false });
  // As instrumentation.ts does for `next start`: workers' progress arrives over LISTEN/NOTIFY.
  startRunEventBridge();
  const server = http.createServer((incoming, outgoing) => {
    // Aborts the handler (and a progress stream's generator) when the client goes away.
    const controller = new AbortController();
    outgoing.once("close", () => controller.abort());
    void (async () => {
      try {
        const response = await route(toRequest(incoming, port, controller.signal));
        outgoing.writeHead(response.status, Object.fromEntries(response.headers));
        if (response.body) {
          const reader = response.body.getReader();
          for (;;) {
            const { done, value } = await reader.read();
            if (done || controller.signal.aborted) break;
            outgoing.write(value);
          }
        }
        outgoing.end();
      } catch (error) {
        if (controller.signal.aborted) return;
        console.error("cluster web server:", error);
        if (!outgoing.headersSent) outgoing.writeHead(500);
        outgoing.end();
      }
    })();
  });
  server.listen(port, "127.0.0.1", () => console.log(`Cluster web server listening on ${port}.`));
}

main().catch((error: unknown) => {
  console.error("The cluster web server failed to start:", error);
  process.exit(1);
});
