/**
 * The web server's health endpoints (app/api/health/live, app/api/health/ready), for load balancers and
 * orchestrators: public (no sign-in, no Host allow-list: proxy.ts leaves /api/health out), JSON, and saying
 * only which check failed — never an error text, a host name or a path.
 *   live:  the process answers.
 *   ready: the database is reachable and migrated to this build, the artifact store answers, and on
 *          PostgreSQL this process's run-event bridge is listening (else its progress streams only poll).
 */
import { type DbClient, getDb } from "../db/client";
import { resolveDatabaseTarget } from "../db/database-url";
import { databaseUrl } from "../env";
import { checkDatabase, type DatabaseCheck } from "../services/health/check-database";
import type { ArtifactStore } from "../services/runs/artifact-store";
import { type ArtifactStoreCheck, checkArtifactStore } from "../services/runs/check-artifact-store";
import { type RunEventBridgeCheck, runEventBridgeCheck } from "../worker/run-event-bridge";

export interface ReadyReport {
  status: "ready" | "not-ready";
  checks: { database: DatabaseCheck; artifacts: ArtifactStoreCheck; events: RunEventBridgeCheck };
}

export interface ReadyOptions {
  db?: DbClient;
  databaseUrl?: string;
  artifacts?: ArtifactStore;
}

export function healthJson(status: number, body: unknown): Response {
  return new Response(JSON.stringify(body), {
    status,
    headers: { "content-type": "application/json; charset=utf-8", "cache-control": "no-store" },
  });
}

export function healthLiveResponse(): Response {
  return healthJson(200, { status: "live" });
}

export async function readyReport(options: ReadyOptions = {}): Promise<ReadyReport> {
  const provider = resolveDatabaseTarget(options.databaseUrl ?? databaseUrl()).provider;
  const [database, artifacts] = await Promise.all([
    checkDatabase(options.db ?? getDb(), provider),
    checkArtifactStore(options.artifacts),
  ]);
  const events = runEventBridgeCheck(provider);
  const ready = database === "ok" && artifacts === "ok" && (events === "connected" || events === "not-used");
  return { status: ready ? "ready" : "not-ready", checks: { database, artifacts, events } };
}

export async function healthReadyResponse(options: ReadyOptions = {}): Promise<Response> {
  const report = await readyReport(options);
  return healthJson(report.status === "ready" ? 200 : 503, report);
}
