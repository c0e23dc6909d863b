/**
 * Which Host names the server answers to. A browser page on another site can point its own DNS name at
 * 127.0.0.1 (DNS rebinding) and then call this server with its name in the Host header; refusing names that
 * are not on the list stops that. Pure functions: the proxy (proxy.ts) and tests call them.
 *
 * ALLOWED_HOSTS is a comma-separated list of names, each matched case-insensitively against the Host
 * header without its port: `example.com`, `10.0.0.5`, `[::1]`; a name with a port (`example.com:8080`)
 * matches only that port; a leading dot (`.example.com`) also allows every subdomain; `*` allows any host.
 * The loopback names localhost, 127.0.0.1 and [::1] are always allowed (a rebinding page cannot send them),
 * and so is HOST when that is a name to answer to (not 0.0.0.0 or ::); ALLOWED_HOSTS adds to these.
 */

export interface HostAllowList {
  /** `*` was given: every host is allowed. */
  readonly any: boolean;
  /** Normalized entries (lower case, no trailing dot; IPv6 in brackets). */
  readonly entries: readonly string[];
}

export const DEFAULT_ALLOWED_HOSTS = ["localhost", "127.0.0.1", "[::1]"] as const;

/** Addresses that mean "listen on every interface": nobody browses to them, so they are not names to allow. */
const WILDCARD_ADDRESSES = new Set(["0.0.0.0", "[::]"]);

/** Lower case, no trailing dot, bare IPv6 addresses put in brackets (as they appear in a Host header). */
function normalizeName(name: string): string {
  let value = name.trim().toLowerCase();
  if (value.endsWith(".")) value = value.slice(0, -1);
  // A bare IPv6 address (two or more colons, no brackets): bracket it.
  if (!value.startsWith("[") && (value.match(/:/g)?.length ?? 0) >= 2) value = `[${value}]`;
  return value;
}

export function parseAllowedHosts(allowedHosts: string | undefined, host?: string): HostAllowList {
  const listed = (allowedHosts ?? "")
    .split(",")
    .map((entry) => entry.trim())
    .filter((entry) => entry !== "");
  if (listed.includes("*")) return { any: true, entries: [] };
  const entries: string[] = [...DEFAULT_ALLOWED_HOSTS];
  const hostName = host && host.trim() !== "" ? normalizeName(host) : null;
  for (const name of [...(hostName && !WILDCARD_ADDRESSES.has(hostName) ? [hostName] : []), ...listed]) {
    const normalized = normalizeName(name);
    if (!entries.includes(normalized)) entries.push(normalized);
  }
  return { any: false, entries };
}

/** The Host header split into its name and port; null when it is not a well-formed host[:port]. */
export function splitHostHeader(header: string): { name: string; port: string | null } | null {
  const value = header.trim().toLowerCase();
  if (value === "") return null;
  if (value.startsWith("[")) {
    const close = value.indexOf("]");
    if (close < 0) return null;
    const rest = value.slice(close + 1);
    if (rest !== "" && !/^:\d{1,5}$/.test(rest)) return null;
    return { name: value.slice(0, close + 1), port: rest === "" ? null : rest.slice(1) };
  }
  const parts = value.split(":");
  if (parts.length > 2) return null;
  const [rawName, port] = parts as [string, string | undefined];
  if (port !== undefined && !/^\d{1,5}$/.test(port)) return null;
  // Letters, digits, dots, hyphens and underscores: what DNS names and IPv4 addresses use.
  if (!/^[a-z0-9._-]+$/.test(rawName)) return null;
  const name = rawName.endsWith(".") ? rawName.slice(0, -1) : rawName;
  return { name, port: port ?? null };
}

export function isHostAllowed(hostHeader: string | null | undefined, list: HostAllowList): boolean {
  if (list.any) return true;
  if (!hostHeader) return false;
  const host = splitHostHeader(hostHeader);
  if (!host) return false;
  return list.entries.some((entry) => {
    if (entry.startsWith(".")) return host.name === entry.slice(1) || host.name.endsWith(entry);
    const withPort = splitHostHeader(entry);
    if (withPort?.port != null) return withPort.name === host.name && withPort.port === host.port;
    return entry === host.name;
  });
}

/** The refusal's text: names the host (without its port, capped in length) and the variable to change. */
export function foreignHostMessage(hostHeader: string | null | undefined): string {
  if (!hostHeader || hostHeader.trim() === "") {
    return "This server needs a Host header naming it (localhost, or a name listed in ALLOWED_HOSTS).";
  }
  const host = splitHostHeader(hostHeader);
  const shown = (host?.name ?? hostHeader.trim()).replace(/[^\x21-\x7e]/g, "?").slice(0, 100);
  return `This server does not answer to host ${shown}. Add it to ALLOWED_HOSTS.`;
}
