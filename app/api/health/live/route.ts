/** Liveness for load balancers and orchestrators: see server/api/health-response.ts. Public by design. */
import { healthLiveResponse } from "@/server/api/health-response";

export const runtime = "nodejs";
export const dynamic = "force-dynamic";

export function GET(): Response {
  return healthLiveResponse();
}
