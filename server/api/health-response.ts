/**
 * The web server's health endpoints (app/api/health/live, app/api/health/ready), for load balancers and
 * orchestrators: public (no sign-in, no Host allow-list: proxy.ts leaves /api/health out), JSON, and saying
 * only which check failed — never an error text, a host name or a path.
 *   live:  the process answers.
 *   ready: the database is reachable and migrated to this build, and on PostgreSQL this process's run-event
 *          bridge is listening (otherwise its progress streams would only poll).
 */
import { type DbClient, getDb } from "../db/client";
import { type DatabaseProvider, resolveDatabaseTarget } from "../db/database-url";
import { databaseUrl } from "../env";
import { checkDatabase, type DatabaseCheck } from "../services/health/check-database";
import { runEventBridge } from "../worker/run-event-bridge";

export type EventsCheck = "connected" | "connecting" | "reconnecting" | "not-started" | "not-used";

export interface ReadyReport {
  status: "ready" | "not-ready";
  checks: { database: DatabaseCheck; events: EventsCheck };
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

/** The run-event bridge's part of readiness: needed on PostgreSQL only. */
export function eventsCheck(provider: DatabaseProvider): EventsCheck {
  if (provider !== "postgresql") return "not-used";
  const bridge = runEventBridge();
  if (!bridge) return "not-started";
  return bridge.state === "stopped" ? "not-started" : bridge.state;
}

export async function readyReport(
  options: { db?: DbClient; databaseUrl?: string } = {},
): Promise<ReadyReport> {
  const provider = resolveDatabaseTarget(options.databaseUrl ?? databaseUrl()).provider;
  const checks = {
    database: await checkDatabase(options.db ?? getDb(), provider),
    events: eventsCheck(provider),
  };
  const ready = checks.database === "ok" && (checks.events === "connected" || checks.events === "not-used");
  return { status: ready ? "ready" : "not-ready", checks };
}

export async function healthReadyResponse(
  options: { db?: DbClient; databaseUrl?: string } = {},
): Promise<Response> {
  const report = await readyReport(options);
  return healthJson(report.status === "ready" ? 200 : 503, report);
}
