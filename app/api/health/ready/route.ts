/** Readiness (database reachable and migrated, live progress connected): see server/api/health-response.ts. */
import { healthReadyResponse } from "@/server/api/health-response";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Promise<Response> {
  return healthReadyResponse();
}
