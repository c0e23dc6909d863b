/** Who is looking at a server-rendered page (the same rule as the API: session cookie or Bearer token). */
import { headers } from "next/headers";
import { getDb } from "../db/client";
import { ensureDatabaseReady } from "../db/ready";
import type { Actor } from "../services/context";
import { actorFromHeaders } from "./actor-from-request";

export async function pageActor(): Promise<Actor> {
  await ensureDatabaseReady();
  return actorFromHeaders(await headers(), { db: getDb() });
}
