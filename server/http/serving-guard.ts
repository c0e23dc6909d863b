/**
 * The checks every request passes before a route sees it: the Host allow-list and the declared body size.
 * proxy.ts runs them for every path but the upload route (which streams large bodies that the proxy would
 * buffer); that route calls servingRefusal itself with its own, larger limit.
 */
import { getEnv } from "../env";
import { checkDeclaredBodySize } from "./body-limit";
import { foreignHostMessage, type HostAllowList, isHostAllowed, parseAllowedHosts } from "./host-allow-list";

interface ServingSettings {
  hosts: HostAllowList;
  maxBodyBytes: number;
}

let cached: ServingSettings | null = null;

/** Read once per process: the environment does not change while the server runs. */
export function servingSettings(): ServingSettings {
  if (!cached) {
    const env = getEnv();
    cached = { hosts: parseAllowedHosts(env.allowedHosts, env.host), maxBodyBytes: env.maxBodyBytes };
  }
  return cached;
}

/** A plain-text refusal people can read in a browser tab or a curl output. */
export function plainRefusal(status: number, message: string): Response {
  return new Response(`${message}\n`, {
    status,
    headers: { "content-type": "text/plain; charset=utf-8", "cache-control": "no-store" },
  });
}

/** Null when the request's Host is on the allow-list; otherwise the 421 refusal. */
export function hostRefusal(
  request: Pick<Request, "headers">,
  settings: ServingSettings = servingSettings(),
): Response | null {
  const host = request.headers.get("host");
  return isHostAllowed(host, settings.hosts) ? null : plainRefusal(421, foreignHostMessage(host));
}

/**
 * Null when the request may go on; otherwise the response refusing it: 421 for a Host not on the allow-list,
 * 413/411/400 for a body over `maxBodyBytes` (default MAX_BODY_BYTES), of unknown length or a bad length.
 */
export function servingRefusal(
  request: Pick<Request, "headers">,
  options: { maxBodyBytes?: number; settings?: ServingSettings } = {},
): Response | null {
  const settings = options.settings ?? servingSettings();
  const foreign = hostRefusal(request, settings);
  if (foreign) return foreign;
  const refusal = checkDeclaredBodySize(
    {
      contentLength: request.headers.get("content-length"),
      transferEncoding: request.headers.get("transfer-encoding"),
    },
    options.maxBodyBytes ?? settings.maxBodyBytes,
  );
  return refusal ? plainRefusal(refusal.status, refusal.message) : null;
}
