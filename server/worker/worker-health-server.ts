/**
 * A worker process's health endpoints on DNO_WORKER_HEALTH_PORT (unset: none), for systemd, compose or an
 * orchestrator: GET /live (the process answers) and GET /ready (registered, not stopping, heartbeat recent —
 * which also means the database answers —, the artifact store answering, and on PostgreSQL the run-event
 * bridge listening, which carries cancels to this worker). JSON bodies that name only the failed check. Listens on every interface by
 * default (probes come from outside the host); nothing but these two paths is served.
 */
import http from "node:http";
import type { AddressInfo } from "node:net";
import { type DbClient, getDb } from "../db/client";
import { resolveDatabaseTarget } from "../db/database-url";
import { databaseUrl } from "../env";
import { checkWorkerHeartbeat, type WorkerHeartbeatCheck } from "../services/health/check-worker-heartbeat";
import type { ArtifactStore } from "../services/runs/artifact-store";
import { type ArtifactStoreCheck, checkArtifactStore } from "../services/runs/check-artifact-store";
import { type RunEventBridgeCheck, runEventBridgeCheck } from "./run-event-bridge";

export interface WorkerHealthServerOptions {
  /** 0 picks a free port (tests). */
  port: number;
  /** Default: every interface. */
  host?: string;
  /** The id the worker registered under; null while it has not registered. */
  workerId: () => string | null;
  /** A heartbeat older than this is not recent: the lease (DNO_WORKER_LEASE_MS), after which runs move on. */
  staleAfterMs: number;
  db?: DbClient;
  databaseUrl?: string;
  artifacts?: ArtifactStore;
}

export interface WorkerReadyReport {
  status: "ready" | "not-ready";
  checks: { worker: WorkerHeartbeatCheck; artifacts: ArtifactStoreCheck; events: RunEventBridgeCheck };
}

export interface WorkerHealthServer {
  port: number;
  close(): Promise<void>;
}

export async function workerReadyReport(
  options: Omit<WorkerHealthServerOptions, "port" | "host">,
): Promise<WorkerReadyReport> {
  const provider = resolveDatabaseTarget(options.databaseUrl ?? databaseUrl()).provider;
  const [worker, artifacts] = await Promise.all([
    checkWorkerHeartbeat(options.db ?? getDb(), {
      workerId: options.workerId(),
      staleAfterMs: options.staleAfterMs,
    }),
    checkArtifactStore(options.artifacts),
  ]);
  const events = runEventBridgeCheck(provider);
  const ready = worker === "ok" && artifacts === "ok" && (events === "connected" || events === "not-used");
  return { status: ready ? "ready" : "not-ready", checks: { worker, artifacts, events } };
}

function reply(response: http.ServerResponse, status: number, body: unknown): void {
  const text = JSON.stringify(body);
  response.writeHead(status, {
    "content-type": "application/json; charset=utf-8",
    "cache-control": "no-store",
    "content-length": Buffer.byteLength(text),
  });
  response.end(text);
}

export async function startWorkerHealthServer(
  options: WorkerHealthServerOptions,
): Promise<WorkerHealthServer> {
  const server = http.createServer((request, response) => {
    const pathname = new URL(request.url ?? "/", "http://worker").pathname;
    if (request.method !== "GET" && request.method !== "HEAD") {
      reply(response, 405, { error: "Only GET is answered here." });
    } else if (pathname === "/live") {
      reply(response, 200, { status: "live" });
    } else if (pathname === "/ready") {
      workerReadyReport(options).then(
        (report) => reply(response, report.status === "ready" ? 200 : 503, report),
        () => reply(response, 503, { status: "not-ready" }),
      );
    } else {
      reply(response, 404, { error: "Not found: ask /live or /ready." });
    }
  });
  // A probe that keeps its connection open must not hold the worker's exit.
  server.keepAliveTimeout = 1000;
  await new Promise<void>((resolve, reject) => {
    const refuse = (error: NodeJS.ErrnoException) =>
      reject(
        error.code === "EADDRINUSE"
          ? new Error(
              `The worker's health port ${options.port} is in use (DNO_WORKER_HEALTH_PORT): choose a free port per worker on this host, or unset it.`,
            )
          : error,
      );
    server.once("error", refuse);
    server.listen(options.port, options.host, () => {
      server.off("error", refuse);
      resolve();
    });
  });
  server.unref();
  return {
    port: (server.address() as AddressInfo).port,
    close: () =>
      new Promise<void>((resolve) => {
        server.closeAllConnections();
        server.close(() => resolve());
      }),
  };
}
